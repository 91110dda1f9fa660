"""Parts Lookup search, the cart and checkout: DynamoDB calls and items read.

    .venv/bin/python bench/parts.py [--sizes 2000,20000,200000] [--skip-search] [--skip-cart]

Search: for each size, in a fresh in-process moto world, company `bench` gets that many
parts, written with the repository's batch writer (chalicelib/repositories/dynamo.py
batch_write: Part items with their `by_number` key, and one PartToken per description
word, as the ERP import derives them); then the search service (chalicelib/services/parts.py,
the real repository) is asked for a number prefix page, its next page, an exact number, one
description word and two description words.  Calls, items read and rows must be the same at
every size, the number and one-word pages ≤ 3 calls and ≤ 2 pages of items, two words ≤ 4
calls and ≤ 400 items.

Cart and checkout: the demo data (infra/local/seed.py), `both@example.com` on pacific
(P5001, charge to account) through chalice.test.Client: GET /cart, GET /checkout, the
checkout POST (placed at once) and the order page; first with the seeded cart (once looked
at, so its one-time "prices changed" write is behind it), then after
60 more cart changes and a placed order (a long history), then with 40 lines.  Each step's
calls must not change between rounds and stay within its budget.

Exit status 1 when any of these is exceeded.
"""

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import _bench
from _bench import request
from moto import mock_aws
from pynamodb.signals import pre_dynamodb_send

WORDS = ["pump", "belt", "filter", "gasket", "valve", "igniter", "motor", "switch"]
CALLS: list = []
pre_dynamodb_send.connect(lambda _s, operation_name=None, **_: CALLS.append(operation_name), weak=False)
PAGE = 25
SEARCH_BUDGET = {  # label -> (calls, items read) at most
    "number prefix 'w10 00'": (3, 2 * PAGE),
    "number prefix, next page": (3, 2 * PAGE),
    "exact number": (3, 2 * PAGE),
    "one word 'pump'": (2, 2 * PAGE),
    "two words 'washer pump'": (4, 400),
}
# Calls per step, at most (measured 2026-11-30: see bench/README.md "parts.py").
CART_BUDGET = {
    "GET /cart": 3,
    "GET /checkout": 3,
    "POST /checkout (charge to account)": 9,
    "GET /parts-orders/{id}": 3,
}


# ------------------------------------------------------------------- search
def fill(size: int) -> None:
    """`size` parts of company `bench` and their word tokens, 25 a BatchWriteItem."""
    from chalicelib.models import Part
    from chalicelib.repositories.dynamo import batch_write
    from chalicelib.repositories.erp import part_tokens
    from chalicelib.repositories.keys import part_number_key, part_words

    updated = datetime(2026, 11, 20, tzinfo=UTC)

    def items():
        for n in range(size):
            number = f"W10{n:07d}"
            description = f"washer {WORDS[n % len(WORDS)]} {n % 97}"
            yield Part(
                "bench",
                number,
                number_key=part_number_key(number),
                description=description,
                prices={"list": 1999},
                qty_available=n % 13,
                erp_updated_at=updated,
            )
            yield from part_tokens("bench", number, part_words(description))

    chunk: list = []
    for item in items():
        chunk.append(item)
        if len(chunk) >= 5000:
            batch_write(chunk)
            chunk = []
    batch_write(chunk)


def measure_search(size: int):
    with mock_aws():
        from chalicelib.models import Company
        from chalicelib.services import parts
        from infra.resources import create_all

        create_all(domains=["localhost"])
        started = time.perf_counter()
        fill(size)
        filled = time.perf_counter() - started
        company = Company("bench", name="Bench", primary_domain="localhost")
        view = parts.view_for(company, None)
        rows = {}
        first = None
        for label, text, cursor in [
            ("number prefix 'w10 00'", "w10 00", None),
            ("number prefix, next page", "w10 00", "next"),
            ("exact number", "W10-0000123", None),
            ("one word 'pump'", "pump", None),
            ("two words 'washer pump'", "washer pump", None),
        ]:
            CALLS.clear()
            _bench._items["read"] = 0
            t = time.perf_counter()
            page = parts.search(company, view, text, first.cursor if cursor and first else None)
            elapsed = time.perf_counter() - t
            if first is None:
                first = page
            rows[label] = (len(CALLS), _bench._items["read"], len(page.rows), elapsed)
    return rows, filled


def search_bench(sizes: list[int]) -> bool:
    results = {}
    for size in sizes:
        results[size], filled = measure_search(size)
        print(f"{size:,} parts (+ their word tokens) written in {filled:.1f} s", flush=True)
    print("\ncalls / items read / rows shown per search page, by catalogue size")
    print(f"{'':<28} " + "  ".join(f"{s:>14,}" for s in sizes))
    ok = True
    for label, (max_calls, max_items) in SEARCH_BUDGET.items():
        cells = [results[s][label] for s in sizes]
        flat = len({c[:3] for c in cells}) == 1
        bounded = all(c[0] <= max_calls and c[1] <= max_items for c in cells)
        ok = ok and flat and bounded
        print(
            f"{label:<28} "
            + "  ".join(f"{c[0]:>3} / {c[1]:>3} / {c[2]:>2}" for c in cells)
            + ("  ok" if flat and bounded else f"  OVER (≤ {max_calls} calls, ≤ {max_items} items, flat)")
        )
    return ok


