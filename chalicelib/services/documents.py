"""Invoice PDFs from the ERP, kept in the private documents bucket under a content-hash key
(the same file twice is one object; customers reach it only by a presigned redirect)."""
import hashlib

from .. import aws, config
from ..api.routing import ApiError
from ..api.schemas import MAX_PDF_BYTES
from ..models import Company
from ..repositories import audit, invoices
from ..repositories.keys import key_chars_ok

PDF_MAGIC = b"%PDF-"


def store_invoice_pdf(company: Company, invoice_no: str, body: bytes, actor: str,
                      s3=None) -> str:
    if isinstance(body, str):
        body = body.encode("latin-1", errors="replace")
    if len(body) > MAX_PDF_BYTES:
        raise ApiError(413, "too_large", f"The PDF is {len(body):,} bytes; at most "
                                         f"{MAX_PDF_BYTES:,} are accepted.")
    if not body.startswith(PDF_MAGIC):
        raise ApiError(400, "not_pdf", "The body is not a PDF (it must start with %PDF-).")
    if not key_chars_ok(invoice_no):
        raise ApiError(404, "not_found", f"No invoice {invoice_no!r}.")
    invoice = invoices.get(company.company_id, invoice_no)
    if invoice is None:
        raise ApiError(404, "not_found", f"No invoice {invoice_no!r}: push the invoice first.")
    key = f"{company.company_id}/invoices/{hashlib.sha256(body).hexdigest()}.pdf"
    (s3 or aws.client("s3")).put_object(Bucket=config.documents_bucket(), Key=key, Body=body,
                                        ContentType="application/pdf")
    invoices.set_pdf_key(invoice, key)
    audit.record(company.company_id, "invoice_pdf_stored", actor=actor, invoice_no=invoice_no,
                 bytes=len(body))
    return key
