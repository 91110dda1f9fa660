"""Invoice and statement PDFs from the ERP, kept in the private documents bucket under a
content-hash key (the same file twice is one object; customers reach it only by a
presigned redirect after an access check)."""

import hashlib
from datetime import date

from .. import aws, config
from ..contract.errors import ApiError
from ..contract.kinds import MAX_PDF_BYTES
from ..models import Company
from ..repositories import audit, erp, invoices
from ..repositories.keys import key_chars_ok

PDF_MAGIC = b"%PDF-"


def _checked(body) -> bytes:
    if isinstance(body, str):
        body = body.encode("latin-1", errors="replace")
    if len(body) > MAX_PDF_BYTES:
        raise ApiError(413, "too_large", f"The PDF is {len(body):,} bytes; at most {MAX_PDF_BYTES:,} are accepted.")
    if not body.startswith(PDF_MAGIC):
        raise ApiError(400, "not_pdf", "The body is not a PDF (it must start with %PDF-).")
    return body


def _put(company: Company, folder: str, body: bytes, s3=None) -> str:
    key = f"{company.company_id}/{folder}/{hashlib.sha256(body).hexdigest()}.pdf"
    (s3 or aws.client("s3")).put_object(
        Bucket=config.documents_bucket(), Key=key, Body=body, ContentType="application/pdf"
    )
    return key


def store_invoice_pdf(company: Company, invoice_no: str, body, actor: str, s3=None) -> str:
    body = _checked(body)
    invoice = invoices.get(company.company_id, invoice_no) if key_chars_ok(invoice_no) else None
    if invoice is None:
        raise ApiError(404, "not_found", f"No invoice {invoice_no!r}: push the invoice first.")
    key = _put(company, "invoices", body, s3)
    invoices.set_pdf_key(invoice, key)
    audit.record(company.company_id, "invoice_pdf_stored", actor=actor, invoice_no=invoice_no, bytes=len(body))
    return key


def store_statement_pdf(company: Company, customer_no: str, statement_date: str, body, actor: str, s3=None) -> str:
    body = _checked(body)
    try:
        day = date.fromisoformat(statement_date).isoformat()
    except ValueError:
        day = None
    statement = erp.statement(company.company_id, customer_no, day) if day and key_chars_ok(customer_no) else None
    if statement is None:
        raise ApiError(
            404, "not_found", f"No statement of {customer_no!r} on {statement_date!r}: push the statement first."
        )
    key = _put(company, "statements", body, s3)
    erp.set_statement_pdf_key(statement, key)
    audit.record(
        company.company_id,
        "statement_pdf_stored",
        actor=actor,
        customer_no=customer_no,
        statement_date=day,
        bytes=len(body),
    )
    return key
