"""Orders and invoices a customer or sub-dealer may see (README, "Demo logins" and "Dealer Administration").

Isolation: a customer sees invoices whose customer is the account in use; a
dealer sees invoices whose dealer code is one of the account's linked dealer
records.  Anything else is "not found".
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..models import Invoice
from ..models.base import plain_dict
from ..repositories import audit, invoices, ledger, paging, payments
from ..repositories.invoices import AnyInvoice, Criteria
from . import balance

if TYPE_CHECKING:
    from ..repositories.request_context import BalanceItems


@dataclass
class Row:
    invoice: AnyInvoice
    balance_cents: int  # docs/balance.md: ERP balance minus unapplied portal payments


@dataclass
class Listing:
    rows: list[Row]
    cursor: str | None
    stopped_early: bool
    updated_at: datetime | None = None
    calls: int = 0


@dataclass
class Detail:
    invoice: Invoice
    balance_cents: int
    payments: list = field(default_factory=list)  # (payment, cents on this invoice, applied?)


shown_balance = balance.shown_balance  # the one balance rule, per invoice


def _listing(items: Sequence[AnyInvoice], page_cursor, stopped_early, unapplied, calls=0) -> Listing:
    rows = [Row(inv, shown_balance(inv, unapplied)) for inv in items]
    return Listing(rows, page_cursor, stopped_early, invoices.latest_update(items), calls)


def _matches(invoice: Invoice, state: str, criteria: Criteria) -> bool:
    if invoice.state != state:
        return False
    date = invoice.invoice_date
    return not (
        (criteria.date_from and date < criteria.date_from)
        or (criteria.date_to and date > criteria.date_to)
        or (criteria.po and criteria.po not in (invoice.po_number or ""))
        or (criteria.status and invoice.status != criteria.status)
        or (criteria.location and invoice.location_id != criteria.location)
        or (criteria.customer_no and invoice.customer_no != criteria.customer_no)
    )


def _unapplied_by_invoice(company_id: str, customer_no: str, items: "BalanceItems | None") -> dict[str, int]:
    """Cents per invoice of the unapplied portal payments: from the account's reservation
    item read with the request context (no call), else 1 Query of the `unapplied` index."""
    if items is not None:
        holds = payments.holds_of_raw(company_id, customer_no, items.reservations_raw)
        if holds.complete:
            return balance.allocations(holds.portal_payments())
    return ledger.unapplied_by_invoice(company_id, customer_no)


def customer_orders(
    company_id: str,
    customer_no: str,
    state: str,
    criteria: Criteria,
    cursor: str | None,
    invoice_no: str | None = None,
    items: "BalanceItems | None" = None,
) -> Listing:
    """Current Orders (state open) or History (state closed) of one customer."""
    unapplied = _unapplied_by_invoice(company_id, customer_no, items) if state == "open" else {}
    if invoice_no:  # an invoice number is a key: one GetItem
        invoice = invoices.get(company_id, invoice_no.strip().upper())
        found = (
            [invoice] if invoice and invoice.customer_no == customer_no and _matches(invoice, state, criteria) else []
        )
        return _listing(found, None, False, unapplied)
    page = invoices.by_customer(company_id, customer_no, state, criteria, cursor)
    return _listing(page.items, page.cursor, page.stopped_early, unapplied, page.calls)


def _item_key(invoice: Invoice) -> dict:
    return {"pk": {"S": invoice.pk}, "dealer_pk": {"S": invoice.dealer_pk}, "state_key": {"S": invoice.state_key}}


def dealer_orders(
    company_id: str,
    dealer_codes: list[str],
    state: str,
    criteria: Criteria,
    cursor: str | None,
    invoice_no: str | None = None,
) -> Listing:
    """OEM lists: invoices where one of the account's dealer records is the dealer.

    Several linked dealer records are merged by date; the cursor keeps one
    position per dealer code.
    """
    if invoice_no:
        invoice = invoices.get(company_id, invoice_no.strip().upper())
        found = (
            [invoice] if invoice and invoice.dealer_code in dealer_codes and _matches(invoice, state, criteria) else []
        )
        return _listing(found, None, False, {})
    positions = _decode_positions(cursor, dealer_codes)
    pages, calls = {}, 0
    for code in dealer_codes:
        if code in positions and positions[code] is None:
            continue  # that dealer's list is finished
        pages[code] = invoices.by_dealer(company_id, code, state, criteria, positions.get(code))
        calls += pages[code].calls
    merged = sorted(
        ((inv, code) for code, page in pages.items() for inv in page.items),
        key=lambda pair: pair[0].state_key,
        reverse=criteria.newest_first,
    )
    shown = merged[: paging.DEFAULT_ROWS]
    next_positions = {}
    for code, page in pages.items():
        taken = [inv for inv, c in shown if c == code]
        if len(taken) < len(page.items):  # stopped inside this page: resume after the last shown
            next_positions[code] = paging.encode(_item_key(taken[-1])) if taken else positions.get(code)
        else:
            next_positions[code] = page.cursor
    for code in dealer_codes:
        if code not in pages:
            next_positions[code] = None
    more = any(v for v in next_positions.values())
    stopped = any(p.stopped_early for p in pages.values())
    items = [inv for inv, _ in shown]
    return _listing(items, paging.encode(next_positions) if more else None, stopped, {}, calls)


def _decode_positions(cursor: str | None, codes: list[str]) -> dict[str, str | None]:
    if not cursor:
        return {}
    positions = paging.load(cursor)
    if (
        not isinstance(positions, dict)
        or set(positions) - set(codes)
        or not all(v is None or isinstance(v, str) for v in positions.values())
    ):
        raise paging.BadCursor("cursor for another list")
    return positions


def invoice_for_customer(
    company_id: str, customer_no: str, invoice_no: str, items: "BalanceItems | None" = None
) -> Detail | None:
    invoice = invoices.get(company_id, invoice_no)
    if invoice is None or invoice.customer_no != customer_no:
        return None
    return _detail(company_id, invoice, items=items)


def invoice_for_dealer(company_id: str, dealer_codes: list[str], invoice_no: str) -> Detail | None:
    invoice = invoices.get(company_id, invoice_no)
    if invoice is None or not invoice.dealer_code or invoice.dealer_code not in dealer_codes:
        return None
    return _detail(company_id, invoice, with_payments=False)


def search_any(company_id: str, invoice_no: str, actor: str, account_pk: str, source_ip: str) -> Detail | None:
    """Search ALL invoices: any invoice of the company, read-only, always audited."""
    invoice = invoices.get(company_id, (invoice_no or "").strip().upper()[:40])
    audit.record(
        company_id,
        "search_all_invoices",
        actor=actor,
        source_ip=source_ip,
        invoice_no=invoice_no,
        account=account_pk,
        found=invoice is not None,
    )
    return _detail(company_id, invoice, with_payments=False) if invoice else None


def _unapplied_payments(company_id: str, customer_no: str, items: "BalanceItems | None") -> list:
    """The account's unapplied portal payments: from its reservation item read with the
    request context (the session's own account), else 1 Query of the `unapplied` index."""
    if items is not None:
        holds = payments.holds_of_raw(company_id, customer_no, items.reservations_raw)
        if holds.complete:
            return holds.portal_payments()
    return ledger.unapplied_payments(company_id, customer_no)


def _detail(
    company_id: str, invoice: Invoice, with_payments: bool = True, items: "BalanceItems | None" = None
) -> Detail:
    if not with_payments:
        return Detail(invoice, int(invoice.balance_cents or 0))
    unapplied = _unapplied_payments(company_id, invoice.customer_no, items) if invoice.balance_cents else []
    pending = [
        (p, int(_allocation(p, invoice.invoice_no)), False) for p in unapplied if _allocation(p, invoice.invoice_no)
    ]
    applied = [
        (p, int(_allocation(p, invoice.invoice_no) or p.amount_cents), True)
        for p in ledger.payments(company_id, list(invoice.applied_payment_ids or []))
    ]
    shown = max(int(invoice.balance_cents or 0) - sum(c for _, c, _ in pending), 0)
    return Detail(invoice, shown, applied + pending)


def _allocation(payment, invoice_no: str) -> int:
    return int(plain_dict(payment.allocations).get(invoice_no, 0))


def open_parts(company_id: str, customer_no: str, cursor: str | None, location: str | None = None):
    """Every back-ordered line of every open invoice (paged by invoice)."""
    page = invoices.by_customer(
        company_id, customer_no, "open", Criteria(location=location), cursor, want=paging.DEFAULT_ROWS, backorders=True
    )
    lines = [(inv, line) for inv in page.items for line in inv.lines if int(line.qty_backordered or 0) > 0]
    return lines, page, invoices.latest_update(page.items)
