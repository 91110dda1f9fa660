"""Customer and dealer pages: DynamoDB calls, items read and our own time, small vs large accounts.

    .venv/bin/python bench/pages.py [--requests 20] [--large-requests 3]
                                    [--time-max 1000] [--sizes 10,1000,10000]

For each size, in a fresh moto world (`mock_aws`, in-process): the demo seed,
then one customer account with that many invoices (open and closed, lines and
back orders, ledger entries, an unapplied portal payment, equipment) and one
sub-dealer account that is the dealer on all of them.  It signs both in through
the real app (`chalice.test.Client`, Host localhost) and requests every customer
and dealer page, printing per page:

- DynamoDB calls and items read per request, per account size.  They must not
  grow with the data (docs/data-model.md "Rules"): calls equal at every size, items read equal
  between the two largest sizes (the smallest account has fewer rows than a
  page).  Exit status 1 if not, and 1 if any page makes more than MAX_CALLS (4)
  DynamoDB calls in a request (a page that lists every open invoice, WHOLE_ACCOUNT: up to
  WHOLE_ACCOUNT_SIZE invoices; beyond ~2,000 open invoices it reads 1 MB more per Query).
- Our own time per request: wall time minus the time spent inside DynamoDB
  calls (median of --requests requests up to --time-max invoices, of
  --large-requests above: moto takes about a second a request at 10,000), and
  its ratio to a floor measured in the same moto world: a route on a separate
  `Chalice('floor')` app with the same middleware that does one `Company.get`
  and renders `error.html` (base.html with a heading and one line) through
  `chalicelib.web.pages.page`.  Target: ratio <= 2.0 for a 50-row page, judged
  at the largest size up to --time-max.
"""
import argparse
import gc
import random
import re
import statistics
import time
from datetime import timedelta

import _bench  # noqa: E402,F401  (first: environment, items-read counting)
from _bench import PROJECT_DIR  # noqa: E402
from _bench import Measured as _Measured  # noqa: E402
from _bench import request as _request  # noqa: E402
from _bench import sign_in as _sign_in  # noqa: E402
from moto import mock_aws  # noqa: E402

HOST = _bench.HOST
COMPANY = "abc"
PASSWORD = "bench-portal-1"
TARGET_RATIO = 2.0
# docs/data-model.md "Rules": every customer and dealer page costs at most this many
# DynamoDB calls in all (the session, the request context's BatchGetItem, the page's own).
MAX_CALLS = 4
WHOLE_ACCOUNT = {"/statements"}  # lists every open invoice: 1 Query per MB of them
WHOLE_ACCOUNT_SIZE = 1000


class Measured(_Measured):
    def __init__(self, response, total, log, items, tables):
        super().__init__(response, total, log, items, tables)
        body = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
        # Rows rendered: data-table body rows (not the opening-balance row), or equipment units.
        self.rows = len(re.findall(r"<tr[ >]", body)) - body.count("<thead>") \
            - body.count('class="opening"') + body.count("<dt>Serial</dt>")


def request(client, dynamo_metrics, method, path, headers, body=b""):
    return _request(client, dynamo_metrics, method, path, headers, body, measured=Measured)


def sign_in(client, dynamo_metrics, login) -> dict:
    return _sign_in(client, dynamo_metrics, login, PASSWORD)[2]


def ms(seconds):
    return f"{seconds * 1000:.2f}"


