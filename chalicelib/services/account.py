"""Account pages: open AR with aging, the ledger, purchase history, equipment.

Every balance here comes from `services.balance` (the one balance rule)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..models import Company, Invoice
from ..repositories import invoices, ledger, paging
from ..repositories.invoices import AnyInvoice, InvoiceHeader
from . import balance as balance_rule
from .balance import BUCKETS, Balance, _add_by_day, bucket, company_today, due_date  # noqa: F401

if TYPE_CHECKING:
    from ..repositories.request_context import BalanceItems


@dataclass
class ArRow:
    invoice: AnyInvoice
    due: date
    days_past_due: int
    bucket: int
    balance_cents: int


@dataclass
class ArSummary:
    rows: list[ArRow]
    buckets: list[int]
    total_cents: int
    complete: bool  # False when the customer has more open invoices than one page reads
    updated_at: datetime | None = None
    portal_payments: list = field(default_factory=list)  # pending/approved, not yet applied by the ERP
    balance: Balance | None = None


def open_ar(
    company: Company,
    customer_no: str,
    terms_days: int = 30,
    now: datetime | None = None,
    items: "BalanceItems | None" = None,
) -> ArSummary:
    """The pay form: the balance and aging of the whole account as /account reads them (the
    AR totals, services/balance.account_balance), and every open invoice still to pay (1
    Query per MB of open invoices, no cap; the invoices the portal payments pay are among
    them, so they are not read again)."""
    page = invoices.open_ar(company.company_id, customer_no)
    account = balance_rule.account_balance(company, customer_no, terms_days, now, items, page.items)
    return ArSummary(
        _still_to_pay(page.items, account.unapplied, account.today, terms_days),
        account.balance.buckets,
        account.balance.total_cents,
        page.cursor is None,
        account.totals.erp_updated_at,
        account.portal_payments,
        account.balance,
    )


def _still_to_pay(
    open_invoices: Sequence[AnyInvoice], unapplied: dict[str, int], today: date, terms_days: int
) -> list[ArRow]:
    """Rows of the open invoices that portal payments have not paid in full."""
    rows = []
    for invoice in open_invoices:
        shown = balance_rule.shown_balance(invoice, unapplied)
        if shown > 0:  # paid in full by a payment made here: not open any more
            due = due_date(invoice, terms_days)
            late = (today - due).days
            rows.append(ArRow(invoice, due, late, bucket(late), shown))
    return rows


def aging(
    open_invoices: Sequence[AnyInvoice],
    credits_cents: int,
    portal_payments: list,
    today: date,
    terms_days: int = 30,
    complete: bool = True,
) -> ArSummary:
    """Open invoices (oldest due first) in aging buckets as of `today` (also a statement date),
    less the open credits (`credits_cents`) and the portal payments."""
    result, rows = balance_rule.as_of(open_invoices, credits_cents, portal_payments, today, terms_days)
    return ArSummary(
        [ArRow(*row) for row in rows],
        result.buckets,
        result.total_cents,
        complete,
        invoices.latest_update(open_invoices),
        sorted(portal_payments, key=lambda p: p.payment_id, reverse=True),
        result,
    )


@dataclass
class AccountView:
    """/account: the aging of the whole account (its ArTotals) and one page of open invoices."""

    buckets: list[int]
    total_cents: int
    open_count: int
    rows: list[ArRow]
    cursor: str | None
    stopped_early: bool
    updated_at: datetime | None
    portal_payments: list
    balance: Balance | None = None


def account_view(
    company: Company,
    customer_no: str,
    terms_days: int = 30,
    cursor: str | None = None,
    now: datetime | None = None,
    items: "BalanceItems | None" = None,
) -> AccountView:
    """One or two reads whatever the account's size, besides the request context's
    (`items`: the totals and the unapplied portal payments): the invoices those payments
    pay (only when there are some) and one page of open invoices."""
    account = balance_rule.account_balance(company, customer_no, terms_days, now, items)
    page = invoices.open_ar_page(company.company_id, customer_no, cursor)
    rows = _still_to_pay(page.items, account.unapplied, account.today, terms_days)
    return AccountView(
        account.balance.buckets,
        account.balance.total_cents,
        account.open_count,
        rows,
        page.cursor,
        page.stopped_early,
        account.totals.erp_updated_at,
        account.portal_payments,
        account.balance,
    )


@dataclass
class LedgerRow:
    entry_date: str
    kind: str
    reference: str | None
    amount_cents: int
    running_cents: int


@dataclass
class LedgerView:
    opening_cents: int
    opening_known: bool
    rows: list[LedgerRow]
    closing_cents: int
    cursor: str | None
    stopped_early: bool


KIND_LABELS = {
    "invoice": "Invoice",
    "payment": "Payment",
    "credit": "Credit memo",
    "balance_forward": "Balance forward",
    "adjustment": "Adjustment",
}


def opening_of(before_newest_first: Iterable[tuple[str, int]]) -> tuple[int, bool]:
    """Balance at the start of a period from the (kind, cents) of the entries before it, newest
    first: the latest balance forward plus every entry after it; True when one was found."""
    total = 0
    for kind, cents in before_newest_first:
        if kind == "balance_forward":
            return total + cents, True
        total += cents
    return total, False


def opening_balance(company_id: str, customer_no: str, date_from: str):
    """Balance at the start of the period (`opening_of` over the entries before it); known when
    a balance forward or the ledger's first entry was reached."""
    before = ledger.amounts_before(company_id, customer_no, date_from)
    total, found = opening_of(before)
    return total, found or len(before) < 200


