"""Admin-API batch upserts: DynamoDB calls and time per batch of 500 invoices (3 lines each),
on moto in-process, against the cheapest correct baseline in the same run.

    .venv/bin/python bench/api_batch.py [--batches 4]

API: POST /api/v1/companies/abc/invoices through `chalice.test.Client` (the real
middleware, token check, validation, stale rule and auto-credentials check).
Baseline: plain boto3 `put_item` of the same items (as the API stores them) with the same
stale condition (`attribute_not_exists(erp_updated_at) OR erp_updated_at < :t`), one call
per record, to the same in-process moto.  Prints records/s of each and the ratio; then
re-sends the first batch (every record "unchanged") and a stale batch.  "own ms" = wall time
minus time inside DynamoDB calls (moto's cost is not ours).
"""
import argparse
import json
import time

from _bench import PROJECT_DIR  # noqa: F401,E402  (first: the moto-only environment)
from moto import mock_aws  # noqa: E402

RECORDS = 500


def invoices(start, updated_at="2026-11-20T10:00:00Z"):
    return [{"invoice_no": f"B{n:07d}", "customer_no": f"C{n % 700:04d}",
             "invoice_date": "2026-11-02", "due_date": "2026-12-02", "state": "open",
             "status": "Scheduled", "subtotal": "75.00", "tax": "5.44", "total": "80.44",
             "balance": "80.44", "updated_at": updated_at,
             "lines": [{"line_no": i, "part_no": f"WP{i}", "description": "Door gasket",
                        "qty_ordered": 2, "qty_shipped": 1, "qty_backordered": 1,
                        "price": "12.50"} for i in (1, 2, 3)]}
            for n in range(start, start + RECORDS)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=4)
    args = parser.parse_args()
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import aws, dynamo_metrics
        from chalicelib.contract.schemas import InvoiceRecord
        from chalicelib.models import Company, Invoice
        from chalicelib.services import api_tokens, erp_import
        from infra.resources import create_all

        create_all(domains=["localhost"])
        Company("abc", name="Bench", primary_domain="localhost",
                created_at=erp_import.now(), updated_at=erp_import.now()).save()
        _, token = api_tokens.create("company", "abc", "bench")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(records):
            body = json.dumps({"records": records})
            started = time.perf_counter()
            response = client.http.post("/api/v1/companies/abc/invoices", headers=headers,
                                        body=body)
            wall = time.perf_counter() - started
            calls = dynamo_metrics.current()
            assert response.status_code == 200, response.body[:300]
            summary = json.loads(response.body)["summary"]
            return wall, calls.count, calls.seconds, summary

        with Client(app, stage_name="local") as client:
            api_wall, rows = 0.0, []
            for b in range(args.batches):
                wall, count, dynamo, summary = post(invoices(b * RECORDS))
                api_wall += wall
                rows.append((wall, count, dynamo, summary["created"]))
            again = post(invoices(0))
            stale = post(invoices(0, updated_at="2026-11-01T00:00:00Z"))

        # Baseline: the same items, one conditional put each, boto3 straight to moto.
        ctx = erp_import.Context(company=Company.get("abc"), now=erp_import.now())
        items = [erp_import._invoice(InvoiceRecord.model_validate(r), ctx)
                 for b in range(args.batches) for r in invoices(100_000 + b * RECORDS)]
        dynamodb = aws.client("dynamodb")
        table = Invoice.Meta.table_name
        started = time.perf_counter()
        for item in items:
            serialized = item.serialize()
            dynamodb.put_item(
                TableName=table, Item=serialized,
                ConditionExpression="attribute_not_exists(erp_updated_at) OR erp_updated_at < :t",
                ExpressionAttributeValues={":t": serialized["erp_updated_at"]})
        base_wall = time.perf_counter() - started

    total = args.batches * RECORDS
    print(f"batches of {RECORDS} invoices (3 lines each), {args.batches} batches, moto in-process")
    print(f"{'batch':>6} {'wall ms':>9} {'dynamodb calls':>15} {'own ms':>8} {'created':>8}")
    for n, (wall, count, dynamo, created) in enumerate(rows, 1):
        print(f"{n:>6} {wall * 1000:>9.0f} {count:>15} {(wall - dynamo) * 1000:>8.0f} {created:>8}")
    for name, (wall, count, dynamo, summary) in (("resend", again), ("stale", stale)):
        outcome = "unchanged" if name == "resend" else "skipped_stale"
        print(f"{name:>6} {wall * 1000:>9.0f} {count:>15} {(wall - dynamo) * 1000:>8.0f} "
              f"{summary[outcome]:>8} {outcome}")
    api_rate, base_rate = total / api_wall, total / base_wall
    print(f"API      {api_rate:8.0f} records/s")
    print(f"baseline {base_rate:8.0f} records/s  (boto3 conditional put_item per record)")
    print(f"ratio    {api_rate / base_rate:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
