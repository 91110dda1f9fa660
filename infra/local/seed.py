"""Demo data for the local stack (and the integration/browser tests).

Idempotent: every record has a fixed key and is written with a put, so running
it twice leaves the same data, never duplicates.
"""

import base64
import hashlib
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import aws, config
from chalicelib.ids import sha256
from chalicelib.models import (
    ApiToken,
    Company,
    Contact,
    Customer,
    Dealer,
    DealerLink,
    Domain,
    Equipment,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LoginName,
    Membership,
    Part,
    PartToken,
    Payment,
    ServiceRequest,
    Statement,
    Theme,
    ThemeVersion,
    User,
    WebAccess,
)
from chalicelib.models.company import DEFAULT_PAGES
from chalicelib.payments import credentials
from chalicelib.repositories import accounts
from chalicelib.repositories.dynamo import batch_write
from chalicelib.repositories.keys import (
    account_pk,
    credit_key,
    customer_name_key,
    dealer_codes_key,
    email_login,
    invoice_keys,
    ledger_entry_key,
    name_login,
    part_number_key,
    part_token_pk,
    part_words,
)
from chalicelib.services import passwords, theme

DEMO_PASSWORD = "demo-portal-1"
DEMO_DIR = Path(__file__).resolve().parent / "demo"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TODAY = NOW.date()

COMPANIES: list[dict[str, Any]] = [
    dict(
        company_id="abc",
        name="ABC Appliance Service",
        hosts=["localhost", "abc.localhost"],
        primary="localhost",
        primary_color="#1f4e79",
        accent_color="#f2a900",
        tagline="Sales · Service · Parts",
        building="shop",
        support_phone="(555) 010-2000",
        support_email="service@abc-appliance.example",
        welcome="Check your service orders, pay your bill and order parts, day or night.",
        pages={page: True for page in DEFAULT_PAGES},
        oem_label="Dealer",  # every page on
        # Parts lookup for the dealer login (retail accounts' page flag hides it), in stock
        # or not rather than quantities; pay by card or ACH.
        parts=dict(parts_qty_display="in_stock", parts_low_stock=3),
    ),
    dict(
        company_id="pacific",
        name="Pacific Distribution",
        hosts=["pacific.localhost"],
        primary="pacific.localhost",
        primary_color="#0b6e4f",
        accent_color="#e4572e",
        tagline="Trade parts distributor",
        building="warehouse",
        support_phone="(555) 010-7000",
        support_email="orders@pacific-dist.example",
        welcome="Parts availability, back orders and statements for Pacific's trade customers.",
        pages=dict(DEFAULT_PAGES, parts=True),  # a new company's defaults + parts lookup
        oem_label="OEM",
        statement_day=15,
        # A parts distributor: quantities per branch, pick-up, PO numbers, and charge to
        # account for the customers the ERP allows (P5001).
        parts=dict(
            parts_qty_display="quantity",
            parts_po_required=True,
            parts_charge_to_account=True,
            parts_branches={"SEA": "Seattle", "POR": "Portland", "SAC": "Sacramento"},
        ),
    ),
]

# (email, name, [(company, customer_no, access type)], admin of)
DEMO_USERS = [
    ("retail@example.com", "Rita Retail", [("abc", "C1001", "Retail")], []),
    ("dealer@example.com", "Dan Dealer", [("abc", "D2001", "Dealer")], []),
    ("both@example.com", "Bo Both", [("abc", "C1002", "Retail"), ("pacific", "P5001", "Retail")], []),
    ("admin@example.com", "Ada Admin", [], ["abc", "pacific"]),
    ("pat@example.com", "Pat Pacific", [], ["pacific"]),
]
# Two-factor (README "Two-factor sign-in"): ABC leaves it optional, so every login above signs
# in there with its password alone; Pacific requires it of administrators. Pat has it set up
# with this key (fixed for the demo only; `make run` prints it); Ada is taken to the set-up
# on Pacific.
TWO_FACTOR_POLICIES = {"abc": "optional", "pacific": "admins"}
DEMO_TOTP_KEYS = {
    "pat@example.com": base64.b32encode(hashlib.sha256(b"dealer-portal demo two-factor key").digest()[:20]).decode()
}
# EPASS-style generated first logins: user name = customer number, first
# password = invoice number, must be changed at first sign-in.
FIRST_LOGINS = [("abc", "C1005", "W10085"), ("pacific", "P5002", "S70030")]  # their invoices
# Local stack only: a fixed platform token for the admin API, printed by `make run` (stable
# across restarts so scripts and the `portal` CLI config keep working).
LOCAL_PLATFORM_TOKEN = "local-platform-" + hashlib.sha256(b"dealer-portal local stack").hexdigest()[:32]

