"""Invoice / work-order queries.  Each access pattern is one named function."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..models import Invoice, InvoiceLine
from . import dynamo, paging, projections
from .keys import account_pk, date_bounds, dealer_pk, invoice_pk


@dataclass
class Criteria:
    """Search fields of the order lists (all optional)."""

    date_from: str | None = None  # ISO dates
    date_to: str | None = None
    po: str | None = None
    status: str | None = None
    location: str | None = None
    customer_no: str | None = None  # dealer lists: one end customer
    newest_first: bool = True

    def filter_condition(self):
        condition = None
        for part in (
            Invoice.po_number.contains(self.po) if self.po else None,
            Invoice.status == self.status if self.status else None,
            Invoice.location_id == self.location if self.location else None,
            Invoice.customer_no == self.customer_no if self.customer_no else None,
        ):
            if part is not None:
                condition = part if condition is None else condition & part
        return condition


def get(company_id: str, invoice_no: str) -> Invoice | None:
    try:
        return Invoice.get(invoice_pk(company_id, invoice_no))
    except Invoice.DoesNotExist:
        return None


def _state_range(state: str, criteria: Criteria):
    return Invoice.state_key.between(*date_bounds(f"{state}#", criteria.date_from, criteria.date_to))


# List pages show header fields only, read straight from DynamoDB's answer:
# turning 50 full items into PynamoDB objects (lines included) was three
# quarters of a list page's own time (bench/pages.py).
@dataclass(slots=True)
class LineView:
    """One invoice line as list pages show it (open parts)."""

    line_no: int = 0
    part_no: str | None = None
    description: str | None = None
    qty_ordered: int = 0
    qty_shipped: int = 0
    qty_backordered: int = 0
    price_cents: int = 0
    extension_cents: int = 0
    expected_on: str | None = None

    @classmethod
    def from_raw(cls, raw: dict) -> "LineView":
        return cls(**projections.read(raw, _LINE_FIELDS))


# How each field is read: as the model's InvoiceLine attribute of that name says.
_LINE_FIELDS = projections.fields_of(InvoiceLine.get_attributes(), LineView.__dataclass_fields__)


@dataclass(slots=True)
class InvoiceHeader:
    pk: str = ""  # keys: empty when a page's projection leaves them out (AR_ATTRIBUTES)
    invoice_no: str = ""
    customer_no: str = ""
    state: str = ""
    state_key: str = ""
    invoice_date: str = ""
    company_id: str | None = None  # not read by the order lists (LIST_ATTRIBUTES)
    customer_pk: str | None = None
    date_key: str | None = None
    location_id: str | None = None
    dealer_code: str | None = None
    dealer_pk: str | None = None
    status: str | None = None
    due_date: str | None = None
    po_number: str | None = None
    equipment_serial: str | None = None
    total_cents: int = 0
    balance_cents: int = 0
    erp_updated_at: datetime | None = None
    lines: list[LineView] = field(default_factory=list)  # only when asked for

    @classmethod
    def from_raw(cls, raw: dict) -> "InvoiceHeader":
        return cls(**projections.read(raw, _HEADER_FIELDS))


def _lines(value: dict) -> list[LineView]:
    return [LineView.from_raw(line["M"]) for line in value["L"]]


# How each field is read: as the model's Invoice attribute of that name says.
_HEADER_FIELDS = projections.fields_of(
    Invoice.get_attributes(), InvoiceHeader.__dataclass_fields__, other={"lines": _lines}
)


HEADER_ATTRIBUTES = [name for name in InvoiceHeader.__dataclass_fields__ if name != "lines"]
# What the order lists show or page by: each attribute costs on every row and in
# the projection PynamoDB builds on every call (a filtered list makes up to 5).
LIST_ATTRIBUTES = [
    name
    for name in HEADER_ATTRIBUTES
    if name not in ("company_id", "customer_pk", "date_key", "due_date", "dealer_code")
]
# The account page's open invoices (and the invoices of unapplied portal payments):
# what the aging and its table show.
AR_ATTRIBUTES = ["invoice_no", "invoice_date", "due_date", "total_cents", "balance_cents"]
# The open-parts list: the lines, and only which invoice (and when) each came from.
LINES_ATTRIBUTES = ["pk", "invoice_no", "customer_no", "state", "state_key", "invoice_date", "erp_updated_at", "lines"]


def _with_backorders(raw: dict) -> InvoiceHeader:
    """A header with its back-ordered lines only: most lines of an open order have
    shipped, and building every line was a third of the open-parts page's own time."""
    lines = raw.pop("lines", {}).get("L", [])
    header = InvoiceHeader.from_raw(raw)
    header.lines = [
        LineView.from_raw(line["M"]) for line in lines if int(line["M"].get("qty_backordered", {}).get("N", 0)) > 0
    ]
    return header


