"""The home page of a signed-in account: what is owed, what is ready, what is waiting.

A constant number of DynamoDB calls whatever the account's size: the balance as /account
reads it (`balance.account_balance`: the AR totals item, the unapplied portal payments,
0–1 BatchGetItem), one Query of the newest open orders (status and back-ordered lines)
and one Query of the newest ledger entries for the last payment the ERP recorded.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import PynamoDBException

from ..models import Company
from ..repositories import ar_totals, invoices, ledger
from ..repositories.ar_totals import OLD
from . import balance as balance_rule

if TYPE_CHECKING:
    from ..repositories.request_context import BalanceItems

logger = logging.getLogger(__name__)

# The ERP's statuses of an open order, in the order the home page lists them: what the
# customer can act on (pick up) first.  Unknown statuses follow, by name.
STATUS_ORDER = ["Ready", "Awaiting parts", "Scheduled", "Received"]
STATUS_LABELS = {"Ready": "Ready for pickup"}
ORDERS_READ = 200  # open orders the home page counts (more: "200+")
BACKORDERS_SHOWN = 5


@dataclass
class StatusCount:
    status: str  # the ERP's wording (the Current Orders filter value)
    label: str
    count: int


@dataclass
class BackorderedLine:
    invoice_no: str
    part_no: str | None
    description: str | None
    qty_backordered: int
    expected_on: str | None


@dataclass
class LastPayment:
    day: date
    amount_cents: int
    how: str  # "Paid here (card)", "Recorded by <company>"
    processing: bool = False


@dataclass
class Dashboard:
    balance_due_cents: int
    past_due_cents: int
    next_due: date | None  # the earliest due date from today on with an open balance
    oldest_due: date | None  # the earliest due date with an open balance (may be past)
    open_orders: int
    more_orders: bool  # more open orders than the page counts
    by_status: list[StatusCount] = field(default_factory=list)
    backordered_lines: int = 0
    backordered: list[BackorderedLine] = field(default_factory=list)
    last_payment: LastPayment | None = None


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "No status")


def _status_rank(status: str) -> tuple[int, str]:
    return (STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER), status)


def _due_days(totals, terms_days: int) -> dict[date, int]:
    """Open invoice cents per due day, from the totals item (no invoice read).  The folded
    entry (OLD: over 90 days past due) has no day of its own and is left out."""
    days: dict[date, int] = {}
    for day, cents in totals.by_due.items():
        if day != OLD and cents > 0:
            due = date.fromisoformat(day)
            days[due] = days.get(due, 0) + cents
    for day, cents in totals.by_invoice_date.items():
        if day != OLD and cents > 0:
            due = date.fromisoformat(day) + timedelta(days=terms_days)
            days[due] = days.get(due, 0) + cents
    return days


def _last_payment(portal_payments, erp_payment: tuple[date, int] | None, company: Company) -> LastPayment | None:
    """The newer of the newest portal payment the ERP has not applied yet (already read
    for the balance) and the newest payment the ERP recorded."""
    from .payments import METHOD_LABELS

    candidates = []
    for payment in portal_payments:  # newest first
        if payment.kind == "payment" and int(payment.amount_cents) > 0:
            day = balance_rule.company_today(company, payment.created_at)
            method = METHOD_LABELS.get(payment.method, payment.method).lower()
            candidates.append(
                LastPayment(
                    day, int(payment.amount_cents), f"Paid here by {method}", processing=payment.status == "pending"
                )
            )
            break
    if erp_payment is not None:
        candidates.append(LastPayment(erp_payment[0], -erp_payment[1], f"Recorded by {company.name}"))
    return max(candidates, key=lambda p: p.day) if candidates else None


def _erp_last_payment(company: Company, customer_no: str, account) -> tuple[date, int] | None:
    """(day, cents) of the ERP's newest ledger payment: from the AR totals item (no call),
    or, on an item from before it said, one Query of the newest ledger entries, which is
    then stored on the item (repositories/ar_totals.store_last_payment)."""
    known = account.totals.last_payment
    if known is None:
        entry = ledger.latest_payment(company.company_id, customer_no)
        try:
            ar_totals.store_last_payment(company.company_id, customer_no, entry)
        except PynamoDBException:  # shown already; a later home page stores it
            logger.warning("last payment not stored", extra={"customer_no": customer_no})
        return (date.fromisoformat(entry.entry_date[:10]), int(entry.amount_cents)) if entry else None
    if not known:
        return None
    return date.fromisoformat(str(known["day"])[:10]), int(known["cents"])


def dashboard(
    company: Company,
    customer_no: str,
    terms_days: int = 30,
    now: datetime | None = None,
    items: "BalanceItems | None" = None,
) -> Dashboard:
    account = balance_rule.account_balance(company, customer_no, terms_days, now, items)
    today = account.today
    owed = account.balance.total_cents
    past_due = max(sum(account.balance.buckets[1:]), 0) if owed > 0 else 0
    days = sorted(_due_days(account.totals, terms_days)) if owed > 0 else []
    upcoming = [day for day in days if day >= today]

    orders = invoices.open_order_summary(company.company_id, customer_no, ORDERS_READ)
    counts: dict[str, int] = {}
    lines: list[BackorderedLine] = []
    for invoice in orders.items:
        status = invoice.status or ""
        counts[status] = counts.get(status, 0) + 1
        for line in invoice.lines:
            lines.append(
                BackorderedLine(
                    invoice.invoice_no, line.part_no, line.description, int(line.qty_backordered), line.expected_on
                )
            )
    lines.sort(key=lambda line: (line.expected_on or "9999", line.invoice_no))
    by_status = [
        StatusCount(status, status_label(status), counts[status]) for status in sorted(counts, key=_status_rank)
    ]

    return Dashboard(
        balance_due_cents=owed,
        past_due_cents=past_due,
        next_due=upcoming[0] if upcoming else None,
        oldest_due=days[0] if days else None,
        open_orders=len(orders.items),
        more_orders=orders.cursor is not None,
        by_status=by_status,
        backordered_lines=len(lines),
        backordered=lines[:BACKORDERS_SHOWN],
        last_payment=_last_payment(account.portal_payments, _erp_last_payment(company, customer_no, account), company),
    )