CUSTOMERS = {
    "abc": [
        (
            "C1001",
            "Rita's Kitchen & Laundry",
            [
                ("MAIN", "Main office", "1200 Oak St", "Springfield", "IL"),
                ("LAKE", "Lake house", "77 Shore Dr", "Lakeview", "IL"),
            ],
        ),
        ("C1002", "Bo's Bistro", [("MAIN", "Bistro", "5 Market Sq", "Springfield", "IL")]),
        ("C1003", "Harper Family", [("MAIN", "Home", "19 Elm Ct", "Chatham", "IL")]),
        ("C1004", "Greenway Apartments", [("MAIN", "Leasing office", "400 Park Ave", "Springfield", "IL")]),
        ("C1005", "Lopez Residence", [("MAIN", "Home", "8 Birch Ln", "Rochester", "IL")]),
        # Dealer Administration: one account in each remaining portal status.
        (
            "C1006",
            "Oak Street Laundromat",
            [
                ("MAIN", "Laundromat", "14 Oak St", "Springfield", "IL"),
                ("WEST", "West side store", "880 Wabash Ave", "Springfield", "IL"),
            ],
        ),
        ("C1007", "Birch Bakery", [("MAIN", "Bakery", "3 Birch Ln", "Sherman", "IL")]),
        ("C1008", "Cedar Court Condos", [("MAIN", "Management office", "60 Cedar Ct", "Chatham", "IL")]),
        ("D2001", "Prairie Appliance Dealers", [("MAIN", "Showroom", "900 Route 66", "Springfield", "IL")]),
    ],
    "pacific": [
        ("P5001", "Bo's Bistro (Coast)", [("MAIN", "Coast kitchen", "12 Harbor Rd", "Monterey", "CA")]),
        ("P5002", "Seaside Hardware", [("MAIN", "Store", "301 Pier Ave", "Santa Cruz", "CA")]),
    ],
}
CONTACTS = {
    ("abc", "C1001"): [
        ("Rita Retail", "retail@example.com", "Owner"),
        ("Sam Books", "ap@ritas-kitchen.example", "Accounts payable"),
        ("Lake caretaker", "lake@ritas-kitchen.example", "Site contact"),
        ("Old address", "not-an-email", "Former contact"),
    ],
    ("abc", "C1002"): [("Bo Both", "both@example.com", "Owner")],
    ("abc", "C1003"): [("Hannah Harper", "harper@example.com", "Owner"), ("Harper (old)", "", "Former contact")],
    ("abc", "C1004"): [("Greenway Leasing", "greenway@example.com", "Manager")],
    ("abc", "C1005"): [("Luis Lopez", "luis.lopez@example.com", "Owner")],
    ("abc", "C1006"): [("Olga Oak", "laundry@example.com", "Owner")],
    ("abc", "C1007"): [
        ("Bea Birch", "bounced@example.com", "Owner"),
        ("Birch front desk", "frontdesk@birch-bakery.example", "Orders"),
    ],
    ("abc", "C1008"): [("Cedar Board", "cedar@example.com", "Board")],
    ("abc", "D2001"): [
        ("Dan Dealer", "dealer@example.com", "Owner"),
        ("Prairie Service Desk", "service@prairie.example", "Service"),
    ],
    ("pacific", "P5001"): [("Bo Both", "both@example.com", "Owner")],
    ("pacific", "P5002"): [("Sue Seaside", "sue@seaside.example", "Buyer")],
}
CHARGE_TO_ACCOUNT = {("pacific", "P5001")}  # the ERP lets them charge parts orders
# A cart left from an earlier visit: (login, company, customer, [(part index, quantity)]).
DEMO_CARTS = [("both@example.com", "pacific", "P5001", [(3, 2), (12, 1)])]
DEMO_PARTS = {"abc": 500, "pacific": 2000}  # the catalogue beyond the invoices' parts
ERP_INACTIVE = {"C1008"}  # the ERP's own status: shown, never changed by the portal
BOUNCED = {"bounced@example.com"}
# Portal logins in the other statuses: (email, name, company, customer_no, membership status)
STATUS_LOGINS = [
    ("greenway@example.com", "Greenway Leasing", "abc", "C1004", "invited"),  # no password yet
    ("laundry@example.com", "Olga Oak", "abc", "C1006", "inactive"),
]
STATUSES = ["Received", "Scheduled", "Awaiting parts", "Ready"]
WORDS = [
    "Door",
    "Gasket",
    "Pump",
    "Drain",
    "Valve",
    "Igniter",
    "Thermostat",
    "Belt",
    "Motor",
    "Filter",
    "Hinge",
    "Switch",
    "Control board",
    "Element",
    "Fan",
    "Seal",
    "Hose",
    "Bearing",
]
APPLIANCES = ["washer", "dryer", "range", "dishwasher", "refrigerator", "freezer", "oven"]


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _parts(company_id: str, count: int):
    rng = random.Random(company_id)
    parts = []
    for n in range(count):
        word, appliance = rng.choice(WORDS), rng.choice(APPLIANCES)
        prefix = "WP" if company_id == "abc" else "PD"
        part_no = f"{prefix}{10000 + n * 7}"
        cents = rng.randint(300, 45000)
        parts.append(
            Part(
                company_id,
                part_no,
                number_key=part_number_key(part_no),
                description=f"{word} for {appliance}",
                prices={"list": cents, "retail": cents, "dealer": int(cents * 0.8)},
                qty_available=rng.choice([0, 0, 1, 3, 12, 40]),
                erp_updated_at=NOW,
            )
        )
    return parts