# ---------------------------------------------------------------- bench data
def account_records(customer_no, name, access_type, user_no):
    """Customer (two locations), web access, user, login name and membership."""
    from chalicelib.models import Customer, LoginName, Membership, User, WebAccess
    from chalicelib.repositories import accounts
    from chalicelib.repositories.keys import account_pk, email_login
    from infra.local.seed import NOW

    pk = account_pk(COMPANY, customer_no)
    email = f"bench{user_no}@bench.example"
    user_id = f"u-bench-{user_no}"
    records = [Customer(pk, loc, company_id=COMPANY, customer_no=customer_no, name=name,
                        name_key=f"{name.lower()}#{customer_no}#{loc}", location_name=loc_name,
                        address="1 Bench Rd", city="Springfield", state="IL", erp_active=True,
                        price_level="dealer" if access_type == "Dealer" else "retail",
                        erp_updated_at=NOW)
               for loc, loc_name in (("MAIN", "Main office"), ("LAKE", "Lake house"))]
    accounts.with_location_list(records)  # as the ERP import writes them
    records += [
        WebAccess(pk, access_type=access_type, search_all=True, updated_at=NOW),
        User(user_id, email=email, name=f"Bench {user_no}", password_hash=PASSWORD_HASH[0],
             email_confirmed_at=NOW, created_at=NOW, password_changed_at=NOW),
        LoginName(email_login(email), user_id=user_id),
        Membership(user_id, pk, company_id=COMPANY, customer_no=customer_no, status="active",
                   invited_at=NOW, last_invited_at=NOW, activated_at=NOW, invited_email=email),
    ]
    return email, records


PASSWORD_HASH = [None]


