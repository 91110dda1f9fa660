"""Dealer Administration: retrieve customers with a name prefix among up to 50,000.

    .venv/bin/python bench/admin.py [--sizes 2000,10000,50000] [--requests 10]
                                    [--large-requests 3] [--time-max 10000]

For each size, in a fresh moto world (`mock_aws`, in-process): the demo seed,
then that many extra customers of company `abc` (one location each, names
spread over ten first words, every portal status), written with the admin-list
summary they carry in production.  admin@example.com signs in through the real
app and requests:

- `retrieve ?name=<prefix>`: the first page of 100 rows of a name prefix
  (one Query on the `by_name` index, Limit 100);
- `retrieve + status filter`: the same prefix with a post-retrieve filter
  (portal status "invited", 1 customer in 8): the server-side FilterExpression
  reads at most 10 × 100 items a request and says when it stopped early;
- `retrieve, 2nd page`: the cursor of the first page.

Printed per request and size: DynamoDB calls, items read (ScannedCount of a
Query, Item of a GetItem, Responses of a BatchGetItem) and rows shown, and our
own time (wall time minus time inside DynamoDB calls, median) as a ratio to the
floor of bench/pages.py (same middleware, one Company.get, error.html) measured
in the same moto world.  Exit status 1 if the calls or items read of the first
page of 100 rows differ between sizes (they must not grow with the customers).
"""
import argparse
import random
import re
import statistics
import time
from datetime import datetime, timezone

import _bench  # noqa: F401  (first: environment, items-read counting)
from _bench import PROJECT_DIR, sign_in  # noqa: E402
from _bench import request as _request  # noqa: E402
from moto import mock_aws  # noqa: E402
from pages import floor_app  # noqa: E402  (bench/pages.py: the shared floor)

WORDS = ["alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ironwood",
         "juniper"]
PREFIX = "ced"  # one name word in ten: 200 matches at 2,000 customers, 5,000 at 50,000
STATUSES = ["not_invited", "not_invited", "not_invited", "invited", "activated", "confirmed",
            "confirmed", "inactive"]
NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
ROW = re.compile(r"<tr data-row-menu=")


class Measured(_bench.Measured):
    def __init__(self, response, total, log, items, tables):
        super().__init__(response, total, log, items, tables)
        body = response.body.decode() if isinstance(response.body, bytes) else str(response.body)
        self.rows = len(ROW.findall(body))
        match = re.search(r'after=([A-Za-z0-9_-]+)"[^>]*rel="next"', body)
        self.cursor = match.group(1) if match else None


def request(client, dynamo_metrics, path, headers):
    return _request(client, dynamo_metrics, "GET", path, headers, measured=Measured)