def _invoice(
    company_id,
    invoice_no,
    customer_no,
    day,
    *,
    open_,
    status=None,
    dealer=None,
    location="MAIN",
    serial=None,
    lines=(),
    paid_cents=0,
    due_days=30,
    po=None,
):
    line_items = []
    subtotal = 0
    for i, (part, qty, shipped, cents) in enumerate(lines, start=1):
        ext = qty * cents
        subtotal += ext
        line_items.append(
            InvoiceLine(
                line_no=i,
                part_no=part.part_no,
                description=part.description,
                qty_ordered=qty,
                qty_shipped=shipped,
                qty_backordered=qty - shipped,
                price_cents=cents,
                extension_cents=ext,
                expected_on=(day + timedelta(days=14)).isoformat() if qty > shipped else None,
            )
        )
    tax = round(subtotal * 0.0725)
    total = subtotal + tax
    balance = max(total - paid_cents, 0)
    state = "open" if open_ else "closed"
    due = (day + timedelta(days=due_days)).isoformat()
    keys = invoice_keys(company_id, invoice_no, customer_no, state, day.isoformat(), due, balance, dealer)
    return Invoice(
        keys.pop("pk"),
        company_id=company_id,
        invoice_no=invoice_no,
        customer_no=customer_no,
        location_id=location,
        dealer_code=dealer,
        state=state,
        status=status or ("Ready" if open_ else "Completed"),
        status_dates=_status_dates(status or ("Ready" if open_ else "Completed"), day),
        invoice_date=day.isoformat(),
        due_date=due,
        po_number=po,
        equipment_serial=serial,
        lines=line_items,
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=total,
        balance_cents=balance,
        erp_updated_at=NOW,
        **keys,
    )


# An order's statuses in the order the ERP moves it through them.
STATUS_STEPS = ["Received", "Scheduled", "Awaiting parts", "Ready", "Completed"]


def _status_dates(status: str, day: date) -> dict:
    """Every step up to the order's status, a few days apart (the invoice's status
    history): a completed order shows each of them, not only "Received"."""
    steps = STATUS_STEPS[: STATUS_STEPS.index(status) + 1] if status in STATUS_STEPS else ["Received", status]
    when = {}
    for n, step in enumerate(steps):
        when[step.lower()] = min(day + timedelta(days=2 * n), max(day, TODAY)).isoformat()
    return when


def _company_records(spec, images):
    brand = Theme(
        primary_color=spec["primary_color"],
        accent_color=spec["accent_color"],
        welcome_text=spec["welcome"],
        oem_label=spec["oem_label"],
        **images,
    )
    company = Company(
        spec["company_id"],
        name=spec["name"],
        primary_domain=spec["primary"],
        oem_label=spec["oem_label"],
        support_email=spec["support_email"],
        support_phone=spec["support_phone"],
        pages=spec["pages"],
        email_sender=f"no-reply@{spec['primary']}",
        theme=brand,
        theme_version=1,
        auto_credentials=True,
        statement_day=spec.get("statement_day", 1),
        allow_payment_on_account=spec["company_id"] == "abc",
        # ABC (a service company) takes service requests in the portal.
        service_requests="builtin" if spec["company_id"] == "abc" else None,
        service_email=spec["support_email"] if spec["company_id"] == "abc" else None,
        two_factor_policy=TWO_FACTOR_POLICIES[spec["company_id"]],
        created_at=NOW,
        updated_at=NOW,
        **spec.get("parts", {}),
    )
    version = ThemeVersion(spec["company_id"], 1, theme=brand, published_by="seed", published_at=NOW)
    domains = [
        Domain(host, company_id=spec["company_id"], primary=host == spec["primary"], created_at=NOW)
        for host in spec["hosts"]
    ]
    return [company, version, *domains]


