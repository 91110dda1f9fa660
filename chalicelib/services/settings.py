"""Company-wide portal settings ("AR variables" / service websites)."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..models import DEFAULT_PAGES, Company
from ..models.base import plain_dict
from ..repositories import audit, companies
from . import tenant
from .portal_access import PAGE_FLAGS
from .service_requests import MODES as SERVICE_MODES
from .service_requests import mode as service_mode

COMPANY_PAGES = PAGE_FLAGS + [("search_all", "Search ALL invoices (for customers allowed to)")]
PRICE_DISPLAY = {"price": "Show each customer's own price level", "list": "Show list prices", "hide": "Hide prices"}
QTY_DISPLAY = {
    "quantity": "Show the quantity available",
    "in_stock": "Show only “In stock” / “Low stock” / “Out of stock”",
    "hide": "Hide availability",
}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Kept here (not imported from services/two_factor.py) so the settings page loads no more.
TWO_FACTOR_POLICIES = {
    "optional": "Optional: each login chooses",
    "admins": "Required for dealer administrators",
    "everyone": "Required for everyone",
}
BRANCH_LINE = re.compile(r"^([A-Za-z0-9_-]{1,20})(?:\s*[=:,]\s*|\s+-\s+|\s+)(\S.{0,59})$")
URL = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.I)


@dataclass
class SettingsForm:
    pages: dict[str, bool] = field(default_factory=dict)
    parts_price_display: str = "price"
    parts_qty_display: str = "quantity"
    oem_label: str = "OEM"
    auto_credentials: bool = False
    credentials_email_format: str = ""
    service_request_url: str = ""
    service_requests: str = "off"  # services/service_requests.py MODES
    service_email: str = ""
    two_factor_policy: str | None = "optional"  # None: not in the form, left as it is
    parts_low_stock: str = "5"
    parts_po_required: bool = False
    parts_charge_to_account: bool = False
    parts_branches: str = ""  # one "CODE Name" a line

    @classmethod
    def of(cls, company: Company) -> "SettingsForm":
        pages = dict(DEFAULT_PAGES, **plain_dict(company.pages))
        return cls(
            pages={key: bool(pages.get(key)) for key, _ in COMPANY_PAGES},
            parts_price_display=company.parts_price_display or "price",
            parts_qty_display=company.parts_qty_display or "quantity",
            oem_label=company.oem_label or "OEM",
            auto_credentials=bool(company.auto_credentials),
            credentials_email_format=company.credentials_email_format or "",
            service_request_url=company.service_request_url or "",
            service_requests=service_mode(company),
            service_email=company.service_email or "",
            two_factor_policy=company.two_factor_policy or "optional",
            parts_low_stock=str(int(company.parts_low_stock or 0)),
            parts_po_required=bool(company.parts_po_required),
            parts_charge_to_account=bool(company.parts_charge_to_account),
            parts_branches="\n".join(
                f"{code} {name}" for code, name in sorted(plain_dict(company.parts_branches or {}).items())
            ),
        )

    @classmethod
    def parse(cls, form: dict) -> "SettingsForm":
        return cls(
            pages={key: form.get(f"page_{key}") == "on" for key, _ in COMPANY_PAGES},
            parts_price_display=form.get("parts_price_display", ""),
            parts_qty_display=form.get("parts_qty_display", ""),
            oem_label=(form.get("oem_label") or "").strip()[:41],
            auto_credentials=form.get("auto_credentials") == "on",
            credentials_email_format=(form.get("credentials_email_format") or "")[:10001],
            service_request_url=(form.get("service_request_url") or "").strip()[:501],
            # A form without the choice (older pages): the link when one is given.
            service_requests=(form.get("service_requests") or ("link" if form.get("service_request_url") else "off"))[
                :20
            ],
            service_email=(form.get("service_email") or "").strip()[:255],
            two_factor_policy=form.get("two_factor_policy"),
            parts_low_stock=(form.get("parts_low_stock") or "5").strip()[:7],
            parts_po_required=form.get("parts_po_required") == "on",
            parts_charge_to_account=form.get("parts_charge_to_account") == "on",
            parts_branches=(form.get("parts_branches") or "")[:5001],
        )


def branches_of(text: str) -> dict[str, str] | None:
    """ "SEA Seattle" lines -> {"SEA": "Seattle"}; None when a line is not that shape."""
    branches = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = BRANCH_LINE.match(line.strip())
        if not match:
            return None
        branches[match.group(1).upper()] = match.group(2).strip()
    return branches


def validate(form: SettingsForm, format_error) -> str | None:
    if form.parts_price_display not in PRICE_DISPLAY:
        return "Choose how parts prices are shown."
    if form.two_factor_policy is not None and form.two_factor_policy not in TWO_FACTOR_POLICIES:
        return "Choose who must use two-factor sign-in."
    if form.parts_qty_display not in QTY_DISPLAY:
        return "Choose how parts availability is shown."
    if not form.parts_low_stock.isdigit() or int(form.parts_low_stock) > 100000:
        return "The low-stock threshold must be a whole number from 0 to 100,000."
    branches = branches_of(form.parts_branches) if len(form.parts_branches) <= 5000 else None
    if branches is None or len(branches) > 50:
        return (
            "Branches: one branch a line, its code (letters, digits, dashes, up to 20) "
            "then its name, at most 50 branches."
        )
    if not form.oem_label or len(form.oem_label) > 40:
        return "The dealer pages label needs 1 to 40 characters."
    if len(form.credentials_email_format) > 10000:
        return "The credentials e-mail format is longer than 10,000 characters."
    if form.credentials_email_format.strip() and format_error:
        error = format_error(form.credentials_email_format)
        if error:
            return f"Credentials e-mail format: {error}"
    if form.service_request_url and (len(form.service_request_url) > 500 or not URL.match(form.service_request_url)):
        return "The service request link must be a full https:// address."
    if form.service_requests not in SERVICE_MODES:
        return "Choose how customers request service."
    if form.service_requests == "link" and not form.service_request_url:
        return "Enter the service request link (https://…) to send customers to your own page."
    if form.service_email and not EMAIL.match(form.service_email):
        return "The service department's e-mail address is not a valid address."
    if form.service_requests == "builtin" and not form.service_email:
        return "Enter the service department's e-mail address: the built-in form e-mails each new request to it."
    return None


def save(
    company: Company, form: SettingsForm, actor_id: str, source_ip: str, now: float, format_error=None
) -> str | None:
    error = validate(form, format_error)
    if error:
        return error
    before = SettingsForm.of(company)
    if form.two_factor_policy is None:
        form.two_factor_policy = before.two_factor_policy
    company.pages = dict(plain_dict(company.pages), **form.pages)
    company.parts_price_display = form.parts_price_display
    company.parts_qty_display = form.parts_qty_display
    company.oem_label = form.oem_label
    company.auto_credentials = form.auto_credentials
    company.credentials_email_format = form.credentials_email_format.strip() or None
    company.service_request_url = form.service_request_url or None
    company.service_requests = form.service_requests
    company.service_email = form.service_email or None
    company.two_factor_policy = form.two_factor_policy
    company.parts_low_stock = int(form.parts_low_stock)
    company.parts_po_required = form.parts_po_required
    company.parts_charge_to_account = form.parts_charge_to_account
    company.parts_branches = branches_of(form.parts_branches) or None
    company.updated_at = datetime.fromtimestamp(now, UTC)
    companies.save_company(company)
    tenant.forget()  # this Lambda shows the change at once (others within a minute)
    changed = [name for name in vars(form) if getattr(before, name) != getattr(form, name)]
    audit.record(
        company.company_id, "settings_changed", actor=actor_id, source_ip=source_ip, changed=",".join(changed) or "-"
    )
    return None