def account_history(
    company_id: str,
    customer_no: str,
    date_from: str,
    date_to: str,
    cursor: str | None,
    opening: int | None = None,
    want: int = paging.DEFAULT_ROWS,
) -> LedgerView:
    known = True
    if opening is None:
        opening, known = opening_balance(company_id, customer_no, date_from)
    page = ledger.entries_between(company_id, customer_no, date_from, date_to, cursor, want=want)
    running, rows = opening, []
    for entry in page.items:
        amount = int(entry.amount_cents)
        running = amount if entry.kind == "balance_forward" else running + amount
        rows.append(
            LedgerRow(entry.entry_date, KIND_LABELS.get(entry.kind, entry.kind), entry.reference, amount, running)
        )
    return LedgerView(opening, known, rows, running, page.cursor, page.stopped_early)


def portal_label(payment) -> str:
    return "Portal refund" if payment.kind == "refund" else "Portal payment"


def portal_reference(payment) -> str | None:
    masked = payment.masked_account
    return f"…{masked[-4:]}" if masked else None


def portal_day(payment, company: Company) -> str:
    """The day a portal payment was made, in the company's time zone (ISO)."""
    from .. import clock

    return payment.created_at.astimezone(clock.zone(company.time_zone)).date().isoformat()


def history(
    company: Company,
    customer_no: str,
    date_from: str,
    date_to: str,
    cursor: str | None,
    opening: int | None = None,
    items: "BalanceItems | None" = None,
) -> LedgerView:
    """Account History: the ERP's ledger and, by the balance rule, the portal payments the
    ERP has not applied yet (they are not in its ledger), so that the closing balance is
    the balance due.  Those made before the period are in the opening balance; those in
    it are merged by date into its last page (they are recent: the ERP applies them)."""
    unapplied = balance_rule.unapplied_portal_payments(company, customer_no, items)
    portal = [(portal_day(p, company), p) for p in unapplied]
    earlier = sum(int(p.amount_cents) for day, p in portal if day < date_from)
    view = account_history(company.company_id, customer_no, date_from, date_to, cursor, opening)
    if opening is None:  # computed from the ledger: the portal payments before the period count
        view.opening_cents -= earlier
    merged = [(row.entry_date, 0, row, 0) for row in view.rows]
    if view.cursor is None:
        merged += [
            (day, 1, LedgerRow(day, portal_label(p), portal_reference(p), -int(p.amount_cents), 0), int(p.amount_cents))
            for day, p in sorted(portal, key=lambda pair: pair[1].payment_id)
            if date_from <= day <= date_to
        ]
    # The ERP's balance forward restates its own ledger, which never holds these payments.
    running, portal_so_far, rows = view.opening_cents, earlier, []
    for _day, _order, row, portal_cents in sorted(merged, key=lambda item: item[:2]):
        if row.kind == KIND_LABELS["balance_forward"]:
            running = row.amount_cents - portal_so_far
        else:
            running += row.amount_cents
        portal_so_far += portal_cents
        row.running_cents = running
        rows.append(row)
    view.rows, view.closing_cents = rows, running
    return view


@dataclass
class PurchaseRow:
    invoice: Invoice
    line: object


def purchases(
    company_id: str,
    customer_no: str,
    text: str,
    date_from: str | None,
    date_to: str | None,
    cursor: str | None,
):
    """Line-level purchase history; `text` matches a part-number prefix or every word."""
    words = [w for w in (text or "").lower().split() if w]
    page = invoices.by_customer_date(company_id, customer_no, date_from, date_to, cursor)

    def wanted(line) -> bool:
        if not words:
            return True
        part = (line.part_no or "").lower()
        description = (line.description or "").lower()
        return (len(words) == 1 and part.startswith(words[0])) or all(w in description or w in part for w in words)

    rows = [PurchaseRow(inv, line) for inv in page.items for line in inv.lines if wanted(line)]
    return rows, page


@dataclass
class Unit:
    equipment: object
    orders: list[InvoiceHeader] = field(default_factory=list)


def equipment(company_id: str, customer_no: str) -> list[Unit]:
    units = ledger.equipment(company_id, customer_no)
    wanted = [n for unit in units for n in (unit.invoice_nos or [])]
    found: dict[str, InvoiceHeader] = invoices.many(company_id, wanted)
    return [
        Unit(
            unit,
            sorted(
                (found[n] for n in (unit.invoice_nos or []) if n in found and found[n].customer_no == customer_no),
                key=lambda inv: inv.invoice_date,
                reverse=True,
            ),
        )
        for unit in units
    ]