def _upload_images(spec) -> dict:
    """The demo logo, home image and favicon (infra/local/brand_art.py), under
    content-hashed keys."""
    from . import brand_art

    colours = (spec["name"], spec["primary_color"], spec["accent_color"])
    return {
        "logo_key": theme.store_asset(spec["company_id"], "logo", brand_art.logo(*colours, spec["tagline"])),
        "home_image_key": theme.store_asset(
            spec["company_id"], "home_image", brand_art.hero(*colours, spec["building"])
        ),
        "favicon_key": theme.store_asset(spec["company_id"], "favicon", brand_art.favicon(*colours)),
    }


def _master_data(company_id):
    records = []
    for customer_no, name, locations in CUSTOMERS[company_id]:
        rows = []
        for loc, loc_name, street, city, state in locations:
            rows.append(
                Customer(
                    account_pk(company_id, customer_no),
                    loc,
                    company_id=company_id,
                    customer_no=customer_no,
                    name=name,
                    name_key=customer_name_key(name, customer_no, loc),
                    location_name=loc_name,
                    address=street,
                    city=city,
                    state=state,
                    erp_active=customer_no not in ERP_INACTIVE,
                    price_level="dealer" if customer_no.startswith("D") else "retail",
                    charge_to_account=(company_id, customer_no) in CHARGE_TO_ACCOUNT,
                    erp_updated_at=NOW,
                )
            )
        records += accounts.with_location_list(rows)
        for i, (cname, address, role) in enumerate(CONTACTS.get((company_id, customer_no), [])):
            bounced = address in BOUNCED
            records.append(
                Contact(
                    account_pk(company_id, customer_no),
                    f"{i + 1:03d}",
                    name=cname,
                    email=address or None,
                    role=role,
                    email_bounced=bounced,
                    bounce_reason="bounce: Permanent/General" if bounced else None,
                    bounced_at=NOW if bounced else None,
                    erp_updated_at=NOW,
                )
            )
    return records


