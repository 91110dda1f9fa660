"""Statements (EPASS): the current one as of the company's statement cycle, and past ones.

The current statement is cut on the company's `statement_day` of each month
(1–28), in the company's time zone: on or after that day this month's, before it
last month's.  It covers the activity after the previous statement date up to and
including the statement date:

- previous balance: the ERP ledger's balance at the end of the previous statement date;
- activity: the ERP ledger entries of the period (invoices, payments, credit memos,
  adjustments, balance forward) and the approved portal payments the ERP has not
  applied yet, made on or before the statement date;
- total due = previous balance + activity;
- open items: the balance rule (services.balance) as of the statement date: invoices
  dated on or before it that still have a balance (net of those portal payments), aged
  as of that date, less the open credits dated by it and what those portal payments
  put on account; plus, as one item, what ERP payments and credits dated after the
  statement date took off those invoices (or a balance carried forward without
  invoices), as one item.  The aging buckets add up to the total due.

Portal payments made after the statement date are shown apart ("paid since").
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from .. import clock
from ..models import Company, Statement
from ..repositories import ar_totals, invoices, ledger, statements
from . import account
from . import balance as balance_rule

if TYPE_CHECKING:
    from ..repositories.request_context import BalanceItems

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A month of activity is read in one go (1–3 Queries); more says "incomplete".
MAX_ACTIVITY = 500


def statement_day(company: Company) -> int:
    return min(max(int(company.statement_day or 1), 1), 28)


def month_before(day: date) -> date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_date(company: Company, now: datetime | None = None) -> date:
    """The latest statement date on or before today in the company's time zone (monthly)."""
    today = account.company_today(company, now)
    cut = today.replace(day=statement_day(company))
    return cut if today >= cut else month_before(cut)


@dataclass
class Activity:
    entry_date: str
    label: str
    reference: str | None
    amount_cents: int  # charges positive, payments and credits negative


@dataclass
class StatementView:
    statement_date: date
    previous_date: date
    previous_balance_cents: int
    previous_known: bool  # False when the ledger before the period was not read to its start
    activity: list[Activity]
    total_due_cents: int
    open_items: account.ArSummary
    paid_since_cents: int  # approved portal payments after the statement date
    complete: bool  # False when the period had more activity than one read takes
    past: "list[PastStatement]" = field(default_factory=list)  # the ERP's, newest first
    other_balance_cents: int = 0  # owed at the statement date, not on an open item
    unapplied_credits_cents: int = 0  # open credits and portal payments not against an open item

    @property
    def charges_cents(self) -> int:
        return sum(a.amount_cents for a in self.activity if a.amount_cents > 0)

    @property
    def credits_cents(self) -> int:
        return sum(a.amount_cents for a in self.activity if a.amount_cents < 0)

    @property
    def still_due_cents(self) -> int:
        return max(self.total_due_cents - self.paid_since_cents, 0)


def _local_date(payment, company: Company) -> date:
    return payment.created_at.astimezone(clock.zone(company.time_zone)).date()


@dataclass
class LedgerPeriod:
    """The ledger entries of a statement period and the balance before it."""

    opening_cents: int
    opening_known: bool
    entries: list  # oldest first
    complete: bool


def _period(newest_first: list, start: str, day: str, read_enough: bool, opening_known: bool) -> LedgerPeriod:
    """Split a newest-first read into the period's entries (start..day) and the opening balance
    (`account.opening_of` over the entries before the period)."""
    period = [entry for entry in newest_first if start <= entry.entry_date <= day]
    opening, _found = account.opening_of((e.kind, int(e.amount_cents)) for e in newest_first if e.entry_date < start)
    period.reverse()
    if len(period) > MAX_ACTIVITY:
        return LedgerPeriod(opening, opening_known, period[:MAX_ACTIVITY], False)
    return LedgerPeriod(opening, opening_known, period, read_enough)