def _by_state(
    index,
    hash_attr: str,
    pk: str,
    state: str,
    criteria: Criteria,
    cursor: str | None,
    want: int,
    backorders: bool = False,
) -> paging.Page:
    start = paging.decode(cursor, hash_attr=hash_attr, hash_value=pk, allowed={"pk", hash_attr, "state_key"})
    condition = criteria.filter_condition()

    def key_of(raw: dict) -> dict:  # the index's key of a row (pk and state_key are projected)
        return {"pk": raw["pk"], hash_attr: {"S": pk}, "state_key": raw["state_key"]}

    return paging.collect(
        lambda **page: index.query(
            pk,
            _state_range(state, criteria),
            filter_condition=condition,
            scan_index_forward=not criteria.newest_first,
            attributes_to_get=LINES_ATTRIBUTES if backorders else LIST_ATTRIBUTES,
            **page,
        ),
        _with_backorders if backorders else InvoiceHeader.from_raw,
        start=start,
        want=want,
        key_of=key_of if condition is not None else None,
    )


def by_customer(
    company_id: str,
    customer_no: str,
    state: str,
    criteria: Criteria,
    cursor: str | None,
    want: int = paging.DEFAULT_ROWS,
    backorders: bool = False,
) -> paging.Page:
    """Index by_customer: customer_pk = C AND state_key BETWEEN state#from AND state#to.
    `backorders`: each invoice with its back-ordered lines (the open-parts list)."""
    return _by_state(
        Invoice.by_customer,
        "customer_pk",
        account_pk(company_id, customer_no),
        state,
        criteria,
        cursor,
        want,
        backorders,
    )


def by_dealer(
    company_id: str,
    dealer_code: str,
    state: str,
    criteria: Criteria,
    cursor: str | None,
    want: int = paging.DEFAULT_ROWS,
) -> paging.Page:
    """Index by_dealer: dealer_pk = D AND state_key BETWEEN state#from AND state#to."""
    return _by_state(Invoice.by_dealer, "dealer_pk", dealer_pk(company_id, dealer_code), state, criteria, cursor, want)


def customer_has_dealer_invoice(company_id: str, customer_no: str, dealer_codes) -> bool:
    """Any invoice (open or closed) of this customer with one of these dealers: index
    by_customer filtered on the dealer, keys only, stopping at the first match."""
    codes = [code for code in dealer_codes or () if code]
    if not codes:
        return False
    rows = Invoice.by_customer.query(
        account_pk(company_id, customer_no),
        filter_condition=Invoice.dealer_code.is_in(*codes),
        attributes_to_get=["pk"],
    )
    return next(iter(rows), None) is not None


def by_customer_date(
    company_id: str,
    customer_no: str,
    date_from: str | None,
    date_to: str | None,
    cursor: str | None,
    want: int = 20,
    max_calls: int = 3,
) -> paging.Page:
    """Index by_customer_date: every state, newest first (purchase history: headers and lines)."""
    pk = account_pk(company_id, customer_no)
    start = paging.decode(cursor, hash_attr="customer_pk", hash_value=pk, allowed={"pk", "customer_pk", "date_key"})
    condition = Invoice.date_key.between(*date_bounds("", date_from, date_to))
    return paging.collect(
        lambda **page: Invoice.by_customer_date.query(
            pk, condition, scan_index_forward=False, attributes_to_get=LIST_ATTRIBUTES + ["lines"], **page
        ),
        InvoiceHeader.from_raw,
        start=start,
        want=want,
        max_calls=max_calls,
    )


