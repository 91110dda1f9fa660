"""Statements and invoice PDFs: access, presigned links, precedence, rendering once, content."""
import hashlib
import hmac
import io
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from pypdf import PdfReader

from chalicelib import aws, config
from chalicelib.models import LedgerEntry, Payment, Statement, WebAccess
from chalicelib.repositories.documents import DocumentStore
from chalicelib.repositories.keys import account_pk
from chalicelib.services import documents, orders, statements
from tests.support import NOW, link_dealer, make_invoice, make_user, set_pages, text

REPO = Path(__file__).resolve().parents[2]
LINES = [("WP100", "Door gasket for washer", 2, 1, 2500), ("WP200", "Drain pump", 1, 1, 8000)]


def sign_in_rita(browser, abc, **pages):
    set_pages(abc, **pages)
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")


def stored_keys(prefix=""):
    listing = aws.client("s3").list_objects_v2(Bucket=config.documents_bucket(), Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def download(response):
    """Follow the portal's redirect to S3 as a browser would (moto answers in-process)."""
    assert response.status_code in (302, 303), response.status_code
    fetched = requests.get(response.headers["Location"], timeout=10)
    assert fetched.status_code == 200
    return fetched


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def ledger(customer_no, *entries):
    for entry_date, kind, reference, cents in entries:
        LedgerEntry(account_pk("abc", customer_no), f"{entry_date}#{reference}", kind=kind,
                    reference=reference, amount_cents=cents, entry_date=entry_date,
                    erp_updated_at=NOW).save()


def portal_payment(payment_id, cents, created_at, allocations, customer_no="C1"):
    Payment("abc", payment_id, customer_no=customer_no,
            customer_pk=account_pk("abc", customer_no), user_id="u", method="card",
            status="approved", amount_cents=cents, allocations=allocations,
            masked_account="************4242", unapplied_pk=account_pk("abc", customer_no),
            created_at=created_at, updated_at=created_at).save()


# --- invoice PDFs -------------------------------------------------------------------------

def test_invoice_pdf_holds_the_number_lines_and_totals(browser, abc):
    portal_payment("p1", 2000, NOW, {"W1": 2000})
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES, balance=10000, po="PO-9")
    sign_in_rita(browser, abc)
    assert 'href="/orders/W1/pdf"' in text(browser.get("/orders/W1"))
    response = browser.get("/orders/W1/pdf")
    fetched = download(response)
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"] == \
        'attachment; filename="ABC-Appliance-Service-Invoice-W1.pdf"'
    content = pdf_text(fetched.content)
    for expected in ("ABC Appliance Service", "Invoice W1", "PO-9", "WP100",
                     "Door gasket for washer", "WP200", "Drain pump", "$25.00", "$50.00",
                     "$80.00", "Subtotal $130.00", "Total $130.00", "-$20.00",
                     "Balance due $80.00", "Page 1 of 1"):
        assert expected in content, expected


def test_a_200_line_invoice_runs_over_several_numbered_pages(browser, abc):
    lines = [(f"P{n:04d}", f"Part number {n}", 1, 1, 100 + n) for n in range(210)]
    make_invoice("abc", "W9", "C1", "2026-11-01", lines=lines)
    sign_in_rita(browser, abc)
    reader = PdfReader(io.BytesIO(download(browser.get("/orders/W9/pdf")).content))
    pages = len(reader.pages)
    assert pages >= 4
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert all(f"P{n:04d}" in content for n in range(210))
    assert f"Page {pages} of {pages}" in content
    texts = [page.extract_text() for page in reader.pages]
    with_lines = [page for page in texts if "Part number" in page]
    assert len(with_lines) >= 4 and all("Extension" in page for page in with_lines)  # repeated


