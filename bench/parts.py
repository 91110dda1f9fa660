"""Parts Lookup search: DynamoDB calls and items read per search page, by catalogue size.

    .venv/bin/python bench/parts.py [--sizes 2000,20000]

For each size, in a fresh in-process moto world: company `bench` with that many parts
written straight into moto's table (index `by_number` key and one description-word token
per part, as the ERP import derives them), then the search service
(chalicelib/services/parts.py, the real repository) asked for: a number prefix page, its
next page, an exact number, one description word, two description words.  Calls and
items read must not grow with the catalogue (exit status 1 if they do); the number and
one-word pages must take ≤ 3 calls.
"""
import argparse
import time

import _bench
from moto import mock_aws
from pynamodb.signals import pre_dynamodb_send

WORDS = ["pump", "belt", "filter", "gasket", "valve", "igniter", "motor", "switch"]
CALLS = []
pre_dynamodb_send.connect(lambda _s, operation_name=None, **_: CALLS.append(operation_name),
                          weak=False)


def fill(size):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.repositories.keys import part_number_key

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    parts, tokens = backend.get_table("portal-parts"), backend.get_table("portal-part-tokens")
    for n in range(size):
        number = f"W10{n:07d}"
        word = WORDS[n % len(WORDS)]
        parts.put_item({"company_id": {"S": "bench"}, "part_no": {"S": number},
                        "number_key": {"S": part_number_key(number)},
                        "description": {"S": f"washer {word} {n % 97}"},
                        "prices": {"M": {"list": {"N": "1999"}}},
                        "qty_available": {"N": str(n % 13)},
                        "erp_updated_at": {"S": "2026-11-20T00:00:00.000000+0000"}})
        tokens.put_item({"token_pk": {"S": f"bench#{word}"}, "part_no": {"S": number}})
        tokens.put_item({"token_pk": {"S": "bench#washer"}, "part_no": {"S": number}})


def measure(size):
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
        for label, text, cursor in [("number prefix 'w10 00'", "w10 00", None),
                                    ("number prefix, next page", "w10 00", "next"),
                                    ("exact number", "W10-0000123", None),
                                    ("one word 'pump'", "pump", None),
                                    ("two words 'washer pump'", "washer pump", None)]:
            CALLS.clear()
            _bench._items["read"] = 0
            t = time.perf_counter()
            page = parts.search(company, view, text, first.cursor if cursor else None)
            elapsed = time.perf_counter() - t
            if first is None:
                first = page
            rows[label] = (len(CALLS), _bench._items["read"], len(page.rows), elapsed)
    return rows, filled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for size in sizes:
        results[size], filled = measure(size)
        print(f"{size:,} parts written in {filled:.1f} s", flush=True)
    print("\ncalls / items read / rows shown per search page, by catalogue size")
    ok = True
    for label in results[sizes[0]]:
        cells = [results[s][label] for s in sizes]
        same = len({c[:3] for c in cells}) == 1
        bounded = "word" in label and "two" in label or cells[0][0] <= 3
        ok = ok and same and bounded
        print(f"{label:<28} " + "  ".join(f"{c[0]} / {c[1]:>3} / {c[2]:>2}" for c in cells)
              + ("  ok" if same and bounded else "  GROWS OR OVER BUDGET"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
