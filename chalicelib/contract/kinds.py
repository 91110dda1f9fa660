"""The admin API's record kinds and limits, without pydantic (routes are registered at
`import app`; the models in `schemas` are imported only when a request needs them)."""

from typing import NamedTuple

MAX_RECORDS = 500  # per batch request
MAX_BATCH_BYTES = 5 * 1024 * 1024  # per batch request body
MAX_PDF_BYTES = 10 * 1024 * 1024


class RecordKind(NamedTuple):
    record: str  # name of the record model in chalicelib.contract.schemas
    delete: str | None  # name of its delete model; None: the kind cannot be deleted
    key: tuple[str, ...]  # the fields of a record's natural key (joined by "/" in answers)


# The one list of the ERP's record kinds: the routes, the models (schemas.KINDS) and the
# import service (services/erp_import.py) all follow it.
KINDS: dict[str, RecordKind] = {
    "customers": RecordKind("CustomerRecord", "CustomerDelete", ("customer_no",)),
    "dealers": RecordKind("DealerRecord", "DealerDelete", ("dealer_code",)),
    "invoices": RecordKind("InvoiceRecord", "InvoiceDelete", ("invoice_no",)),
    "ledger": RecordKind("LedgerRecord", "LedgerDelete", ("customer_no", "entry_id")),
    "statements": RecordKind("StatementRecord", "StatementDelete", ("customer_no", "statement_date")),
    "parts": RecordKind("PartRecord", "PartDelete", ("part_no",)),
    "equipment": RecordKind("EquipmentRecord", "EquipmentDelete", ("customer_no", "serial_no")),
    "ach-settlements": RecordKind("AchSettlementRecord", None, ("payment_id",)),
    "parts-order-status": RecordKind("PartsOrderStatusRecord", None, ("order_id",)),
}

FEEDS = ("payments", "parts-orders", "service-requests")
