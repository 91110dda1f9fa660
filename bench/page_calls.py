"""DynamoDB calls per page, and our own time per request, on moto in-process.

    .venv/bin/python bench/page_calls.py [--requests 30] [--sizes 1000,5000]

Signs in as the demo retail user on Host localhost through `chalice.test.Client`
(the real middleware, routes and templates), then requests GET / and prints, per
request, the DynamoDB calls the app made (from `chalicelib.dynamo_metrics`, the
same figures the request log line carries) and the items DynamoDB returned.
It then adds extra Part and Invoice items for company abc and shows that the
calls and items read by GET / do not grow with the data size (docs/data-model.md "Rules").

Time: moto answers a Query by sorting the whole table, so wall time on moto
grows with data for reasons that are not ours.  "own ms" is the request's wall
time minus the time spent inside DynamoDB calls (median over --requests
requests); "moto ms" is shown for information only.
"""
import argparse
import statistics
import time
from datetime import date, timedelta

from _bench import HOST, PROJECT_DIR, request  # noqa: E402  (first: environment, items-read counting)
from _bench import sign_in as sign_in_as  # noqa: E402
from moto import mock_aws  # noqa: E402

LOGIN = "retail@example.com"
PASSWORD = "demo-portal-1"


def sign_in(client, dynamo_metrics):
    return sign_in_as(client, dynamo_metrics, LOGIN, PASSWORD)


def home(client, dynamo_metrics, headers):
    measured = request(client, dynamo_metrics, "GET", "/", headers)
    assert measured.status == 200, f"GET / answered {measured.status}"
    assert b"Welcome" in measured.response.body
    return measured


def series(client, dynamo_metrics, headers, count):
    return [home(client, dynamo_metrics, headers) for _ in range(count)]


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def add_data(extra: int, start: int):
    """`extra` more Part items and `extra` more Invoice items (for C1001) of company abc."""
    from chalicelib.models import Invoice, Part
    from chalicelib.repositories.keys import account_pk, invoice_pk
    from infra.local.seed import NOW

    first_day = date(2020, 1, 1)
    with Part.batch_write() as batch:
        for n in range(start, start + extra):
            batch.save(Part("abc", f"XB{n:07d}", description=f"Bench part {n}",
                            prices={"retail": 1000 + n % 500}, qty_available=n % 7,
                            erp_updated_at=NOW))
    with Invoice.batch_write() as batch:
        for n in range(start, start + extra):
            invoice_no = f"B{n:07d}"
            day = (first_day + timedelta(days=n % 2000)).isoformat()
            open_ = n % 4 == 0
            state = "open" if open_ else "closed"
            batch.save(Invoice(
                invoice_pk("abc", invoice_no), company_id="abc", invoice_no=invoice_no,
                customer_no="C1001", customer_pk=account_pk("abc", "C1001"),
                location_id="MAIN", state=state, state_key=f"{state}#{day}#{invoice_no}",
                date_key=f"{day}#{invoice_no}",
                invoice_date=day, due_date=day, total_cents=5000, balance_cents=5000 if open_ else 0,
                ar_pk=account_pk("abc", "C1001") if open_ else None,
                due_key=f"{day}#{invoice_no}" if open_ else None, erp_updated_at=NOW))


