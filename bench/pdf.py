"""Invoice PDFs: render time of a 200-line invoice, and fpdf2 kept off the cold-start path.

    .venv/bin/python bench/pdf.py [--renders 20] [--runs 5]

1. Import cost, each the median of --runs fresh interpreters (`python -X importtime`):
   `import app` alone, and `import app` followed by what the first PDF request
   imports (`chalicelib.pdf` and, inside its renderer, fpdf2 with Pillow and fontTools).
   Exit status 1 if `import app` loads fpdf, PIL or fontTools.
2. Render time (in this process, after a warm-up render): `chalicelib.pdf.render_invoice`
   of a 200-line invoice with the demo logo, median and p90 of --renders, against a floor
   measured the same way in the same run: the same invoice with 1 line.
3. Downloads through the real app (chalice.test.Client, moto in-process, demo seed):
   GET /orders/{invoice}/pdf of a 200-line invoice twice: the first renders and stores the
   PDF, the second finds it (HeadObject) and only presigns.  Objects stored are counted;
   exit status 1 unless exactly one was stored.
"""
import argparse
import statistics
import sys
import time

import _bench  # noqa: F401  (moto-only environment; must come before chalicelib)
from import_time import importtime

PDF_ROOTS = ("fpdf", "PIL", "fontTools", "defusedxml")
FIRST_PDF = "import app; from chalicelib import pdf; pdf._document_class()"


def cold_imports(runs: int):
    """(ms of `import app`, ms of `import app` + the PDF path, PDF modules loaded by app)."""
    app_ms, with_pdf_ms, leaked = [], [], set()
    for _ in range(runs):
        rows = importtime("import app")
        app_ms.append(sum(c for _n, _s, c, depth in rows if depth == 0) / 1000)
        leaked |= {n for n, *_ in rows if n.split(".")[0] in PDF_ROOTS}
        rows = importtime(FIRST_PDF)
        with_pdf_ms.append(sum(c for _n, _s, c, depth in rows if depth == 0) / 1000)
    return statistics.median(app_ms), statistics.median(with_pdf_ms), sorted(leaked)


def invoice_document(lines: int):
    from datetime import datetime, timezone

    from chalicelib.models import Company, Invoice, InvoiceLine, Theme
    from chalicelib.services import documents, orders

    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    company = Company("abc", name="ABC Appliance Service", primary_domain="localhost",
                      theme=Theme(primary_color="#1f4e79", logo_key="abc/logo.png"),
                      support_phone="(555) 010-2000", created_at=now, updated_at=now)
    items = [InvoiceLine(line_no=n, part_no=f"WP{10000 + n}",
                         description=("Door gasket for front-load washer, white, with clamp "
                                      "ring and drain hose adapter kit" if n % 7 == 0
                                      else f"Drain pump {n}"),
                         qty_ordered=2, qty_shipped=1, qty_backordered=1, price_cents=2500 + n,
                         extension_cents=2 * (2500 + n)) for n in range(1, lines + 1)]
    subtotal = sum(line.extension_cents for line in items)
    invoice = Invoice("abc#W1", company_id="abc", invoice_no="W1", customer_no="C1001",
                      customer_pk="abc#C1001", state="open", state_key="open#2026-11-01#W1",
                      date_key="2026-11-01#W1", invoice_date="2026-11-01", due_date="2026-12-01",
                      po_number="PO-4400", ship_to="1200 Oak St, Springfield IL",
                      equipment_serial="WM-48213-A", dealer_code="DLR01", lines=items,
                      subtotal_cents=subtotal, tax_cents=round(subtotal * 0.0725),
                      total_cents=subtotal + round(subtotal * 0.0725),
                      balance_cents=subtotal, erp_updated_at=now)
    return documents.invoice_document(company, orders.Detail(invoice, subtotal),
                                      "Rita's Kitchen & Laundry")


def render_times(lines: int, renders: int, logo: bytes):
    from chalicelib import pdf

    document = invoice_document(lines)
    times, size, pages = [], 0, 0
    for _ in range(renders):
        started = time.perf_counter()
        body = pdf.render_invoice(document, logo)
        times.append((time.perf_counter() - started) * 1000)
        size, pages = len(body), body.count(b"/Type /Page\n")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], size, pages


def downloads():
    """Own ms of the first (render + store) and second (found) download, objects stored."""
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        from app import app
        from chalicelib import aws, config, dynamo_metrics
        from infra.local.seed import DEMO_PASSWORD, seed
        from infra.resources import create_all

        create_all(domains=["localhost"])
        seed()
        from chalicelib.models import Invoice

        invoice = Invoice.get("abc#W10000")
        invoice.lines = [line for _ in range(200 // len(invoice.lines) + 1)
                         for line in invoice.lines][:200]
        invoice.save()
        with Client(app, stage_name="local") as client:
            _, _, headers = _bench.sign_in(client, dynamo_metrics, "retail@example.com",
                                           DEMO_PASSWORD)
            answers = [_bench.request(client, dynamo_metrics, "GET", "/orders/W10000/pdf",
                                      headers) for _ in range(2)]
        listing = aws.client("s3").list_objects_v2(Bucket=config.documents_bucket(),
                                                   Prefix="abc/invoices/W10000/")
        return answers, listing.get("KeyCount", 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20, help="renders per figure")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per import")
    args = parser.parse_args(argv)

    app_ms, with_pdf_ms, leaked = cold_imports(args.runs)
    print(f"Python {sys.version.split()[0]}; import medians of {args.runs} fresh interpreters")
    print(f"import app                          {app_ms:8.1f} ms")
    print(f"import app + first PDF (fpdf2 ...)  {with_pdf_ms:8.1f} ms  "
          f"(+{with_pdf_ms - app_ms:.1f} ms paid only by a request that renders)")
    print(f"PDF modules loaded by `import app`: {', '.join(leaked) or 'none'}")
    print()

    logo = (_bench.PROJECT_DIR / "infra/local/demo/abc-logo.png").read_bytes()
    from chalicelib import pdf

    started = time.perf_counter()
    pdf.render_invoice(invoice_document(1), logo)  # warm-up: imports fpdf2 and Pillow
    first_ms = (time.perf_counter() - started) * 1000
    floor = render_times(1, args.renders, logo)
    full = render_times(200, args.renders, logo)
    print(f"render, medians of {args.renders} (first render in this process, with the "
          f"imports: {first_ms:.0f} ms)")
    print(f"{'invoice':<16}{'median ms':>10}{'p90 ms':>9}{'pages':>7}{'bytes':>9}")
    print(f"{'1 line (floor)':<16}{floor[0]:10.1f}{floor[1]:9.1f}{floor[3]:7d}{floor[2]:9,d}")
    print(f"{'200 lines':<16}{full[0]:10.1f}{full[1]:9.1f}{full[3]:7d}{full[2]:9,d}")
    print(f"ratio 200 lines / floor: {full[0] / floor[0]:.1f} x; "
          f"{(full[0] - floor[0]) / 199:.2f} ms per extra line")
    print()

    answers, stored = downloads()
    print("GET /orders/W10000/pdf (200 lines) through the app, moto in-process")
    for label, answer in zip(("first: render + store", "second: stored copy"), answers):
        print(f"  {label:<22} {answer.status}  {answer.own * 1000:7.1f} ms wall minus DynamoDB "
              f"(S3 in moto included)  DynamoDB calls {answer.calls}")
    print(f"  objects stored for the invoice: {stored}")
    return 1 if leaked or stored != 1 else 0


if __name__ == "__main__":
    raise SystemExit(main())