EVERY_ROW = 10**9  # `want` of a list read to its end (DynamoDB still pages by 1 MB)


def open_ar(company_id: str, customer_no: str) -> paging.Page:
    """Sparse index ar_open: every invoice with a balance due, oldest due first, however
    many (1 Query per MB of headers; the pay form and statements list them all)."""
    pk = account_pk(company_id, customer_no)
    return paging.collect(
        lambda **page: Invoice.ar_open.query(pk, attributes_to_get=HEADER_ATTRIBUTES, **page),
        InvoiceHeader.from_raw,
        want=EVERY_ROW,
        max_calls=EVERY_ROW,
    )


def open_ar_page(company_id: str, customer_no: str, cursor: str | None, want: int = paging.DEFAULT_ROWS) -> paging.Page:
    """Sparse index ar_open: one page of invoices with a balance due, oldest due first."""
    pk = account_pk(company_id, customer_no)
    start = paging.decode(cursor, hash_attr="ar_pk", hash_value=pk, allowed={"pk", "ar_pk", "due_key"})
    return paging.collect(
        lambda **page: Invoice.ar_open.query(pk, attributes_to_get=AR_ATTRIBUTES, **page),
        InvoiceHeader.from_raw,
        start=start,
        want=want,
    )


def many(
    company_id: str, invoice_nos: Iterable[str], attributes: list[str] = HEADER_ATTRIBUTES
) -> dict[str, InvoiceHeader]:
    """Headers of up to 100 invoices (one BatchGetItem, plus retries of unprocessed keys)."""
    keys = [{"pk": {"S": invoice_pk(company_id, n)}} for n in dict.fromkeys(invoice_nos)][:100]
    table = dynamo.table(Invoice)
    found: dict[str, InvoiceHeader] = {}
    for _attempt in range(3):
        if not keys:
            break
        answer = table.batch_get_item(keys, attributes_to_get=attributes)
        for raw in answer.get("Responses", {}).get(table.table_name, []):
            header = InvoiceHeader.from_raw(raw)
            found[header.invoice_no] = header
        unprocessed = answer.get("UnprocessedKeys", {}).get(table.table_name, {})
        keys = unprocessed.get("Keys", [])
    return found


# What the list pages and the account page hold: a header read by projection, or a whole
# invoice (the detail page, the pay form's open invoices).
AnyInvoice = Invoice | InvoiceHeader


def latest_update(invoices: Sequence[AnyInvoice]) -> datetime | None:
    stamps = [i.erp_updated_at for i in invoices if i.erp_updated_at]
    return max(stamps) if stamps else None


def set_pdf_key(invoice: Invoice, key: str) -> None:
    """The invoice's PDF (documents bucket); the invoice must still exist."""
    invoice.update(actions=[Invoice.pdf_key.set(key)], condition=Invoice.pk.exists())


# The home page's open orders: status and back-ordered lines of the newest ones.
SUMMARY_ATTRIBUTES = LINES_ATTRIBUTES + ["status"]


def open_order_summary(company_id: str, customer_no: str, limit: int = 200) -> paging.Page:
    """Index by_customer: the newest `limit` open invoices, each with its status and its
    back-ordered lines only, in one call whatever the account's size (the home page);
    `cursor` set means there are more."""
    pk = account_pk(company_id, customer_no)
    return paging.collect(
        lambda **page: Invoice.by_customer.query(
            pk,
            Invoice.state_key.startswith("open#"),
            scan_index_forward=False,
            attributes_to_get=SUMMARY_ATTRIBUTES,
            **page,
        ),
        _with_backorders,
        want=limit,
        max_calls=1,
    )