def test_another_customers_invoice_pdf_cannot_be_had_by_any_url(browser, abc, pacific):
    make_invoice("abc", "W5", "C2", "2026-11-01", lines=LINES)  # same company, other customer
    erp_pdf = make_invoice("abc", "W6", "C2", "2026-11-01")
    erp_pdf.pdf_key = "abc/erp/invoices/W6.pdf"
    erp_pdf.save()
    make_invoice("pacific", "S1", "C1", "2026-11-01")  # same customer number, other company
    set_pages(abc, search_all=True)
    make_user("rita@example.com", accounts=[("abc", "C1")])
    WebAccess(account_pk("abc", "C1"), access_type="Retail", search_all=True).save()
    browser.sign_in("rita@example.com")
    for path in ("/orders/W5/pdf", "/orders/W6/pdf", "/orders/S1/pdf", "/orders/NOPE/pdf",
                 "/dealer/orders/W5/pdf", "/orders/w5/pdf", "/orders/W5%2F..%2FW1/pdf"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Location" not in response.headers
    # Search ALL shows another customer's invoice read-only, never its PDF.
    page = text(browser.get("/search/W5"))
    assert "Invoice W5" in page and "/pdf" not in page and "Download PDF" not in page
    assert stored_keys() == []  # nothing was rendered for anyone


def test_a_dealer_gets_the_pdf_of_an_invoice_where_it_is_the_dealer_only(browser, abc):
    link_dealer("abc", "DLR01", "D1")
    make_invoice("abc", "W1", "C7", "2026-11-01", dealer="DLR01", lines=LINES)
    make_invoice("abc", "W2", "C7", "2026-11-01", dealer="DLR02", lines=LINES)
    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    browser.sign_in("dan@example.com")
    assert 'href="/dealer/orders/W1/pdf"' in text(browser.get("/dealer/orders/W1"))
    assert "Invoice W1" in pdf_text(download(browser.get("/dealer/orders/W1/pdf")).content)
    assert browser.get("/dealer/orders/W2/pdf").status_code == 404
    assert browser.get("/orders/W1/pdf").status_code == 404  # not the dealer's own invoice


def test_signed_out_the_pdf_urls_lead_to_sign_in(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01")
    for path in ("/orders/W1/pdf", "/statements/current/pdf"):
        response = browser.get(path)
        assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_an_erp_uploaded_invoice_pdf_takes_precedence(browser, abc):
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key="abc/erp/W1.pdf",
                                Body=b"%PDF-1.4 from the ERP")
    invoice = make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    invoice.pdf_key = "abc/erp/W1.pdf"
    invoice.save()
    sign_in_rita(browser, abc)
    fetched = download(browser.get("/orders/W1/pdf"))
    assert fetched.content == b"%PDF-1.4 from the ERP"
    assert stored_keys() == ["abc/erp/W1.pdf"]  # nothing rendered


def test_an_erp_pdf_key_outside_the_company_prefix_is_never_served(browser, abc):
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key="pacific/erp/P1.pdf",
                                Body=b"%PDF-1.4 pacific's")
    invoice = make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    invoice.pdf_key = "pacific/erp/P1.pdf"  # a wrong push must not open another tenant's file
    invoice.save()
    sign_in_rita(browser, abc)
    fetched = download(browser.get("/orders/W1/pdf"))
    assert "Invoice W1" in pdf_text(fetched.content)  # the portal's own rendering
    assert urlsplit(fetched.url).path.startswith(f"/{config.documents_bucket()}/abc/") or \
        urlsplit(fetched.url).path.startswith("/abc/invoices/W1/")


