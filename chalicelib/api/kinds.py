"""The admin API's record kinds and limits, without pydantic (routes are registered at
`import app`; the models in `schemas` are imported only when a request needs them)."""

MAX_RECORDS = 500  # per batch request
MAX_BATCH_BYTES = 5 * 1024 * 1024  # per batch request body
MAX_PDF_BYTES = 10 * 1024 * 1024

# kind -> (record model, delete model or None): names in chalicelib.api.schemas
KINDS = {
    "customers": ("CustomerRecord", "CustomerDelete"),
    "dealers": ("DealerRecord", "DealerDelete"),
    "invoices": ("InvoiceRecord", "InvoiceDelete"),
    "ledger": ("LedgerRecord", "LedgerDelete"),
    "statements": ("StatementRecord", "StatementDelete"),
    "parts": ("PartRecord", "PartDelete"),
    "equipment": ("EquipmentRecord", "EquipmentDelete"),
    "ach-settlements": ("AchSettlementRecord", None),
    "parts-order-status": ("PartsOrderStatusRecord", None),
}

FEEDS = ("payments", "parts-orders", "service-requests")
