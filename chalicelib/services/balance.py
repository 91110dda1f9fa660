"""The one balance rule (docs/balance.md), computed here for every page, PDF and e-mail.

    balance due = open invoice balances
                  − open credits (credit memos and cash the ERP has not applied to an invoice)
                  − portal payments the ERP has not reported as applied
                    (pending or approved sales, less approved refunds; declined, failed,
                    voided and returned ones are no longer counted)

A portal payment's allocations lower the balance shown on each invoice it pays, never
below zero (an invoice so paid is no longer listed as open); what lowers the balance but
is not against a listed invoice balance (open credits, payments on account, allocations
beyond an invoice's balance) is taken off the oldest aging buckets first, as the pay form
applies an amount, and whatever is left makes "Current" negative: the account is in
credit.  So the buckets always add up to the balance due.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from .. import clock
from ..models import Company
from ..models.base import plain_dict
from ..repositories import ar_totals, invoices, payments

if TYPE_CHECKING:
    from ..repositories.request_context import BalanceItems

BUCKETS = ["Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]


def company_today(company: Company, now: datetime | None = None) -> date:
    zone = clock.zone(company.time_zone)
    return (now or datetime.now(tz=zone)).astimezone(zone).date()


def due_date(invoice, terms_days: int = 30) -> date:
    if invoice.due_date:
        return date.fromisoformat(invoice.due_date)
    return date.fromisoformat(invoice.invoice_date) + timedelta(days=terms_days)


def bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    return min((days_past_due - 1) // 30 + 1, len(BUCKETS) - 1)


def shown_balance(invoice, unapplied: dict[str, int]) -> int:
    """An invoice's balance less what unapplied portal payments allocate to it, never below 0."""
    return max(int(invoice.balance_cents or 0) - unapplied.get(invoice.invoice_no, 0), 0)


def allocations(payments: Iterable) -> dict[str, int]:
    """Cents per invoice over the payments' allocations (refunds are negative)."""
    amounts: dict[str, int] = {}
    for payment in payments:
        for invoice_no, cents in plain_dict(payment.allocations).items():
            amounts[invoice_no] = amounts.get(invoice_no, 0) + int(cents)
    return amounts


@dataclass
class Balance:
    """The balance due of one account on one day, and its aging."""

    buckets: list[int]
    invoices_cents: int  # the ERP's open invoice balances
    credits_cents: int  # open credits (credit memos, unapplied cash), positive
    portal_cents: int  # unapplied portal payments less refunds, positive
    unallocated_cents: int  # what lowers the balance but no listed invoice's: off the oldest buckets
    paid_in_full: set[str] = field(default_factory=set)  # open invoices portal payments cover

    @property
    def total_cents(self) -> int:
        return self.invoices_cents - self.credits_cents - self.portal_cents

    @property
    def shown_invoices_cents(self) -> int:
        """The invoice balances as listed (net of the portal payments against them); /account
        shows it beside the credits."""
        return self.total_cents + self.unallocated_cents


def settle(
    invoice_buckets: list[int], allocated: dict[str, tuple[int, int]], credits_cents: int, portal_payments: Iterable
) -> Balance:
    """The rule over aggregates.

    invoice_buckets: the ERP's open invoice balances per aging bucket;
    allocated: (balance, bucket) of the open invoices the portal payments allocate to
    (the others: no longer open, or not the account's);
    credits_cents: the account's open credits; portal_payments: the unapplied ones."""
    buckets = list(invoice_buckets)
    payments = list(portal_payments)
    portal = sum(int(p.amount_cents) for p in payments)
    taken, paid_in_full = 0, set()
    for invoice_no, cents in allocations(payments).items():
        if invoice_no not in allocated:
            continue
        balance, where = allocated[invoice_no]
        off = min(cents, balance)  # never below zero; a refund (negative) raises it
        buckets[where] -= off
        taken += off
        if off >= balance:
            paid_in_full.add(invoice_no)
    unallocated = credits_cents + portal - taken
    _off_oldest(buckets, unallocated)
    # sum(buckets) == invoices − taken − unallocated == invoices − credits − portal
    return Balance(buckets, sum(invoice_buckets), credits_cents, portal, unallocated, paid_in_full)


def _off_oldest(buckets: list[int], cents: int) -> None:
    """Take `cents` off the oldest buckets first; the rest (or a negative amount: money
    owed back, e.g. a refund not yet applied) lands in "Current"."""
    for index in range(len(buckets) - 1, 0, -1):
        if cents <= 0:
            break
        off = min(cents, max(buckets[index], 0))
        buckets[index] -= off
        cents -= off
    buckets[0] -= cents


# ---------------------------------------------------------------- whole account, today
def _allocated(
    company_id: str, portal_payments: list, today: date, terms_days: int, open_invoices: Sequence | None = None
) -> dict[str, tuple[int, int]]:
    """(balance, bucket) of the open invoices the portal payments allocate to: from
    `open_invoices` when the caller read every open invoice (the pay form), else
    1 BatchGetItem."""
    wanted = [n for n, cents in allocations(portal_payments).items() if cents]
    if open_invoices is not None:
        found = {inv.invoice_no: inv for inv in open_invoices if inv.invoice_no in wanted}
    else:
        found = invoices.many(company_id, wanted, invoices.AR_ATTRIBUTES) if wanted else {}
    return {
        no: (int(inv.balance_cents), bucket((today - due_date(inv, terms_days)).days))
        for no, inv in found.items()
        if int(inv.balance_cents or 0) > 0
    }