def _abc_activity(parts):
    """Invoices in every state, back orders, balances of various ages, payments, equipment."""
    rng = random.Random(7)
    records = []
    serials = ["WM-48213-A", "DR-77120-B", "RF-30017-C"]
    for serial, (make, model, kind) in zip(
        serials,
        [("Whirlpool", "WFW5620", "Washer"), ("Whirlpool", "WED5620", "Dryer"), ("GE", "GNE27J", "Refrigerator")],
        strict=True,
    ):
        records.append(
            Equipment(
                account_pk("abc", "C1001"),
                serial,
                make=make,
                model=model,
                description=kind,
                location_id="MAIN" if kind != "Dryer" else "LAKE",
                purchased_on="2023-04-18",
                installed_on="2023-04-20",
                warranty_ends_on="2027-04-20",
            )
        )
    plan = [  # customer, days ago, open, status, dealer, location, paid fraction
        ("C1001", 3, True, "Received", None, "MAIN", 0),
        ("C1001", 9, True, "Scheduled", None, "LAKE", 0),
        ("C1001", 20, True, "Awaiting parts", None, "MAIN", 0),
        ("C1001", 41, True, "Ready", None, "MAIN", 0.5),
        ("C1001", 75, False, None, None, "MAIN", 0),
        ("C1001", 130, False, None, None, "LAKE", 0),
        ("C1001", 200, False, None, None, "MAIN", 1),
        ("C1001", 320, False, None, None, "MAIN", 1),
        ("C1002", 12, True, "Scheduled", None, "MAIN", 0),
        ("C1002", 95, False, None, None, "MAIN", 1),
        ("C1003", 6, True, "Awaiting parts", "DLR01", "MAIN", 0),
        ("C1003", 60, False, None, "DLR01", "MAIN", 1),
        ("C1004", 15, True, "Received", "DLR01", "MAIN", 0),
        ("C1004", 33, True, "Ready", "DLR01", "MAIN", 0),
        ("C1004", 150, False, None, "DLR01", "MAIN", 1),
        ("D2001", 25, True, "Ready", None, "MAIN", 0),
        ("D2001", 110, False, None, None, "MAIN", 1),
        ("C1005", 2, True, "Received", None, "MAIN", 0),
    ]
    for n, (customer_no, days, open_, status, dealer, loc, paid) in enumerate(plan):
        invoice_no = f"W{10000 + n * 5}"
        day = TODAY - timedelta(days=days)
        lines = []
        for _ in range(rng.randint(1, 4)):
            part = rng.choice(parts)
            qty = rng.randint(1, 3)
            shipped = qty if not open_ or rng.random() < 0.5 else rng.randint(0, qty - 1)
            lines.append((part, qty, shipped, part.prices["retail"]))
        invoice = _invoice(
            "abc",
            invoice_no,
            customer_no,
            day,
            open_=open_,
            status=status,
            dealer=dealer,
            location=loc,
            serial=serials[n % 3] if customer_no == "C1001" else None,
            lines=lines,
            po=f"PO-{4400 + n}" if n % 3 == 0 else None,
        )
        paid_cents = int(invoice.total_cents * paid)
        if paid_cents:
            invoice.balance_cents = invoice.total_cents - paid_cents
            if invoice.balance_cents <= 0:
                invoice.ar_pk = invoice.due_key = None
            payment_id = f"{int(_ts(day + timedelta(days=5)).timestamp() * 1000):012x}demo{n:08d}"
            records.append(
                Payment(
                    "abc",
                    payment_id,
                    customer_no=customer_no,
                    customer_pk=account_pk("abc", customer_no),
                    user_id="demo",
                    method="card" if n % 2 else "ach",
                    status="approved",
                    amount_cents=paid_cents,
                    allocations={invoice_no: paid_cents},
                    masked_account="************4242",
                    created_at=_ts(day),
                    updated_at=_ts(day),
                )
            )
            invoice.applied_payment_ids = [payment_id]
            records.append(
                LedgerEntry(
                    account_pk("abc", customer_no),
                    ledger_entry_key((day + timedelta(days=5)).isoformat(), payment_id),
                    kind="payment",
                    reference=invoice_no,
                    amount_cents=-paid_cents,
                    entry_date=(day + timedelta(days=5)).isoformat(),
                    erp_updated_at=NOW,
                )
            )
        records.append(
            LedgerEntry(
                account_pk("abc", customer_no),
                ledger_entry_key(day.isoformat(), invoice_no),
                kind="invoice",
                reference=invoice_no,
                amount_cents=invoice.total_cents,
                entry_date=day.isoformat(),
                erp_updated_at=NOW,
            )
        )
        if customer_no == "C1001":
            equipment = next(r for r in records if isinstance(r, Equipment) and r.serial_no == invoice.equipment_serial)
            equipment.invoice_nos = equipment.invoice_nos + [invoice_no]
        records.append(invoice)
    year_ago = TODAY - timedelta(days=400)
    records.append(
        LedgerEntry(
            account_pk("abc", "C1001"),
            ledger_entry_key(year_ago.isoformat(), "bf"),
            kind="balance_forward",
            reference="Balance forward",
            amount_cents=12500,
            entry_date=year_ago.isoformat(),
            erp_updated_at=NOW,
        )
    )
    credit_day = TODAY - timedelta(days=50)
    records.append(
        LedgerEntry(
            account_pk("abc", "C1001"),
            ledger_entry_key(credit_day.isoformat(), "CM2201"),
            kind="credit",
            reference="CM2201",
            amount_cents=-2500,
            entry_date=credit_day.isoformat(),
            erp_updated_at=NOW,
            # not applied to an invoice yet: an open credit
            open_cents=2500,
            credit_pk=credit_key("abc", "C1001", "credit", 2500),
        )
    )
    records.append(
        LedgerEntry(
            account_pk("abc", "C1001"),
            ledger_entry_key((year_ago + timedelta(days=20)).isoformat(), "CP1"),
            kind="payment",
            reference="Counter payment",
            amount_cents=-12500,
            entry_date=(year_ago + timedelta(days=20)).isoformat(),
            erp_updated_at=NOW,
        )
    )
    unpaid = next(
        r
        for r in records
        if isinstance(r, Invoice) and r.customer_no == "C1001" and r.state == "open" and r.balance_cents > 5000
    )
    records.append(
        Payment(
            "abc",
            f"{int(NOW.timestamp() * 1000):012x}demounapplied",
            customer_no="C1001",
            customer_pk=account_pk("abc", "C1001"),
            user_id="demo",
            method="card",
            status="approved",
            amount_cents=5000,
            allocations={unpaid.invoice_no: 5000},
            masked_account="************1111",
            unapplied_pk=account_pk("abc", "C1001"),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    records.append(
        Dealer("abc", "DLR01", name="Prairie Appliance Dealers", linked_customer_nos=["D2001"], erp_updated_at=NOW)
    )
    records.append(DealerLink(account_pk("abc", "D2001"), "DLR01"))
    records.append(DealerLink(*dealer_codes_key(account_pk("abc", "D2001")), codes={"DLR01"}))
    return records


def _pacific_activity(parts):
    rng = random.Random(11)
    records = []
    for n, (customer_no, days, open_) in enumerate(
        [("P5001", 4, True), ("P5001", 48, True), ("P5001", 140, False), ("P5002", 10, True), ("P5002", 70, False)]
    ):
        invoice_no = f"S{70000 + n * 10}"
        day = TODAY - timedelta(days=days)
        lines = [
            (p, q, q if not open_ else rng.randint(0, q), p.prices["dealer"])
            for p, q in ((rng.choice(parts), rng.randint(2, 10)) for _ in range(3))
        ]
        invoice = _invoice(
            "pacific",
            invoice_no,
            customer_no,
            day,
            open_=open_,
            status="Awaiting parts" if open_ else None,
            lines=lines,
            due_days=45,
        )
        records.append(invoice)
        records.append(
            LedgerEntry(
                account_pk("pacific", customer_no),
                ledger_entry_key(day.isoformat(), invoice_no),
                kind="invoice",
                reference=invoice_no,
                amount_cents=invoice.total_cents,
                entry_date=day.isoformat(),
                erp_updated_at=NOW,
            )
        )
    return records


# Past statements "sent by the ERP": (company, customer, statement date, with the ERP's PDF?).
# Those without a PDF are rendered by the portal as of their date.
STATEMENTS = [
    ("abc", "C1001", "2026-10-01", True),
    ("abc", "C1001", "2026-09-01", False),
    ("abc", "C1002", "2026-10-01", False),
    ("abc", "D2001", "2026-10-01", False),
    ("pacific", "P5001", "2026-10-15", True),
    ("pacific", "P5001", "2026-09-15", False),
]
# One closed invoice whose PDF the ERP uploaded (it takes precedence over the portal's).
ERP_INVOICE_PDF = ("abc", "W10020")


def _balance_at(records, pk: str, day: str) -> int:
    """The ledger balance of an account at the end of `day` (from the latest balance forward)."""
    entries = sorted(
        (r for r in records if isinstance(r, LedgerEntry) and r.customer_pk == pk and r.entry_date <= day),
        key=lambda r: r.entry_key,
    )
    balance = 0
    for entry in entries:
        cents = int(entry.amount_cents)
        balance = cents if entry.kind == "balance_forward" else balance + cents
    return balance


def _erp_pdf(title: str, lines) -> bytes:
    """A plain PDF standing in for one the ERP would upload."""
    from fpdf import FPDF  # local stack only

    pdf = FPDF(format="Letter")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    for line in lines:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _documents(records):
    """Past statements (some with the ERP's PDF) and one ERP invoice PDF, in the documents bucket."""
    s3 = aws.client("s3")
    out = []
    for company_id, customer_no, day, with_pdf in STATEMENTS:
        pk = account_pk(company_id, customer_no)
        balance = _balance_at(records, pk, day)
        key = None
        if with_pdf:
            key = f"{company_id}/erp/statements/{customer_no}/{day}.pdf"
            s3.put_object(
                Bucket=config.documents_bucket(),
                Key=key,
                ContentType="application/pdf",
                Body=_erp_pdf(
                    f"Statement {day} (from the ERP)", [f"Customer {customer_no}", f"Balance ${balance / 100:,.2f}"]
                ),
            )
        out.append(Statement(pk, day, balance_cents=balance, pdf_key=key, erp_updated_at=NOW))
    company_id, invoice_no = ERP_INVOICE_PDF
    invoice = next(
        r for r in records if isinstance(r, Invoice) and r.company_id == company_id and r.invoice_no == invoice_no
    )
    invoice.pdf_key = f"{company_id}/erp/invoices/{invoice_no}.pdf"
    s3.put_object(
        Bucket=config.documents_bucket(),
        Key=invoice.pdf_key,
        ContentType="application/pdf",
        Body=_erp_pdf(
            f"Invoice {invoice_no} (from the ERP)",
            [
                f"Customer {invoice.customer_no}",
                f"Date {invoice.invoice_date}",
                f"Total ${invoice.total_cents / 100:,.2f}",
            ],
        ),
    )
    return out


def _users():
    records = []
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    for address, name, user_accounts, admin_of in DEMO_USERS:
        user_id = "u-" + hashlib.sha256(address.encode()).hexdigest()[:16]
        records.append(
            User(
                user_id,
                email=address,
                name=name,
                password_hash=password_hash,
                email_confirmed_at=NOW,
                created_at=NOW,
                password_changed_at=NOW,
                admin_company_ids=set(admin_of) or None,
                totp_secret=DEMO_TOTP_KEYS.get(address),
                totp_enabled_at=NOW if address in DEMO_TOTP_KEYS else None,
            )
        )
        records.append(LoginName(email_login(address), user_id=user_id))
        for company_id, customer_no, access_type in user_accounts:
            records.append(
                Membership(
                    user_id,
                    account_pk(company_id, customer_no),
                    company_id=company_id,
                    customer_no=customer_no,
                    status="active",
                    invited_at=NOW,
                    last_invited_at=NOW,
                    activated_at=NOW,
                    invited_email=address,
                )
            )
            # ABC offers parts lookup to its dealer login only.
            hidden = {"parts": False} if company_id == "abc" and access_type == "Retail" else {}
            records.append(
                WebAccess(
                    account_pk(company_id, customer_no),
                    access_type=access_type,
                    search_all=address == "retail@example.com",
                    pages=hidden,
                    updated_at=NOW,
                )
            )
    for address, name, company_id, customer_no, status in STATUS_LOGINS:
        user_id = "u-" + hashlib.sha256(address.encode()).hexdigest()[:16]
        invited = status == "invited"
        records.append(
            User(
                user_id,
                email=address,
                name=name,
                created_at=NOW,
                password_hash=None if invited else password_hash,
                email_confirmed_at=None if invited else NOW,
            )
        )
        records.append(LoginName(email_login(address), user_id=user_id))
        records.append(
            Membership(
                user_id,
                account_pk(company_id, customer_no),
                company_id=company_id,
                customer_no=customer_no,
                status=status,
                invited_at=NOW - timedelta(days=3),
                last_invited_at=NOW - timedelta(days=3),
                activated_at=None if invited else NOW,
                invited_email=address,
            )
        )
        records.append(
            WebAccess(
                account_pk(company_id, customer_no),
                access_type="Retail",
                portal_active=status != "inactive",
                updated_at=NOW,
            )
        )
    for company_id, customer_no, first_password in FIRST_LOGINS:
        user_id = f"u-first-{company_id}-{customer_no.lower()}"
        records.append(
            User(
                user_id,
                name=None,
                password_hash=passwords.hash_password(first_password),
                must_change_password=True,
                generated_password_expires_at=NOW + timedelta(days=3650),
                created_at=NOW,
            )
        )
        records.append(LoginName(name_login(company_id, customer_no), user_id=user_id))
        records.append(
            Membership(
                user_id,
                account_pk(company_id, customer_no),
                company_id=company_id,
                customer_no=customer_no,
                status="active",
                activated_at=NOW,
            )
        )
        records.append(
            WebAccess(account_pk(company_id, customer_no), access_type="Retail", user_name=customer_no, updated_at=NOW)
        )
    return records


def _carts(catalogues):
    from chalicelib.models import Cart
    from chalicelib.models.commerce import CartLine

    carts = []
    for address, company_id, customer_no, lines in DEMO_CARTS:
        user_id = "u-" + hashlib.sha256(address.encode()).hexdigest()[:16]
        parts = catalogues[company_id]
        chosen = [(parts[i], q * int(parts[i].pack_qty or 1)) for i, q in lines]
        carts.append(
            Cart(
                account_pk(company_id, customer_no),
                user_id,
                version=1,
                updated_at=NOW,
                lines=[
                    CartLine(
                        part_no=p.part_no,
                        quantity=q,
                        price_cents=p.prices["retail"],
                        stock="In stock" if p.qty_available else "Out of stock",
                    )
                    for p, q in chosen
                ],
            )
        )
    return carts


def part_tokens(parts):
    tokens = []
    for part in parts:
        for word in part_words(part.description):
            tokens.append(PartToken(part_token_pk(part.company_id, word), part.part_no))
    return tokens


def _service_requests(records):
    """Rita's (C1001) service requests: one the ERP scheduled with its work order (an open
    invoice of hers), one received, one sent and still in the ERP's feed."""
    work_order = next(
        r
        for r in records
        if isinstance(r, Invoice) and r.customer_no == "C1001" and r.state == "open" and r.status == "Scheduled"
    )
    common = dict(
        customer_pk=account_pk("abc", "C1001"),
        customer_no="C1001",
        user_id="u-" + hashlib.sha256(b"retail@example.com").hexdigest()[:16],
        contact_name="Rita Retail",
        contact_phone="(555) 010-3344",
        contact_email="retail@example.com",
        time_window="morning",
        equipment_on_file=True,
    )
    plan = [  # id, days ago, serial, make, model, site, problem, status, scheduled, work order
        (
            "0190000000a1d0c0ffee0001",
            12,
            "DR-77120-B",
            "Whirlpool",
            "WED5620",
            "LAKE",
            "The dryer runs but does not heat; clothes are still damp after two cycles.",
            "scheduled",
            (TODAY + timedelta(days=3)).isoformat(),
            work_order.invoice_no,
        ),
        (
            "0190000000a1d0c0ffee0002",
            4,
            "RF-30017-C",
            "GE",
            "GNE27J",
            "MAIN",
            "The ice maker stopped making ice and there is water under the door.",
            "received",
            None,
            None,
        ),
        (
            "0190000000a1d0c0ffee0003",
            1,
            "WM-48213-A",
            "Whirlpool",
            "WFW5620",
            "MAIN",
            "Error code F5 E2 on the display; the door does not lock.",
            "submitted",
            None,
            None,
        ),
    ]
    requests = []
    for request_id, days, serial, make, model, site, problem, status, scheduled, order in plan:
        sent = NOW - timedelta(days=days)
        requests.append(
            ServiceRequest(
                "abc",
                request_id,
                status=status,
                equipment_serial=serial,
                equipment_brand=make,
                equipment_model=model,
                description=problem,
                location_id=site,
                location_name={"MAIN": "Main office", "LAKE": "Lake house"}.get(site, site),
                preferred_date=(sent + timedelta(days=2)).date().isoformat(),
                preferred_date_to=(sent + timedelta(days=6)).date().isoformat(),
                scheduled_date=scheduled,
                work_order_no=order,
                submitted_at=sent,
                created_at=sent,
                erp_updated_at=sent + timedelta(hours=2) if status != "submitted" else None,
                feed_company="abc" if status == "submitted" else None,
                feed_acked_at=sent + timedelta(hours=1) if status != "submitted" else None,
                photo_keys=[],
                **common,
            )
        )
    return requests


def seed() -> dict:
    """Write the demo data; returns counts per entity."""
    records = []
    for spec in COMPANIES:
        records += _company_records(spec, _upload_images(spec))
        records += _master_data(spec["company_id"])
    abc_parts, pacific_parts = _parts("abc", 300), _parts("pacific", 250)
    from .catalogue import catalogue

    more = {company_id: catalogue(company_id, count) for company_id, count in DEMO_PARTS.items()}
    every = abc_parts + pacific_parts + more["abc"] + more["pacific"]
    records += every + part_tokens(every) + _carts(more)
    records += _abc_activity(abc_parts) + _pacific_activity(pacific_parts)
    records += _service_requests(records)
    records += _documents(records)
    records += _users()
    records.append(
        ApiToken(
            sha256(LOCAL_PLATFORM_TOKEN),
            token_id="local-platform",
            scope="platform",
            label="local stack (make run)",
            created_at=NOW,
        )
    )
    batch_write(records)
    counts = dict(Counter(type(record).__name__ for record in records))
    # After the companies exist: storing credentials marks the company for the reconciler.
    for spec in COMPANIES:  # sandbox credentials: the local stand-in accepts any
        for method in credentials.METHODS:
            credentials.store(
                spec["company_id"],
                method,
                credentials.GatewayCredentials(
                    f"demo-{spec['company_id']}-{method}", f"demo-token-{method}", "sandbox"
                ),
            )
    # Per-account summaries written in bulk above bypass: the admin list's (portal
    # status, contacts, bounced) and the open-AR totals /account reads.
    from chalicelib.repositories import admin_customers, ar_totals

    for company_id, customers in CUSTOMERS.items():
        for customer_no, _, _ in customers:
            admin_customers.refresh_summary(company_id, customer_no)
            ar_totals.rebuild(company_id, customer_no)
    return counts


def demo_logins():
    lines = [
        f"  {address:<22} {DEMO_PASSWORD}   {name}: "
        + (", ".join(f"{c}/{n} ({t})" for c, n, t in accounts) or "dealer administrator of " + " and ".join(admin_of))
        for address, name, accounts, admin_of in DEMO_USERS
    ]
    lines += [
        f"  {customer_no:<22} {first:<13}   first login on {company} (must change password)"
        for company, customer_no, first in FIRST_LOGINS
    ]
    lines.append(
        "  Dealer Administration: sign in as admin@example.com and open /admin "
        "(customers in every portal status; invitations appear in /dev/mailbox)"
    )
    for address, key in DEMO_TOTP_KEYS.items():
        lines.append(
            f"  Two-factor: Pacific requires it of administrators. {address}'s TOTP key "
            f"(add it to an authenticator app): {key}"
        )
    return "\n".join(lines)