def customer_data(index, size, parts):
    """`size` invoices of one customer, all with dealer code BD<index>, and its account data.

    Modelled on infra/local/seed.py (`_invoice()` builds each invoice): a quarter
    of the invoices are open (status cycles through the ERP's wording, some
    lines back-ordered, full balance due), the rest closed and paid; at most
    five invoices a day going back from the seed's "today"; a ledger entry per
    invoice and per payment, a balance forward before the first one; one
    unapplied portal payment on the newest open invoice; three equipment units
    holding the 60 newest invoice numbers.
    """
    from chalicelib.models import Dealer, DealerLink, Equipment, LedgerEntry, Payment, PaymentReservations
    from chalicelib.repositories import payments as payments_repo
    from chalicelib.repositories.keys import account_pk, dealer_codes_key
    from infra.local.seed import NOW, STATUSES, TODAY, _invoice

    rng = random.Random(index)
    customer_no, dealer_account, dealer_code = f"X{index}C", f"X{index}D", f"BD{index}"
    pk = account_pk(COMPANY, customer_no)
    customer_login, records = account_records(customer_no, f"Bench customer {size}", "Retail",
                                              f"{index}c")
    dealer_login, dealer_records = account_records(dealer_account, f"Bench dealer {size}",
                                                   "Dealer", f"{index}d")
    records += dealer_records
    records.append(Dealer(COMPANY, dealer_code, name=f"Bench dealer {size}",
                          linked_customer_nos=[dealer_account], erp_updated_at=NOW))
    records.append(DealerLink(account_pk(COMPANY, dealer_account), dealer_code))
    records.append(DealerLink(*dealer_codes_key(account_pk(COMPANY, dealer_account)),
                              codes={dealer_code}))
    per_day = max(1, size // 2000)
    invoices = []
    for n in range(size):
        invoice_no = f"B{index}{n:06d}"
        day = TODAY - timedelta(days=n // per_day)
        open_ = n % 4 == 0
        lines = []
        for _ in range(rng.randint(1, 4)):
            part = rng.choice(parts)
            qty = rng.randint(1, 3)
            shipped = qty if not open_ or rng.random() < 0.5 else rng.randint(0, qty - 1)
            lines.append((part, qty, shipped, part.prices["retail"]))
        invoice = _invoice(COMPANY, invoice_no, customer_no, day, open_=open_,
                           status=STATUSES[(n // 4) % len(STATUSES)] if open_ else None,
                           dealer=dealer_code, location="LAKE" if n % 3 == 0 else "MAIN",
                           lines=lines, paid_cents=0 if open_ else 10 ** 9,
                           po=f"PO-{n}" if n % 5 == 0 else None)
        invoices.append(invoice)
        records.append(invoice)
        records.append(LedgerEntry(pk, f"{day.isoformat()}#{invoice_no}", kind="invoice",
                                   reference=invoice_no, amount_cents=invoice.total_cents,
                                   entry_date=day.isoformat(), erp_updated_at=NOW))
        if not open_:
            paid_on = min(day + timedelta(days=5), TODAY)
            records.append(LedgerEntry(pk, f"{paid_on.isoformat()}#P{invoice_no}", kind="payment",
                                       reference=invoice_no, amount_cents=-invoice.total_cents,
                                       entry_date=paid_on.isoformat(), erp_updated_at=NOW))
    first_day = TODAY - timedelta(days=(size - 1) // per_day + 1)
    records.append(LedgerEntry(pk, f"{first_day.isoformat()}#bf", kind="balance_forward",
                               reference="Balance forward", amount_cents=0,
                               entry_date=first_day.isoformat(), erp_updated_at=NOW))
    newest_open = invoices[0]
    records.append(Payment(COMPANY, f"{int(NOW.timestamp() * 1000):012x}bench{index:06d}",
                           customer_no=customer_no, customer_pk=pk, user_id="bench",
                           method="card", status="approved", amount_cents=1000,
                           allocations={newest_open.invoice_no: 1000},
                           masked_account="************4242", unapplied_pk=pk,
                           created_at=NOW, updated_at=NOW))
    # The account's reservation item holds it, as a confirm in the portal writes it: the
    # balance pages read the unapplied portal payments from there (docs/payments.md).
    records.append(PaymentReservations(pk, holds={records[-1].payment_id: payments_repo.hold_of(records[-1])},
                                       version=1))
    newest = [inv.invoice_no for inv in invoices[:60]]
    for unit in range(3):
        records.append(Equipment(pk, f"BENCH-{index}-{unit}", make="Whirlpool", model=f"WB{unit}",
                                 description="Washer", location_id="MAIN",
                                 purchased_on="2023-04-18", installed_on="2023-04-20",
                                 warranty_ends_on="2027-04-20", invoice_nos=newest[unit::3]))
    return {"size": size, "customer_login": customer_login, "dealer_login": dealer_login,
            "customer_no": customer_no, "open_invoice": newest_open.invoice_no,
            "records": records}


def write(records):
    by_model = {}
    for record in records:
        by_model.setdefault(type(record), []).append(record)
    for model, items in by_model.items():
        with model.batch_write() as batch:
            for item in items:
                batch.save(item)


# --------------------------------------------------------------------- floor
def floor_app():
    """Same middleware as the app; one GetItem and base.html with minimal content."""
    from chalice import Chalice

    from chalicelib.models import Company
    from chalicelib.web.middleware import portal_pipeline
    from chalicelib.web.pages import page

    floor = Chalice(app_name="floor")
    floor.register_middleware(portal_pipeline, "http")

    @floor.route("/floor", methods=["GET"])
    def floor_page():
        request = floor.current_request
        company = Company.get(request.portal_state.company.company_id)
        # error.html = base.html (masthead, menu, footer) + a heading and one line.
        return page(request, "error.html", title="Floor", message=company.name)

    return floor


# ---------------------------------------------------------------------- main
# (label, who, path template, gated): who is "customer" or "dealer"; a gated
# page must make the same calls at every size and read the same items at the
# two largest sizes.
PAGES = [
    ("/orders (Current Orders)", "customer", "/orders", True),
    ("/orders?status=Ready", "customer", "/orders?status=Ready", False),
    ("/history", "customer", "/history", True),
    ("/orders/{no} (open, pending payment)", "customer", "/orders/{open_invoice}", True),
    ("/open-parts", "customer", "/open-parts", True),
    ("/account (open AR)", "customer", "/account", True),
    ("/account/history (last 365 days)", "customer", "/account/history", True),
    # reads every open invoice (1 Query per MB): items read grow with the account, calls do not
    ("/statements", "customer", "/statements", False),
    ("/purchases", "customer", "/purchases", True),
    ("/equipment", "customer", "/equipment", True),
    ("/search/{no} (audited)", "customer", "/search/{open_invoice}", True),
    ("/dealer/orders", "dealer", "/dealer/orders", True),
    ("/dealer/history", "dealer", "/dealer/history", True),
    ("/dealer/customers/{customer_no}", "dealer", "/dealer/customers/{customer_no}", True),
    ("/dealer/orders/{no}", "dealer", "/dealer/orders/{open_invoice}", True),
]


def measure_size(size, index, args):
    """One moto world: demo seed + the bench accounts of one size; every page timed."""
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import clock, dynamo_metrics
        from chalicelib.models import Invoice, LedgerEntry
        from chalicelib.services import passwords, tenant
        from infra.local import seed
        from infra.resources import create_all

        started = time.perf_counter()
        create_all(domains=[spec["primary"] for spec in seed.COMPANIES])
        seed.seed()
        if PASSWORD_HASH[0] is None:
            PASSWORD_HASH[0] = passwords.hash_password(PASSWORD)
        account = customer_data(index, size, seed._parts(COMPANY, 300))
        write(account.pop("records"))
        from chalicelib.repositories import ar_totals  # written in bulk: count them once, as the seed does
        ar_totals.rebuild(COMPANY, account["customer_no"])
        seeded = time.perf_counter() - started
        # moto keeps every table in this process: tens of thousands of objects a
        # full collection would walk whenever our allocations trigger one.  In
        # Lambda that heap does not exist, so it is frozen out of the collector.
        gc.collect()
        gc.freeze()

        # Steady state only: no session touch (clock frozen at sign-in time) and
        # no tenant-cache refill during the run; both are measured by page_calls.py.
        real_now, real_cache = clock.now, tenant.CACHE_SECONDS
        frozen = clock.now()
        clock.now = lambda: frozen
        tenant.CACHE_SECONDS = 10 ** 9
        tenant.forget()
        try:
            client = Client(app, stage_name="local", project_dir=str(PROJECT_DIR))
            floor_client = Client(floor_app(), stage_name="local", project_dir=str(PROJECT_DIR))
            account["customer"] = sign_in(client, dynamo_metrics, account["customer_login"])
            account["dealer"] = sign_in(client, dynamo_metrics, account["dealer_login"])
            targets = [("floor", floor_client, account["customer"], "/floor")]
            targets += [(label, client, account[who], template.format(**account))
                        for label, who, template, _gated in PAGES]
            timed = args.requests if size <= args.time_max else args.large_requests
            # Two warm-up rounds (Jinja's template cache, the tenant cache), then
            # timed rounds; each round requests every target once, so drift in
            # the machine's speed spreads evenly over the pages and the floor.
            results = {}
            started = time.perf_counter()
            for round_no in range(timed + 2):
                for label, target_client, headers, path in targets:
                    measured = request(target_client, dynamo_metrics, "GET", path, headers)
                    if measured.status != 200:
                        raise SystemExit(f"GET {path} ({size} invoices) answered "
                                         f"{measured.status}")
                    if round_no >= 2:
                        results.setdefault(label, []).append(measured)
            elapsed = time.perf_counter() - started
            counts = (Invoice.count(), LedgerEntry.count())  # DescribeTable item counts
        finally:
            clock.now, tenant.CACHE_SECONDS = real_now, real_cache
            tenant.forget()
            gc.unfreeze()
    print(f"{size:>6,} invoices: tables invoices {counts[0]:,} / ledger {counts[1]:,} items, "
          f"seeded in {seeded:.1f} s; {len(targets) * (timed + 2)} requests in {elapsed:.1f} s "
          f"(medians of {timed})", flush=True)
    return results, timed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20,
                        help="timed requests per page for accounts up to --time-max invoices")
    parser.add_argument("--large-requests", type=int, default=3,
                        help="timed requests per page for larger accounts (moto is slow there)")
    parser.add_argument("--time-max", type=int, default=1000,
                        help="largest account timed with --requests (~1,000 items: moto sorts whole tables)")
    parser.add_argument("--sizes", default="10,1000,10000",
                        help="invoices of the bench customer, one fresh moto world per size")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    results, timed = {}, {}
    for index, size in enumerate(sizes, start=1):
        results[size], timed[size] = measure_size(size, index, args)
    floor_own = {size: statistics.median(r.own for r in results[size]["floor"]) for size in sizes}
    floor = results[sizes[0]]["floor"][0]
    print(f"\nfloor: GET /floor (middleware + Company.get + error.html): {floor.calls} calls, "
          f"{floor.items} items; own ms per run: "
          + ", ".join(f"{ms(floor_own[s])} ({s:,})" for s in sizes))

    width = max(len(label) for label, *_ in PAGES)
    print("\nDynamoDB calls / items read / rows shown per request, by account size "
          "(invoices of the signed-in customer; the dealer is the dealer on all of them)")
    print(f"{'page':<{width}}  " + "  ".join(f"{f'{s:,} inv':>16}" for s in sizes) + "  verdict")
    ok = True
    for label, _who, _template, gated in PAGES:
        cells, calls_seen, items_at = [], set(), []
        for size in sizes:
            runs = results[size][label]
            calls = sorted({r.calls for r in runs})
            items = sorted({r.items for r in runs})
            calls_seen.update(calls)
            items_at.append(tuple(items))
            cells.append(f"{'/'.join(map(str, calls))} / {'/'.join(map(str, items))} / "
                         f"{runs[0].rows}")
        constant = len(calls_seen) == 1 and (len(items_at) < 2 or items_at[-1] == items_at[-2])
        if gated:
            verdict = "constant" if constant else "GROWS"
            ok = ok and constant
        else:
            verdict = "constant" if constant else "bounded (filter: <= 5 calls)"
        print(f"{label:<{width}}  {'  '.join(f'{c:>16}' for c in cells)}  {verdict}")

    timing = [s for s in sizes if s <= args.time_max] or sizes[:1]
    gate_size = timing[-1]
    print(f"\nOur own time per request, ms (median) and ratio to the floor of the same run; "
          f"target <= {TARGET_RATIO} at {gate_size:,} invoices (50-row pages)")
    print(f"{'page':<{width}}  " + "  ".join(
        f"{f'{s:,} inv ({timed[s]})':>17}" for s in sizes)
        + f"  {'moto ms':>8}  {'total ms':>8}  at {gate_size:,}")
    over = []
    for label, *_ in PAGES:
        cells = []
        for size in sizes:
            own = statistics.median(r.own for r in results[size][label])
            cells.append(f"{ms(own):>7} {own / floor_own[size]:6.2f}x")
        gate_runs = results[gate_size][label]
        ratio = statistics.median(r.own for r in gate_runs) / floor_own[gate_size]
        if ratio > TARGET_RATIO:
            over.append(label)
        print(f"{label:<{width}}  {'  '.join(f'{c:>17}' for c in cells)}  "
              f"{ms(statistics.median(r.dynamo for r in gate_runs)):>8}  "
              f"{ms(statistics.median(r.total for r in gate_runs)):>8}  "
              f"{'over' if ratio > TARGET_RATIO else 'ok'}")

    print(f"\nDynamoDB operations per page ({sizes[-1]:,} invoices)")
    for label, *_ in PAGES:
        ops = results[sizes[-1]][label][0].operations
        print(f"{label:<{width}}  " + ", ".join(
            f"{op} {table.replace('portal-', '')}" for op, table in ops))
    over_budget = sorted({label for size in sizes for label, *_ in PAGES
                          if max(r.calls for r in results[size][label]) > MAX_CALLS
                          and (label not in WHOLE_ACCOUNT or size <= WHOLE_ACCOUNT_SIZE)})
    print(f"\ncalls and items read: {'constant' if ok else 'NOT constant'} for every gated page"
          f"\npages over {MAX_CALLS} DynamoDB calls: {', '.join(over_budget) or 'none'}"
          f"\nown time over {TARGET_RATIO}x the floor at {gate_size:,} invoices: "
          f"{', '.join(over) if over else 'none'}")
    return 0 if ok and not over_budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