# --------------------------------------------------------- cart and checkout
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ORDER_ID = re.compile(r'name="order_id" value="([0-9a-f]{24})"')
CART_VERSION = re.compile(r'name="cart_version" value="(\d+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
DELIVERY = re.compile(r'name="delivery" value="([^"]+)"')


class Session:
    def __init__(self, client, metrics, headers):
        self.client, self.metrics, self.headers = client, metrics, headers
        self.post_headers = dict(
            headers, Origin=f"http://{headers['Host']}", **{"Content-Type": "application/x-www-form-urlencoded"}
        )

    def get(self, path):
        return request(self.client, self.metrics, "GET", path, self.headers)

    def post(self, path, fields, csrf_from):
        fields = dict(fields, csrf_token=CSRF.search(csrf_from).group(1))
        return request(self.client, self.metrics, "POST", path, self.post_headers, urlencode(fields).encode())


def part_numbers(count: int) -> list[str]:
    from chalicelib.models import Part

    return [p.part_no for p in Part.query("pacific", limit=count * 3) if not p.discontinued and not p.superseded_by][
        :count
    ]


def fill_cart(session: Session, numbers: list[str]) -> None:
    for number in numbers:
        page = session.get("/cart").response.body.decode()
        answer = session.post("/cart/add", {"part_no": number, "quantity": "1"}, page)
        assert answer.status in (303, 400), answer.status  # 400: not orderable at this level


def churn(session: Session, numbers: list[str], changes: int) -> None:
    """`changes` cart writes (add, change quantity, remove): a long history."""
    for n in range(changes):
        body = session.get("/cart").response.body.decode()
        number = numbers[n % len(numbers)]
        if n % 3 == 0:
            session.post("/cart/add", {"part_no": number, "quantity": "1"}, body)
        elif n % 3 == 1:
            version = VERSION.search(body)
            if version:
                session.post(
                    "/cart/update",
                    {"part_no": number, "quantity": "2", "version": version.group(1), "action": "change"},
                    body,
                )
        else:
            version = VERSION.search(body)
            if version:
                session.post("/cart/update", {"part_no": number, "version": version.group(1), "action": "remove"}, body)


def checkout_round(session: Session) -> list:
    cart = session.get("/cart")
    form = session.get("/checkout")
    body = form.response.body.decode()
    fields = {
        "order_id": ORDER_ID.search(body).group(1),
        "cart_version": CART_VERSION.search(body).group(1),
        "delivery": DELIVERY.search(body).group(1),
        "po_number": "PO-BENCH",
        "notes": "",
        "method": "account",
    }
    placed = session.post("/checkout", fields, body)
    assert placed.status == 303, (placed.status, placed.response.body.decode()[:2000])
    order = session.get(placed.response.headers["Location"])
    return [
        ("GET /cart", cart),
        ("GET /checkout", form),
        ("POST /checkout (charge to account)", placed),
        ("GET /parts-orders/{id}", order),
    ]


def cart_bench() -> bool:
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import dynamo_metrics
        from infra.local import seed
        from infra.resources import create_all

        create_all(domains=[h for spec in seed.COMPANIES for h in spec["hosts"]])
        started = time.perf_counter()
        seed.seed()
        print(f"\ndemo data seeded in {time.perf_counter() - started:.1f} s", flush=True)
        _bench.HOST = "pacific.localhost"  # sign_in() signs in on this host
        rounds = []
        with Client(app, stage_name="local") as client:
            _, _, headers = _bench.sign_in(client, dynamo_metrics, "both@example.com", seed.DEMO_PASSWORD)
            session = Session(client, dynamo_metrics, headers)
            numbers = part_numbers(40)
            # The seeded cart's prices changed since it was "added": the first look tells it and
            # remembers it (1 PutItem, once, docs/parts.md); the rounds start after it.
            session.get("/cart")
            rounds.append(("seeded cart (2 lines)", checkout_round(session)))
            fill_cart(session, numbers[:2])
            churn(session, numbers[:6], 60)
            fill_cart(session, numbers[6:8])
            rounds.append(("after 60 changes and an order", checkout_round(session)))
            fill_cart(session, numbers)
            rounds.append(("40 lines", checkout_round(session)))
    print("\ncalls / items read / own ms per step (both@example.com, pacific/P5001)")
    print(f"{'step':<38}" + "".join(f"{label:>34}" for label, _ in rounds))
    ok = True
    for index, step in enumerate(CART_BUDGET):
        cells = [steps[index][1] for _, steps in rounds]
        same = len({m.calls for m in cells}) == 1
        within = all(m.calls <= CART_BUDGET[step] for m in cells)
        ok = ok and same and within
        print(
            f"{step:<38}"
            + "".join(f"{m.calls:>18} / {m.items:>4} / {m.own * 1000:>6.1f}" for m in cells)
            + ("  ok" if same and within else f"  OVER (≤ {CART_BUDGET[step]} calls, the same every round)")
        )
    for label, steps in rounds:
        print(f"\n{label}:")
        for step, m in steps:
            print(f"  {step:<36} {m.op_summary()}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="catalogue sizes, e.g. 2000,20000,200000")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-cart", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    if not args.skip_search:
        ok = search_bench([int(s) for s in args.sizes.split(",")]) and ok
    if not args.skip_cart:
        ok = cart_bench() and ok
    print("\n" + ("all within budget" if ok else "OVER BUDGET"), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