def _add_by_day(buckets: list[int], cents_by_day: dict[str, int], today: date) -> None:
    """Add cents per due day (ISO) into the aging buckets.  ISO dates compare as
    strings, so a day's bucket is a bisection over the buckets' first days (oldest
    first), with no date parsing: an account has an entry per day of open AR."""
    from bisect import bisect_right

    # Bucket boundaries, oldest first: today - 90, - 60, - 30, today.  A day on or
    # after n of them is in bucket 4 - n (today or later: "Current").
    firsts = [(today - timedelta(days=30 * k)).isoformat() for k in range(len(BUCKETS) - 2, -1, -1)]
    last = len(BUCKETS) - 1
    for day, cents in cents_by_day.items():
        buckets[last - bisect_right(firsts, day)] += cents


@dataclass
class AccountBalance:
    balance: Balance
    open_count: int  # open invoices still to pay after the portal payments (the rows listed)
    unapplied: dict[str, int]  # portal allocations per invoice
    portal_payments: list
    totals: ar_totals.Totals
    today: date


def unapplied_portal_payments(company: Company, customer_no: str, items: "BalanceItems | None" = None) -> list:
    """The portal payments the ERP has not applied yet, oldest first: from the account's
    reservation item (read with the request context: no call; else 1 GetItem), or, for an
    item from before it carried them, 1 Query of the `unapplied` index while the item is
    backfilled (repositories/payments.portal_payments)."""
    if items is not None:
        holds = payments.holds_of_raw(company.company_id, customer_no, items.reservations_raw)
    else:
        holds = payments.account_holds(company.company_id, customer_no)
    return payments.portal_payments(holds)


def account_totals(company: Company, customer_no: str, items: "BalanceItems | None" = None) -> ar_totals.Totals:
    """The account's AR totals item: as the request context read it, else 1 GetItem (or built
    now from `ar_open`: the account's first read)."""
    if items is not None and items.totals_raw is not None:
        return ar_totals.Totals.from_raw(items.totals_raw)
    return ar_totals.current(company.company_id, customer_no)


def account_balance(
    company: Company,
    customer_no: str,
    terms_days: int = 30,
    now: datetime | None = None,
    items: "BalanceItems | None" = None,
    open_invoices: Sequence | None = None,
) -> AccountBalance:
    """Today's balance of the whole account at a constant cost: the AR totals item (open
    invoices per day and open credits), the unapplied portal payments (the account's
    reservation item), both read with the request context (`items`; without them 2
    GetItem), and the invoices those payments allocate to (0–1 BatchGetItem; none when
    the caller passes every open invoice as `open_invoices`)."""
    today = company_today(company, now)
    totals = account_totals(company, customer_no, items)
    portal_payments = unapplied_portal_payments(company, customer_no, items)
    invoice_buckets = [0] * len(BUCKETS)
    _add_by_day(invoice_buckets, totals.by_due, today)
    _add_by_day(invoice_buckets, totals.by_invoice_date, today - timedelta(days=terms_days))
    balance = settle(
        invoice_buckets,
        _allocated(company.company_id, portal_payments, today, terms_days, open_invoices),
        totals.open_credits_cents,
        portal_payments,
    )
    return AccountBalance(
        balance,
        int(totals.open_count) - len(balance.paid_in_full),
        allocations(portal_payments),
        sorted(portal_payments, key=lambda p: p.payment_id, reverse=True),
        totals,
        today,
    )


def balance_due_cents(company: Company, customer_no: str, terms_days: int = 30) -> int:
    """What the account owes now by the rule (for the payment service: what is open)."""
    return account_balance(company, customer_no, terms_days).balance.total_cents


# ------------------------------------------------------------------- as of a day
def as_of(
    open_invoices: Sequence, credits_cents: int, portal_payments: list, day: date, terms_days: int = 30
) -> tuple[Balance, list]:
    """The rule over item lists as of `day` (a statement date, or today): the invoices,
    open credits (their sum) and portal payments are those of that day.  Returns the
    balance and (invoice, due, days past due, bucket, shown balance) of each invoice still
    to pay, in the order given."""
    unapplied = allocations(portal_payments)
    invoice_buckets = [0] * len(BUCKETS)
    allocated, rows = {}, []
    for invoice in open_invoices:
        cents = int(invoice.balance_cents or 0)
        if cents <= 0:
            continue
        due = due_date(invoice, terms_days)
        late = (day - due).days
        invoice_buckets[bucket(late)] += cents
        if invoice.invoice_no in unapplied:
            allocated[invoice.invoice_no] = (cents, bucket(late))
        shown = shown_balance(invoice, unapplied)
        if shown > 0:
            rows.append((invoice, due, late, bucket(late), shown))
    return settle(invoice_buckets, allocated, credits_cents, portal_payments), rows