def build(
    company: Company,
    customer_no: str,
    statement_date: date,
    terms_days: int = 30,
    previous_date: date | None = None,
    items: "BalanceItems | None" = None,
    now: datetime | None = None,
    totals: ar_totals.Totals | None = None,
) -> StatementView:
    """The statement of one customer as of `statement_date`; the unapplied portal payments and
    the AR totals come from the request context (`items`; `totals`: already parsed from them).

    The current statement reads the ledger newest first from its newest entry back to the
    opening balance (1 Query for most accounts): the entries after the statement date say which
    of the account's open credits (its AR totals) are dated after it.  An older statement (its
    PDF) reads the ledger up to its date and the open credits index."""
    company_id = company.company_id
    previous = previous_date or month_before(statement_date)
    start, day = (previous + timedelta(days=1)).isoformat(), statement_date.isoformat()
    is_current = statement_date >= current_date(company, now)
    read = ledger.back_to_opening(company_id, customer_no, start, None if is_current else day)
    if is_current:
        later = sum(ar_totals.open_credit(e) for e in read.entries if e.entry_date > day)
        totals = totals or balance_rule.account_totals(company, customer_no, items)
        credits_cents = totals.open_credits_cents - later
    else:
        credits_cents = sum(
            ar_totals.open_credit(c) for c in ledger.open_credits(company_id, customer_no) if c.entry_date <= day
        )
    period = _period(read.entries, start, day, read.read_enough, read.opening_known)
    opening, rows = period.opening_cents, period.entries
    restated = [i for i, row in enumerate(rows) if row.kind == "balance_forward"]
    if restated:  # the ERP restated the balance inside the period: the statement starts there
        opening, rows = int(rows[restated[-1]].amount_cents), rows[restated[-1] + 1 :]
    activity = [
        Activity(row.entry_date, account.KIND_LABELS.get(row.kind, row.kind), row.reference, int(row.amount_cents))
        for row in rows
    ]
    closing = opening + sum(a.amount_cents for a in activity)
    portal, paid_since, portal_total = [], 0, 0
    unapplied = balance_rule.unapplied_portal_payments(company, customer_no, items)
    for payment in sorted(unapplied, key=lambda p: p.payment_id):
        paid_on = _local_date(payment, company)
        if paid_on > statement_date:
            paid_since += int(payment.amount_cents)
            continue
        activity.append(
            Activity(
                paid_on.isoformat(),
                account.portal_label(payment),
                account.portal_reference(payment),
                -int(payment.amount_cents),
            )
        )
        portal_total += int(payment.amount_cents)
        portal.append(payment)
    activity.sort(key=lambda a: a.entry_date)
    page = invoices.open_ar(company_id, customer_no)
    dated = [inv for inv in page.items if inv.invoice_date <= day]
    # The balance rule as of the statement date (services.balance), over what was dated by it.
    open_items = account.aging(dated, credits_cents, portal, statement_date, terms_days, complete=page.cursor is None)
    total_due = closing - portal_total
    # What the ledger says was owed at the statement date beyond those open items: invoices
    # dated by then that ERP payments or credits dated after it have lowered (the ledger
    # does not say which), or a balance the ERP carried forward without invoices.  One
    # item, aged "Current"; 0 when neither happened.
    other_balance = total_due - open_items.total_cents
    if other_balance:
        open_items.buckets[0] += other_balance
        open_items.total_cents = total_due
    return StatementView(
        statement_date,
        previous,
        opening,
        period.opening_known or bool(restated),
        activity,
        total_due,
        open_items,
        paid_since,
        period.complete,
        other_balance_cents=other_balance,
        unapplied_credits_cents=(open_items.balance.unallocated_cents if open_items.balance else 0),
    )


@dataclass
class PastStatement:
    statement_date: str  # ISO
    balance_cents: int


def past_statements(company: Company, customer_no: str, totals: ar_totals.Totals) -> list[PastStatement]:
    """The ERP's newest statements, newest first: the list on the account's AR totals item (read
    with the request context); an item from before it kept one reads the table once (1 Query)
    and stores what it found (1 UpdateItem)."""
    listed = totals.statements
    if listed is None:
        found = statements.recent(company.company_id, customer_no)
        listed = {sent.statement_date: int(sent.balance_cents) for sent in found}
        ar_totals.store_statements(company.company_id, customer_no, totals.version, listed)
    newest = sorted(listed.items(), reverse=True)[: statements.PAST_STATEMENTS]
    return [PastStatement(day, cents) for day, cents in newest]


def current(
    company: Company,
    customer_no: str,
    terms_days: int = 30,
    now: datetime | None = None,
    items: "BalanceItems | None" = None,
) -> StatementView:
    """The statement page: the current statement plus the ERP's past ones (with their PDFs)."""
    totals = balance_rule.account_totals(company, customer_no, items)
    view = build(company, customer_no, current_date(company, now), terms_days, items=items, now=now, totals=totals)
    view.past = past_statements(company, customer_no, totals)
    return view


def resolve(
    company: Company, customer_no: str, statement_date: str, now: datetime | None = None
) -> tuple[date, Statement | None] | None:
    """`current` or the date of a statement the ERP sent this customer → (date, the ERP's
    statement if any).  None for any other date: there is nothing to show."""
    if statement_date == "current":
        when = current_date(company, now)
        return when, statements.get(company.company_id, customer_no, when.isoformat())
    if not ISO_DATE.match(statement_date or ""):
        return None
    try:
        when = date.fromisoformat(statement_date)
    except ValueError:
        return None
    sent = statements.get(company.company_id, customer_no, when.isoformat())
    return (when, sent) if sent is not None else None