def table_counts():
    from chalicelib.models import Invoice, Part
    # A COUNT Query of abc's partition, and DescribeTable's item count: no Scan.
    return Part.count("abc"), Invoice.count()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per timing series")
    parser.add_argument("--sizes", default="1000,5000",
                        help="extra Part (and Invoice) items of company abc, cumulative totals")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import clock, dynamo_metrics
        from chalicelib.services import tenant
        from infra.local import seed
        from infra.resources import create_all

        create_all(domains=[spec["primary"] for spec in seed.COMPANIES])
        counts = seed.seed()
        print(f"seeded demo data: {sum(counts.values())} items "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
        tenant.forget()
        client = Client(app, stage_name="local", project_dir=str(PROJECT_DIR))

        # ---------------------------------------------------------- pages
        login_page, login_post, headers = sign_in(client, dynamo_metrics)
        home(client, dynamo_metrics, headers)  # warm Jinja's template cache
        warm = home(client, dynamo_metrics, headers)
        tenant.forget()
        cold = home(client, dynamo_metrics, headers)
        real_now = clock.now
        clock.now = lambda: real_now() + 61  # last_seen is over a minute old
        try:
            touched = home(client, dynamo_metrics, headers)
        finally:
            clock.now = real_now
        after_touch = home(client, dynamo_metrics, headers)
        anonymous = request(client, dynamo_metrics, "GET", "/login", {"Host": HOST})
        stale = request(client, dynamo_metrics, "GET", "/", {
            "Host": HOST, "Cookie": "portal_session=no-such-session"})
        assert stale.status == 303, f"GET / with a stale cookie answered {stale.status}"

        rows = [
            ("GET /login (anonymous, tenant cache cold)", login_page),
            ("POST /login (sign-in, argon2 verify)", login_post),
            ("GET / (signed in, steady state)", warm),
            ("GET / (tenant cache expired)", cold),
            ("GET / (session touch due, > 60 s)", touched),
            ("GET / (next request)", after_touch),
            ("GET /login (anonymous, tenant cached)", anonymous),
            ("GET / (stale session cookie -> 303)", stale),
        ]
        width = max(len(label) for label, _ in rows)
        print()
        print("DynamoDB calls per page (Host localhost, retail@example.com, abc/C1001)")
        print(f"{'page':<{width}}  status  calls  items  operations")
        for label, m in rows:
            print(f"{label:<{width}}  {m.status:>6}  {m.calls:>5}  {m.items:>5}  {m.op_summary()}")

        # --------------------------------------------- growth with data size
        figures = []
        parts, invoices = table_counts()
        runs = series(client, dynamo_metrics, headers, args.requests)
        figures.append((parts, invoices, runs))
        added = 0
        for size in sizes:
            if size > added:
                started = time.perf_counter()
                add_data(size - added, added)
                added = size
                print(f"\nadded extra items up to {size} Part + {size} Invoice "
                      f"({time.perf_counter() - started:.1f} s in moto)", end="")
            tenant.forget()
            home(client, dynamo_metrics, headers)  # refill the tenant cache
            parts, invoices = table_counts()
            runs = series(client, dynamo_metrics, headers, args.requests)
            figures.append((parts, invoices, runs))
        print("\n")
        print(f"GET / steady state vs data size (median of {args.requests} requests each)")
        print("(invoices: the whole table; the extra ones are the signed-in account's, abc/C1001)")
        print(f"{'abc parts':>9}  {'invoices':>8}  {'calls':>5}  {'items':>5}  "
              f"{'own ms':>7}  {'moto ms':>7}  {'total ms':>8}  {'own p90':>7}")
        calls_seen, items_seen = set(), set()
        for parts, invoices, runs in figures:
            calls = sorted({r.calls for r in runs})
            items = sorted({r.items for r in runs})
            calls_seen.update(calls)
            items_seen.update(items)
            own = sorted(r.own for r in runs)
            p90 = own[min(len(own) - 1, int(len(own) * 0.9))]
            print(f"{parts:>9}  {invoices:>8}  {'/'.join(map(str, calls)):>5}  "
                  f"{'/'.join(map(str, items)):>5}  "
                  f"{ms(statistics.median(own)):>7}  "
                  f"{ms(statistics.median(r.dynamo for r in runs)):>7}  "
                  f"{ms(statistics.median(r.total for r in runs)):>8}  {ms(p90):>7}")
        constant = len(calls_seen) == 1 and len(items_seen) == 1
        print(f"\ncalls and items read per GET / across data sizes: "
              f"{'constant' if constant else 'NOT constant'} "
              f"(calls {sorted(calls_seen)}, items {sorted(items_seen)})")
        return 0 if constant else 1


if __name__ == "__main__":
    raise SystemExit(main())
