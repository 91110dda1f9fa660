"""Account activity: ERP ledger entries, portal payments, equipment."""

from dataclasses import dataclass
from typing import Any

from ..models import Equipment, LedgerEntry, Payment
from ..models.base import plain_dict
from . import paging, projections
from .keys import HIGH, account_pk, date_bounds


# Account history reads up to 300 entries a page (the period's rows and the
# entries back to the opening balance): read straight from DynamoDB's answer,
# as the invoice list pages do; PynamoDB objects were most of the page's time.
@dataclass(slots=True)
class EntryView:
    entry_key: str
    kind: str
    amount_cents: int
    entry_date: str
    reference: str | None = None
    open_cents: int | None = None  # of a credit memo or payment the ERP has not applied in full

    @classmethod
    def from_raw(cls, raw: dict) -> "EntryView":
        return cls(**projections.read(raw, _ENTRY_FIELDS))


# How each field is read: as the model's LedgerEntry attribute of that name says.
_ENTRY_FIELDS = projections.fields_of(LedgerEntry.get_attributes(), EntryView.__dataclass_fields__)
ENTRY_ATTRIBUTES = ["customer_pk", *EntryView.__dataclass_fields__]


def entries_between(
    company_id: str,
    customer_no: str,
    date_from: str | None,
    date_to: str | None,
    cursor: str | None,
    want: int = paging.DEFAULT_ROWS,
) -> paging.Page:
    """Table ledger: customer_pk = C AND entry_key BETWEEN from AND to#…, oldest first."""
    pk = account_pk(company_id, customer_no)
    start = paging.decode(cursor, hash_attr="customer_pk", hash_value=pk, allowed={"customer_pk", "entry_key"})
    condition = LedgerEntry.entry_key.between(*date_bounds("", date_from, date_to))
    return paging.collect(
        lambda **page: LedgerEntry.query(pk, condition, attributes_to_get=ENTRY_ATTRIBUTES, **page),
        EntryView.from_raw,
        start=start,
        want=want,
        max_calls=3,
    )


@dataclass
class StatementEntries:
    """A statement's ledger read: newest first, from its end back past its period's start."""

    entries: list[EntryView]
    read_enough: bool  # back to the opening balance (or `before_max` entries before the period)
    opening_known: bool  # back to a balance forward or the account's first entry


def back_to_opening(
    company_id: str,
    customer_no: str,
    date_from: str,
    date_to: str | None,
    before_max: int = 200,
    page_size: int = 500,
    max_calls: int = 3,
) -> StatementEntries:
    """Table ledger: customer_pk = C [AND entry_key <= date_to#…], newest first, read back past
    `date_from` to the latest balance forward before it (the opening balance starts there),
    or `before_max` entries before it: a statement's period, its opening balance and (date_to
    None) what came after it, in one Query for most accounts (`page_size` items: a month's
    entries and those after it, plus the 200 before it when no balance forward comes first)."""
    pk = account_pk(company_id, customer_no)
    condition = LedgerEntry.entry_key <= f"{date_to}#{HIGH}" if date_to else None
    entries: list[EntryView] = []
    before = 0
    for items, last in paging.raw_pages(
        lambda **page: LedgerEntry.query(
            pk, condition, scan_index_forward=False, attributes_to_get=ENTRY_ATTRIBUTES, **page
        ),
        page_size,
        max_calls,
    ):
        for raw in items:
            entry = EntryView.from_raw(raw)
            entries.append(entry)
            if entry.entry_date < date_from:
                before += 1
                if entry.kind == "balance_forward":
                    return StatementEntries(entries, True, True)
                if before >= before_max:
                    return StatementEntries(entries, True, False)
        if last:
            return StatementEntries(entries, True, True)
    return StatementEntries(entries, False, False)


def amounts_before(company_id: str, customer_no: str, date: str, want: int = 200) -> list[tuple[str, int]]:
    """(kind, cents) of the newest entries before a date, newest first (≤ 2 calls):
    what the opening balance adds up, back to the latest balance forward."""
    pk = account_pk(company_id, customer_no)
    page = paging.collect(
        lambda **p: LedgerEntry.query(
            pk, LedgerEntry.entry_key < date, scan_index_forward=False, attributes_to_get=["kind", "amount_cents"], **p
        ),
        lambda raw: (raw["kind"]["S"], int(raw["amount_cents"]["N"])),
        want=want,
        max_calls=2,
    )
    return page.items


def unapplied_payments(company_id: str, customer_no: str) -> list[Payment]:
    """Sparse index unapplied: portal payments pending or approved (and approved
    refunds, negative) that the ERP has not applied yet."""
    return list(Payment.unapplied.query(account_pk(company_id, customer_no)))


def unapplied_by_invoice(company_id: str, customer_no: str) -> dict[str, int]:
    """Cents per invoice of the unapplied payments: their allocations only, read raw
    (the open-orders list needs nothing else of them)."""
    query = Payment.unapplied.query(account_pk(company_id, customer_no), attributes_to_get=["allocations"])
    amounts: dict[str, int] = {}
    for page in query.page_iter:
        for raw in page.get("Items", []):
            for invoice_no, cents in raw.get("allocations", {}).get("M", {}).items():
                amounts[invoice_no] = amounts.get(invoice_no, 0) + int(cents["N"])
    return amounts


def by_invoice(payments: list[Payment]) -> dict[str, int]:
    """Cents per invoice over these payments' allocations."""
    amounts: dict[str, int] = {}
    for payment in payments:
        for invoice_no, cents in plain_dict(payment.allocations).items():
            amounts[invoice_no] = amounts.get(invoice_no, 0) + int(cents)
    return amounts


def open_credits(company_id: str, customer_no: str) -> list[LedgerEntry]:
    """Sparse index open_credits: credit memos and payments the ERP has not applied to an
    invoice (wholly or in part), oldest first."""
    return list(LedgerEntry.open_credits.query(account_pk(company_id, customer_no)))


def payments(company_id: str, payment_ids: list[str]) -> list[Payment]:
    keys = [(company_id, pid) for pid in dict.fromkeys(payment_ids)][:100]
    return list(Payment.batch_get(keys)) if keys else []


def equipment(company_id: str, customer_no: str) -> list[Equipment]:
    """Table equipment: customer_pk = C (one customer's units, by serial)."""
    return list(Equipment.query(account_pk(company_id, customer_no), limit=500))


def latest_payment(company_id: str, customer_no: str, look_back: int = 50) -> EntryView | None:
    """The newest payment the ERP recorded among the account's latest `look_back` entries:
    one Query (the home page), whatever the account's history."""
    query = LedgerEntry.query(
        account_pk(company_id, customer_no),
        scan_index_forward=False,
        filter_condition=LedgerEntry.kind == "payment",
        page_size=look_back,
        attributes_to_get=ENTRY_ATTRIBUTES,
    )
    first: dict[str, Any] = next(iter(query.page_iter), {})
    items = first.get("Items", [])
    return EntryView.from_raw(items[0]) if items else None