def test_an_invoice_pdf_is_rendered_once_per_version(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    sign_in_rita(browser, abc)
    first = browser.get("/orders/W1/pdf").headers["Location"]
    stored = stored_keys("abc/invoices/W1/")
    modified = aws.client("s3").head_object(Bucket=config.documents_bucket(),
                                            Key=stored[0])["LastModified"]
    second = browser.get("/orders/W1/pdf").headers["Location"]
    assert stored_keys("abc/invoices/W1/") == stored and len(stored) == 1
    assert aws.client("s3").head_object(Bucket=config.documents_bucket(),
                                        Key=stored[0])["LastModified"] == modified
    assert urlsplit(first).path == urlsplit(second).path
    portal_payment("p9", 1000, NOW, {"W1": 1000})  # a new version: the balance changed
    browser.get("/orders/W1/pdf")
    assert len(stored_keys("abc/invoices/W1/")) == 2


class CountingStore(DocumentStore):
    def __init__(self):
        super().__init__()
        self.puts = []

    def put(self, key, body, content_type="application/pdf"):
        self.puts.append(key)
        super().put(key, body, content_type)


def test_the_content_key_covers_branding_and_template_version(abc):
    invoice = make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    detail = orders.Detail(invoice, 13000)
    store, renders = CountingStore(), []

    def render(document, logo):
        renders.append(document["company"]["color"])
        return b"%PDF-1.4 test"

    for _ in range(3):
        documents.invoice_pdf_url(abc, detail, store=store, render=render)
    assert len(store.puts) == 1 and renders == ["#1f4e79"]
    abc.theme.primary_color = "#8a1538"  # rebranding renders a new version
    documents.invoice_pdf_url(abc, detail, store=store, render=render)
    assert len(store.puts) == 2 and renders[-1] == "#8a1538"
    document = documents.invoice_document(abc, detail, None)
    bumped = dict(document, template="2")
    assert documents.content_key("abc", "invoices", "W1", document) != \
        documents.content_key("abc", "invoices", "W1", bumped)


# --- presigned links ----------------------------------------------------------------------

def _signature(secret: str, url: str, query: dict) -> str:
    """AWS Signature V4 of a presigned S3 GET, as S3 recomputes it (host header only)."""
    parts = urlsplit(url)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                               for k, v in sorted(query.items()) if k != "X-Amz-Signature")
    canonical_request = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}",
                                   "", "host", "UNSIGNED-PAYLOAD"])
    scope = query["X-Amz-Credential"].split("/", 1)[1]
    day, region, service, _ = scope.split("/")
    to_sign = "\n".join(["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope,
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def s3_would_serve(url: str, secret: str, at: datetime) -> bool:
    """S3's rule for a SigV4 presigned URL: the signature matches and it is not expired."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc)
    fresh = at <= signed_at + timedelta(seconds=int(query["X-Amz-Expires"]))
    return fresh and hmac.compare_digest(_signature(secret, url, query),
                                         query["X-Amz-Signature"])


def test_presigned_links_expire_within_five_minutes(browser, abc):
    """moto does not enforce presigned expiry, so this checks the signature the way S3 does:
    SigV4, X-Amz-Expires ≤ 300 and covered by the signature (a longer expiry written into
    the URL no longer matches), refused once X-Amz-Date + X-Amz-Expires has passed."""
    import boto3

    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    sign_in_rita(browser, abc)
    url = browser.get("/orders/W1/pdf").headers["Location"]
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert int(query["X-Amz-Expires"]) <= 300
    assert query["response-content-disposition"].startswith("attachment; filename=")
    secret = boto3.session.Session().get_credentials().secret_key
    now = datetime.now(timezone.utc)
    assert s3_would_serve(url, secret, now)
    assert not s3_would_serve(url, secret, now + timedelta(seconds=301))
    stretched = url.replace(f"X-Amz-Expires={query['X-Amz-Expires']}", "X-Amz-Expires=86400")
    assert stretched != url and not s3_would_serve(stretched, secret, now)
    assert not s3_would_serve(url, secret + "x", now)
    # the redirect itself is never cached
    assert "no-store" in browser.get("/orders/W1/pdf").headers["Cache-Control"]


def test_a_store_never_signs_for_longer_than_five_minutes(aws):
    url = DocumentStore().presigned_get("abc/x.pdf", "x.pdf", seconds=3600)
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Expires"] == "300"


# --- statements ---------------------------------------------------------------------------

def test_statement_day_and_time_zone_set_the_statement_date(abc):
    abc.statement_day, abc.time_zone = 15, "America/Los_Angeles"
    late_evening = datetime(2026, 11, 15, 7, 30, tzinfo=timezone.utc)  # Nov 14, 23:30 in LA
    assert statements.current_date(abc, late_evening) == date(2026, 10, 15)
    just_after = datetime(2026, 11, 15, 8, 30, tzinfo=timezone.utc)  # Nov 15, 00:30 in LA
    assert statements.current_date(abc, just_after) == date(2026, 11, 15)
    abc.time_zone = "UTC"
    assert statements.current_date(abc, late_evening) == date(2026, 11, 15)
    abc.statement_day = 1
    assert statements.current_date(abc, datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)) == \
        date(2026, 1, 1)
    assert statements.month_before(date(2026, 1, 1)) == date(2025, 12, 1)
    abc.statement_day = 31  # beyond 28: clamped, so every month has the day
    assert statements.current_date(abc, datetime(2026, 3, 1, tzinfo=timezone.utc)) == \
        date(2026, 2, 28)


def known_ledger():
    """Statement of 2026-11-01 (previous 2026-10-01): see the expected figures in the test."""
    ledger("C1",
           ("2026-09-01", "balance_forward", "BF", 10000),
           ("2026-09-20", "invoice", "W1", 5000),
           ("2026-10-01", "payment", "PAY1", -3000),  # on the previous statement date
           ("2026-10-10", "invoice", "W2", 8000),
           ("2026-10-15", "credit", "CM1", -1000),
           ("2026-11-01", "payment", "PAY2", -2000),  # on the statement date
           ("2026-11-02", "invoice", "W3", 999))  # after it
    make_invoice("abc", "W1", "C1", "2026-09-20", balance=2000, due="2026-10-20")
    make_invoice("abc", "W2", "C1", "2026-10-10", balance=8000, due="2026-11-09")
    make_invoice("abc", "W3", "C1", "2026-11-02", balance=999)
    make_invoice("abc", "W0", "C1", "2026-08-01", balance=0, state="closed")
    # approved portal payments the ERP has not applied yet, in the company's zone
    portal_payment("pa", 1500, datetime(2026, 10, 20, 15, tzinfo=timezone.utc), {"W2": 1500})
    portal_payment("pb", 700, datetime(2026, 11, 2, 3, tzinfo=timezone.utc), {"W1": 700})


def test_statement_totals_on_a_known_ledger(abc):
    known_ledger()  # abc: statement day 1, America/New_York
    view = statements.current(abc, "C1", now=datetime(2026, 11, 20, 15, tzinfo=timezone.utc))
    assert (view.statement_date, view.previous_date) == (date(2026, 11, 1), date(2026, 10, 1))
    assert view.previous_balance_cents == 12000  # 100 forward + 50 W1 − 30 paid on Oct 1
    # pb was made at 22:00 on Nov 1 in New York: on the statement date, not after it
    assert [(a.entry_date, a.label, a.amount_cents) for a in view.activity] == [
        ("2026-10-10", "Invoice", 8000), ("2026-10-15", "Credit memo", -1000),
        ("2026-10-20", "Portal payment", -1500), ("2026-11-01", "Payment", -2000),
        ("2026-11-01", "Portal payment", -700)]
    assert view.charges_cents == 8000 and view.credits_cents == -5200
    assert view.total_due_cents == 12000 + 8000 - 5200 == 14800
    assert view.paid_since_cents == 0
    assert [(r.invoice.invoice_no, r.balance_cents, r.days_past_due) for r in
            view.open_items.rows] == [("W1", 2000 - 700, 12), ("W2", 8000 - 1500, -8)]
    # The ledger's $100 balance forward is on no invoice the portal holds: one item of the
    # balance rule (services.balance), so that the buckets add up to the total due.
    assert view.other_balance_cents == 7000
    assert view.open_items.buckets == [6500 + 7000, 1300, 0, 0, 0]
    assert sum(view.open_items.buckets) == view.total_due_cents


def test_the_current_statement_counts_only_the_open_credits_dated_by_it(abc):
    """The account's open credits come from its AR totals; those dated after the statement date
    (read with the statement's ledger Query) are not the statement's."""
    from chalicelib.repositories.keys import credit_key
    from chalicelib.services import balance

    known_ledger()
    for day, reference, cents in (("2026-10-25", "CM8", 300), ("2026-11-05", "CM9", 400)):
        LedgerEntry(account_pk("abc", "C1"), f"{day}#{reference}", kind="credit", reference=reference,
                    amount_cents=-cents, entry_date=day, open_cents=cents,
                    credit_pk=credit_key("abc", "C1", "credit", cents), erp_updated_at=NOW).save()
    now = datetime(2026, 11, 20, 15, tzinfo=timezone.utc)
    assert balance.account_balance(abc, "C1", now=now).balance.credits_cents == 700
    view = statements.current(abc, "C1", now=now)
    assert view.open_items.balance.credits_cents == 300
    assert view.total_due_cents == 14800 - 300  # CM8 is activity of the period, CM9 is not
    assert sum(view.open_items.buckets) == view.total_due_cents
    # an older statement (its PDF) reads the open credits dated by it
    older = statements.build(abc, "C1", date(2026, 10, 31), previous_date=date(2026, 9, 30), now=now)
    assert older.open_items.balance.credits_cents == 300


def test_a_balance_forward_inside_the_period_starts_the_statement_there(abc):
    ledger("C1", ("2026-09-01", "balance_forward", "BF1", 10000),
           ("2026-10-05", "invoice", "W1", 2000),
           ("2026-10-10", "balance_forward", "BF2", 5000),  # the ERP restated the balance
           ("2026-10-20", "payment", "PAY1", -1000))
    view = statements.build(abc, "C1", date(2026, 11, 1))
    assert view.previous_balance_cents == 5000
    assert [(a.label, a.amount_cents) for a in view.activity] == [("Payment", -1000)]
    assert view.total_due_cents == 4000 == \
        view.previous_balance_cents + view.charges_cents + view.credits_cents


def test_a_portal_payment_after_the_statement_date_is_shown_apart(abc):
    known_ledger()
    abc.time_zone = "UTC"  # now pb (03:00 UTC on Nov 2) is after the statement date
    view = statements.current(abc, "C1", now=datetime(2026, 11, 20, 15, tzinfo=timezone.utc))
    assert "2026-11-02" not in [a.entry_date for a in view.activity]
    assert view.total_due_cents == 15500 and view.paid_since_cents == 700
    assert view.still_due_cents == 14800
    assert [r.balance_cents for r in view.open_items.rows] == [2000, 6500]


def test_statement_page_pdf_and_past_statements(browser, abc):
    today_statement = statements.current_date(abc)
    previous = statements.month_before(today_statement)
    day_in = (previous + timedelta(days=1)).isoformat()
    ledger("C1", ((previous - timedelta(days=40)).isoformat(), "balance_forward", "BF", 4000),
           (day_in, "invoice", "W1", 6000), (day_in, "payment", "PAY1", -2500))
    make_invoice("abc", "W1", "C1", day_in, balance=6000)
    older = statements.month_before(previous).isoformat()
    Statement(account_pk("abc", "C1"), previous.isoformat(), balance_cents=4000,
              erp_updated_at=NOW).save()
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key="abc/erp/st-old.pdf",
                                Body=b"%PDF-1.4 old statement")
    Statement(account_pk("abc", "C1"), older, balance_cents=4000, pdf_key="abc/erp/st-old.pdf",
              erp_updated_at=NOW).save()
    sign_in_rita(browser, abc)
    assert '<a href="/statements">Statements</a>' in text(browser.get("/"))
    page = text(browser.get("/statements"))
    for expected in ("Previous balance", "$40.00", "Total due", "$75.00",
                     'href="/account/pay"', "Pay now", 'href="/statements/current/pdf"',
                     f'href="/statements/{previous.isoformat()}/pdf"',
                     f'href="/statements/{older}/pdf"', 'href="/orders/W1"'):
        assert expected in page, expected
    content = pdf_text(download(browser.get("/statements/current/pdf")).content)
    for expected in ("Statement", "Previous balance $40.00", "Charges $60.00",
                     "Payments and credits -$25.00", "Total due $75.00", "W1", "Page 1 of 1"):
        assert expected in content, expected
    # a past statement the ERP sent with its PDF: that PDF; without one: rendered as of its date
    assert download(browser.get(f"/statements/{older}/pdf")).content == \
        b"%PDF-1.4 old statement"
    assert "Total due $40.00" in pdf_text(
        download(browser.get(f"/statements/{previous.isoformat()}/pdf")).content)


def test_another_customers_statement_cannot_be_had_by_any_url(browser, abc, pacific):
    Statement(account_pk("abc", "C2"), "2026-10-01", balance_cents=100, pdf_key="abc/erp/c2.pdf",
              erp_updated_at=NOW).save()
    Statement(account_pk("pacific", "C1"), "2026-09-01", balance_cents=100,
              pdf_key="pacific/erp/c1.pdf", erp_updated_at=NOW).save()
    sign_in_rita(browser, abc)
    page = text(browser.get("/statements"))
    assert "2026-10-01" not in page and "2026-09-01" not in page
    for path in ("/statements/2026-10-01/pdf", "/statements/2026-09-01/pdf",
                 "/statements/2026-13-01/pdf", "/statements/20261001/pdf",
                 "/statements/..%2Fabc%2Ferp%2Fc2/pdf", "/statements/x/pdf"):
        assert browser.get(path).status_code == 404, path
    assert stored_keys() == []


def test_a_hidden_statements_page_answers_404(browser, abc):
    sign_in_rita(browser, abc, statements=False)
    assert "/statements" not in text(browser.get("/"))
    assert browser.get("/statements").status_code == 404
    assert browser.get("/statements/current/pdf").status_code == 404


# --- cold start ---------------------------------------------------------------------------

def test_importing_the_app_does_not_import_the_pdf_library():
    script = ("import sys, app, chalicelib.pdf, chalicelib.services.documents\n"
              "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
              "('fpdf', 'PIL', 'fontTools'))\n"
              "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_erps_pdf_of_the_current_statement_wins(browser, abc):
    current = statements.current_date(abc).isoformat()
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key="abc/erp/st-now.pdf",
                                Body=b"%PDF-1.4 this month")
    Statement(account_pk("abc", "C1"), current, balance_cents=0, pdf_key="abc/erp/st-now.pdf",
              erp_updated_at=NOW).save()
    sign_in_rita(browser, abc)
    assert download(browser.get("/statements/current/pdf")).content == b"%PDF-1.4 this month"
    assert stored_keys() == ["abc/erp/st-now.pdf"]


def test_pdf_money_is_in_the_companys_currency(browser, abc):
    abc.currency = "CAD"  # saved by sign_in_rita's set_pages
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    sign_in_rita(browser, abc)
    content = pdf_text(download(browser.get("/orders/W1/pdf")).content)
    assert "Total 130.00 CAD" in content and "$" not in content


def test_the_theme_logo_is_drawn_and_a_bad_or_missing_one_is_skipped(browser, abc):
    s3 = aws.client("s3")
    s3.put_object(Bucket=config.theme_bucket(), Key="abc/logo/good.png",
                  Body=(REPO / "infra/local/demo/abc-logo.png").read_bytes())
    s3.put_object(Bucket=config.theme_bucket(), Key="abc/logo/bad.png", Body=b"not a png")
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    sign_in_rita(browser, abc)
    for key, drawn in (("abc/logo/good.png", True), ("abc/logo/bad.png", False),
                       ("abc/logo/missing.png", False)):
        abc.theme.logo_key = key
        set_pages(abc)  # saves the company and forgets the cached tenant
        body = download(browser.get("/orders/W1/pdf")).content
        assert (b"/Subtype /Image" in body) is drawn, key
        assert "Invoice W1" in pdf_text(body)
