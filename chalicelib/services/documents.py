"""Invoice and statement PDFs: stored once per version, served by a short presigned redirect.

Callers check access first (the invoice or statement must be the account's).
Then: a PDF the ERP uploaded wins; otherwise the document is described as plain
data, and its SHA-256 (with the template version and the branding inside)
names the stored object, so each version is rendered once and a changed invoice,
payment, logo or colour gets a new object.
"""

import functools
import hashlib
import json
import re
from collections.abc import Callable

from ..faults import Unavailable
from ..models import Company
from ..models.base import plain_dict
from ..repositories import documents as document_repo
from ..repositories.documents import DocumentStore
from ..templating import show_date
from . import account
from . import statements as statement_service
from .orders import Detail

DOCUMENT_UNAVAILABLE = "This document can't be made right now. Please try again in a minute."


def _store_faults_unavailable(make_url: Callable) -> Callable:
    """S3 not answering (or refusing) while the PDF is stored or signed: a 503 "try
    again" page, not a 500.  A half-stored PDF is never served: S3 writes an object
    whole or not at all, and the key is only signed after `put` returned."""

    @functools.wraps(make_url)
    def guarded(*args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return make_url(*args, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise Unavailable(DOCUMENT_UNAVAILABLE) from error

    return guarded


# Bump when chalicelib/pdf.py changes what it draws: every stored PDF is re-rendered once.
TEMPLATE_VERSION = "1"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def filename(*parts: str) -> str:
    """An attachment name safe in a Content-Disposition header on every OS."""
    return SAFE_NAME.sub("-", "-".join(p for p in parts if p)).strip("-.")[:100] + ".pdf"


def content_key(company_id: str, kind: str, name: str, document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
    return f"{company_id}/{kind}/{SAFE_NAME.sub('-', name)}/{digest}.pdf"


def branding(company: Company) -> dict:
    theme = company.theme
    return {
        "name": company.name,
        "color": (theme.primary_color if theme else None) or "#1f4e79",
        "logo_key": theme.logo_key if theme else None,
        "currency": company.currency or "USD",
        "phone": company.support_phone,
        "email": company.support_email,
    }


def erp_pdf_key(company: Company, key: str | None) -> str | None:
    """The ERP's PDF key, only inside the company's own prefix: a key naming another
    company's object is ignored (the portal renders its own PDF instead)."""
    return key if key and key.startswith(f"{company.company_id}/") and ".." not in key else None


def _stored_url(store: DocumentStore, key: str, document: dict, render: Callable, attachment: str) -> str:
    if not store.exists(key):
        logo = document_repo.theme_image(document["company"]["logo_key"])
        store.put(key, render(document, logo))
    return store.presigned_get(key, attachment)


def invoice_document(company: Company, detail: Detail, bill_to: str | None) -> dict:
    """Everything the invoice PDF shows, as plain data (also what its key hashes)."""
    inv = detail.invoice
    return {
        "kind": "invoice",
        "template": TEMPLATE_VERSION,
        "company": branding(company),
        "title": f"Invoice {inv.invoice_no}",
        "facts": [
            [label, value]
            for label, value in (
                ("Invoice", inv.invoice_no),
                ("Date", show_date(inv.invoice_date)),
                ("Due", show_date(inv.due_date)),
                ("Status", inv.status or inv.state.capitalize()),
                ("Customer", f"{bill_to} (#{inv.customer_no})" if bill_to else f"#{inv.customer_no}"),
                ("PO", inv.po_number),
                ("Location", inv.location_id),
                ("Ship to", inv.ship_to),
                ("Dealer", inv.dealer_code),
                ("Equipment", inv.equipment_serial),
            )
            if value
        ],
        "lines": [
            [
                line.part_no or "",
                line.description or "",
                int(line.qty_ordered or 0),
                int(line.qty_shipped or 0),
                int(line.qty_backordered or 0),
                int(line.price_cents or 0),
                int(line.extension_cents or 0),
            ]
            for line in inv.lines
        ],
        "subtotal": int(inv.subtotal_cents or 0),
        "tax": int(inv.tax_cents or 0),
        "total": int(inv.total_cents or 0),
        "payments": [
            [
                ("Payment" if applied else "Payment (being applied)")
                + " "
                + show_date(payment.created_at.date().isoformat())
                + (f" ...{payment.masked_account[-4:]}" if payment.masked_account else ""),
                int(cents),
            ]
            for payment, cents, applied in detail.payments
        ],
        "balance": int(detail.balance_cents),
        "status_dates": sorted([k, v] for k, v in plain_dict(inv.status_dates).items()),
        "erp_updated_at": inv.erp_updated_at,
    }


@_store_faults_unavailable
def invoice_pdf_url(
    company: Company,
    detail: Detail,
    bill_to: str | None = None,
    store: DocumentStore | None = None,
    render: Callable | None = None,
) -> str:
    """A presigned GET (≤ 5 minutes) of the invoice's PDF; the caller checked access."""
    store = store or DocumentStore()
    inv = detail.invoice
    attachment = filename(company.name, "Invoice", inv.invoice_no)
    if erp_pdf_key(company, inv.pdf_key):  # the ERP's own PDF takes precedence
        return store.presigned_get(inv.pdf_key, attachment)
    document = invoice_document(company, detail, bill_to)
    if render is None:
        from .. import pdf

        render = pdf.render_invoice
    key = content_key(company.company_id, "invoices", inv.invoice_no, document)
    return _stored_url(store, key, document, render, attachment)


def statement_document(
    company: Company, view: statement_service.StatementView, customer_no: str, bill_to: str | None
) -> dict:
    return {
        "kind": "statement",
        "template": TEMPLATE_VERSION,
        "company": branding(company),
        "title": "Statement",
        "facts": [
            ["Statement date", show_date(view.statement_date)],
            ["Previous statement", show_date(view.previous_date)],
            ["Customer", f"{bill_to} (#{customer_no})" if bill_to else f"#{customer_no}"],
        ],
        "summary": [
            ["Previous balance", view.previous_balance_cents],
            ["Charges", view.charges_cents],
            ["Payments and credits", view.credits_cents],
            ["Total due", view.total_due_cents],
        ],
        "paid_since": view.paid_since_cents,
        "aging": [[label, cents] for label, cents in zip(account.BUCKETS, view.open_items.buckets, strict=True)],
        "open_items": [
            [
                row.invoice.invoice_no,
                show_date(row.invoice.invoice_date),
                show_date(row.due),
                max(row.days_past_due, 0),
                row.balance_cents,
            ]
            for row in view.open_items.rows
        ]
        + ([["Open credits", "", "", "", -view.unapplied_credits_cents]] if view.unapplied_credits_cents else [])
        + ([["Other balance", "", "", "", view.other_balance_cents]] if view.other_balance_cents else []),
        "activity": [[show_date(a.entry_date), a.label, a.reference or "", a.amount_cents] for a in view.activity],
        "complete": view.complete and view.open_items.complete,
    }


@_store_faults_unavailable
def statement_pdf_url(
    company: Company,
    customer_no: str,
    statement_date: str,
    bill_to: str | None = None,
    terms_days: int = 30,
    store: DocumentStore | None = None,
    render: Callable | None = None,
) -> str | None:
    """`current` or a date the ERP sent a statement for; None when there is no such statement."""
    found = statement_service.resolve(company, customer_no, statement_date)
    if found is None:
        return None
    when, sent = found
    store = store or DocumentStore()
    attachment = filename(company.name, "Statement", when.isoformat())
    if sent is not None and erp_pdf_key(company, sent.pdf_key):
        return store.presigned_get(sent.pdf_key, attachment)
    view = statement_service.build(company, customer_no, when, terms_days)
    document = statement_document(company, view, customer_no, bill_to)
    if render is None:
        from .. import pdf

        render = pdf.render_statement
    key = content_key(company.company_id, "statements", f"{customer_no}/{when.isoformat()}", document)
    return _stored_url(store, key, document, render, attachment)
