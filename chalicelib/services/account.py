"""Account pages: open AR with aging, the ledger, purchase history, equipment."""
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional

from .. import clock
from ..models import Company, Invoice
from ..repositories import ar_totals, invoices, ledger, paging
from . import orders

BUCKETS = ["Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]


def company_today(company: Company, now: Optional[datetime] = None) -> date:
    zone = clock.zone(company.time_zone)
    return (now or datetime.now(tz=zone)).astimezone(zone).date()


def due_date(invoice: Invoice, terms_days: int = 30) -> date:
    if invoice.due_date:
        return date.fromisoformat(invoice.due_date)
    return date.fromisoformat(invoice.invoice_date) + timedelta(days=terms_days)


def bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    return min((days_past_due - 1) // 30 + 1, 4)


@dataclass
class ArRow:
    invoice: Invoice
    due: date
    days_past_due: int
    bucket: int
    balance_cents: int


@dataclass
class ArSummary:
    rows: List[ArRow]
    buckets: List[int]
    total_cents: int
    complete: bool  # False when the customer has more open invoices than one page reads
    updated_at: object = None
    portal_payments: list = field(default_factory=list)  # pending/approved, not yet applied by the ERP


def open_ar(company: Company, customer_no: str, terms_days: int = 30,
            now: Optional[datetime] = None) -> ArSummary:
    page = invoices.open_ar(company.company_id, customer_no)
    portal_payments = ledger.unapplied_payments(company.company_id, customer_no)
    return aging(page.items, ledger.by_invoice(portal_payments), company_today(company, now),
                 terms_days, complete=page.cursor is None, portal_payments=portal_payments)


def aging(open_invoices: List[Invoice], unapplied: Dict[str, int], today: date,
          terms_days: int = 30, complete: bool = True, portal_payments=()) -> ArSummary:
    """Open invoices (oldest due first) in aging buckets as of `today` (also a statement date)."""
    rows, buckets = [], [0] * len(BUCKETS)
    for invoice in open_invoices:
        balance = orders.shown_balance(invoice, unapplied)
        if balance <= 0:
            continue
        due = due_date(invoice, terms_days)
        late = (today - due).days
        rows.append(ArRow(invoice, due, late, bucket(late), balance))
        buckets[bucket(late)] += balance
    return ArSummary(rows, buckets, sum(buckets), complete, invoices.latest_update(open_invoices),
                     sorted(portal_payments, key=lambda p: p.payment_id, reverse=True))


@dataclass
class AccountView:
    """/account: the aging of the whole account (its ArTotals) and one page of open invoices."""
    buckets: List[int]
    total_cents: int
    open_count: int
    rows: List[ArRow]
    cursor: Optional[str]
    stopped_early: bool
    updated_at: object
    portal_payments: list


def _add_by_day(buckets: List[int], cents_by_day: Dict[str, int], today: date) -> None:
    """Add cents per due day (ISO) into the aging buckets.  ISO dates compare as
    strings, so a day's bucket is a bisection over the buckets' first days (oldest
    first), with no date parsing: an account has an entry per day of open AR."""
    # Bucket boundaries, oldest first: today - 90, - 60, - 30, today.  A day on or
    # after n of them is in bucket 4 - n (today or later: "Current").
    firsts = [(today - timedelta(days=30 * k)).isoformat() for k in range(len(BUCKETS) - 2, -1, -1)]
    last = len(BUCKETS) - 1
    for day, cents in cents_by_day.items():
        buckets[last - bisect_right(firsts, day)] += cents


def account_view(company: Company, customer_no: str, terms_days: int = 30,
                 cursor: Optional[str] = None, now: Optional[datetime] = None) -> AccountView:
    """Three reads whatever the account's size: the totals item, the unapplied portal
    payments, one page of open invoices (plus the invoices those payments are for)."""
    today = company_today(company, now)
    totals = ar_totals.current(company.company_id, customer_no)
    portal_payments = ledger.unapplied_payments(company.company_id, customer_no)
    unapplied = ledger.by_invoice(portal_payments)
    buckets = [0] * len(BUCKETS)
    _add_by_day(buckets, totals.by_due, today)
    _add_by_day(buckets, totals.by_invoice_date, today - timedelta(days=terms_days))
    # DESIGN §7: payments made here lower what is due until the ERP applies them,
    # never below zero on an invoice.
    for invoice in (invoices.many(company.company_id, unapplied, invoices.AR_ATTRIBUTES) if unapplied else {}).values():
        if invoice.balance_cents > 0:
            late = (today - due_date(invoice, terms_days)).days
            buckets[bucket(late)] -= min(unapplied[invoice.invoice_no], invoice.balance_cents)
    page = invoices.open_ar_page(company.company_id, customer_no, cursor)
    shown = aging(page.items, unapplied, today, terms_days)
    return AccountView(buckets, sum(buckets), int(totals.open_count), shown.rows, page.cursor,
                       page.stopped_early, totals.erp_updated_at,
                       sorted(portal_payments, key=lambda p: p.payment_id, reverse=True))


@dataclass
class LedgerRow:
    entry_date: str
    kind: str
    reference: Optional[str]
    amount_cents: int
    running_cents: int


@dataclass
class LedgerView:
    opening_cents: int
    opening_known: bool
    rows: List[LedgerRow]
    closing_cents: int
    cursor: Optional[str]
    stopped_early: bool


KIND_LABELS = {"invoice": "Invoice", "payment": "Payment", "credit": "Credit memo",
               "balance_forward": "Balance forward", "adjustment": "Adjustment"}


def opening_balance(company_id: str, customer_no: str, date_from: str):
    """Balance at the start of the period: the latest balance forward before it,
    plus every entry between that and the period start."""
    before = ledger.amounts_before(company_id, customer_no, date_from)
    total = 0
    for kind, cents in before:  # newest first
        if kind == "balance_forward":
            return total + cents, True
        total += cents
    return total, len(before) < 200


def account_history(company_id: str, customer_no: str, date_from: str, date_to: str,
                    cursor: Optional[str], opening: Optional[int] = None,
                    want: int = paging.DEFAULT_ROWS) -> LedgerView:
    known = True
    if opening is None:
        opening, known = opening_balance(company_id, customer_no, date_from)
    page = ledger.entries_between(company_id, customer_no, date_from, date_to, cursor, want=want)
    running, rows = opening, []
    for entry in page.items:
        amount = int(entry.amount_cents)
        running = amount if entry.kind == "balance_forward" else running + amount
        rows.append(LedgerRow(entry.entry_date, KIND_LABELS.get(entry.kind, entry.kind),
                              entry.reference, amount, running))
    return LedgerView(opening, known, rows, running, page.cursor, page.stopped_early)


@dataclass
class PurchaseRow:
    invoice: Invoice
    line: object


def purchases(company_id: str, customer_no: str, text: str, date_from: Optional[str],
              date_to: Optional[str], cursor: Optional[str]):
    """Line-level purchase history; `text` matches a part-number prefix or every word."""
    words = [w for w in (text or "").lower().split() if w]
    page = invoices.by_customer_date(company_id, customer_no, date_from, date_to, cursor)

    def wanted(line) -> bool:
        if not words:
            return True
        part = (line.part_no or "").lower()
        description = (line.description or "").lower()
        return (len(words) == 1 and part.startswith(words[0])) or \
            all(w in description or w in part for w in words)

    rows = [PurchaseRow(inv, line) for inv in page.items for line in inv.lines if wanted(line)]
    return rows, page


@dataclass
class Unit:
    equipment: object
    orders: List[Invoice] = field(default_factory=list)


def equipment(company_id: str, customer_no: str) -> List[Unit]:
    units = ledger.equipment(company_id, customer_no)
    wanted = [n for unit in units for n in (unit.invoice_nos or [])]
    found: Dict[str, Invoice] = invoices.many(company_id, wanted)
    return [Unit(unit, sorted((found[n] for n in (unit.invoice_nos or []) if n in found
                               and found[n].customer_no == customer_no),
                              key=lambda inv: inv.invoice_date, reverse=True))
            for unit in units]