def customers(size):
    from chalicelib.models import Customer
    from chalicelib.repositories.keys import account_pk

    rng = random.Random(size)
    for n in range(size):
        customer_no = f"B{n:06d}"
        name = f"{WORDS[n % len(WORDS)].title()} {rng.choice(['Farms', 'Diner', 'Homes', 'Supply'])} {n}"
        status = STATUSES[(n // len(WORDS)) % len(STATUSES)]
        yield Customer(account_pk("abc", customer_no), "MAIN", company_id="abc",
                       customer_no=customer_no, name=name,
                       name_key=f"{name.lower()}#{customer_no}#MAIN", location_name="Main",
                       city=rng.choice(["Springfield", "Peoria", "Decatur"]), state="IL",
                       erp_active=n % 17 != 0, contact_emails=rng.randint(0, 3),
                       portal_status=status, email_bounced=n % 50 == 0,
                       last_invited_at=NOW if status != "not_invited" else None)


def measure(size, args):
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import clock, dynamo_metrics
        from chalicelib.models import Customer
        from chalicelib.services import tenant
        from infra.local import seed
        from infra.resources import create_all

        started = time.perf_counter()
        create_all(domains=[spec["primary"] for spec in seed.COMPANIES])
        seed.seed()
        with Customer.batch_write() as batch:
            for customer in customers(size):
                batch.save(customer)
        seeded = time.perf_counter() - started
        real_now, real_cache = clock.now, tenant.CACHE_SECONDS
        frozen = clock.now()
        clock.now = lambda: frozen  # steady state: no session touch during the run
        tenant.CACHE_SECONDS = 10 ** 9
        tenant.forget()
        try:
            client = Client(app, stage_name="local", project_dir=str(PROJECT_DIR))
            floor_client = Client(floor_app(), stage_name="local", project_dir=str(PROJECT_DIR))
            headers = sign_in(client, dynamo_metrics, "admin@example.com", seed.DEMO_PASSWORD)[2]
            base = f"/admin/customers?retrieve=1&name={PREFIX}"
            first = request(client, dynamo_metrics, base, headers)
            assert first.status == 200 and first.cursor, first.status
            targets = [("floor", floor_client, "/floor"),
                       ("retrieve ?name=" + PREFIX, client, base),
                       ("retrieve + status filter", client, base + "&status=invited"),
                       ("retrieve, 2nd page", client, f"{base}&after={first.cursor}")]
            timed = args.requests if size <= args.time_max else args.large_requests
            results = {}
            for round_no in range(timed + 1):
                for label, target, path in targets:
                    measured = request(target, dynamo_metrics, path, headers)
                    if measured.status != 200:
                        raise SystemExit(f"GET {path} ({size:,} customers): {measured.status}")
                    if round_no >= 1:
                        results.setdefault(label, []).append(measured)
            table_items = Customer.count()
        finally:
            clock.now, tenant.CACHE_SECONDS = real_now, real_cache
            tenant.forget()
    print(f"{size:>7,} extra customers ({table_items:,} customer items), seeded in "
          f"{seeded:.1f} s, medians of {timed}", flush=True)
    return results


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000,50000")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--large-requests", type=int, default=3)
    parser.add_argument("--time-max", type=int, default=10000)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = {size: measure(size, args) for size in sizes}

    labels = [label for label in results[sizes[0]] if label != "floor"]
    width = max(map(len, labels))
    print("\nDynamoDB calls / items read / rows shown per request, by number of customers")
    print(f"{'request':<{width}}  " + "  ".join(f"{f'{s:,}':>16}" for s in sizes))
    ok = True
    for label in labels:
        cells, seen = [], set()
        for size in sizes:
            runs = results[size][label]
            key = (sorted({r.calls for r in runs}), sorted({r.items for r in runs}))
            seen.add(str(key))
            cells.append(f"{'/'.join(map(str, key[0]))} / {'/'.join(map(str, key[1]))} / "
                         f"{runs[0].rows}")
        verdict = "constant" if len(seen) == 1 else "varies"
        if label.startswith("retrieve ?name") and len(seen) != 1:
            ok = False
            verdict = "GROWS"
        print(f"{label:<{width}}  {'  '.join(f'{c:>16}' for c in cells)}  {verdict}")
    print("\nOperations of the first page:", results[sizes[-1]][labels[0]][0].op_summary())

    print("\nOur own time per request, ms (median) and ratio to the floor of the same run")
    print(f"{'request':<{width}}  " + "  ".join(f"{f'{s:,}':>16}" for s in sizes) + "   moto ms")
    for label in ["floor"] + labels:
        cells = []
        for size in sizes:
            own = statistics.median(r.own for r in results[size][label])
            floor = statistics.median(r.own for r in results[size]["floor"])
            cells.append(f"{ms(own):>8} {own / floor:5.2f}x")
        moto = statistics.median(r.dynamo for r in results[sizes[-1]][label])
        print(f"{label:<{width}}  {'  '.join(f'{c:>16}' for c in cells)}  {ms(moto):>8}")
    print("\nfirst page of 100 rows: calls and items read "
          + ("constant at every size: OK" if ok else "GROW with the customers: FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
