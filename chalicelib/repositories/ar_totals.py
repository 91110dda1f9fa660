"""Open-AR totals per account (the `ArTotals` item) and the ERP's invoice writes that move them.

/account shows the aging of every open invoice; reading them all grew with the
account (up to 1,000 items a request).  Instead every ERP write of an invoice
moves its account's per-day totals by the difference, so each write is made
only over exactly the version that was read.

A save is three small writes, not one transaction: moto copies a whole table
for every TransactWriteItems, which made the local stack and the import bench
quadratic.  The invoice is written carrying `totals_pending`, then the totals
move, then the marker is cleared; a write cut off in between leaves the marker,
and `repair` (scheduled) recounts that account from the `ar_open` index.
Deletes are rare and stay one transaction.  An account written before the totals
existed (or seeded in bulk) gets them counted once, on first use.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, Optional, Tuple

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..models import ArTotals, Invoice
from .keys import account_pk

CONDITIONAL_FAILED = "ConditionalCheckFailedException"
REBUILD_ATTRIBUTES = ["pk", "ar_pk", "due_key", "due_date", "invoice_date", "balance_cents",
                      "erp_updated_at"]
PENDING = "pending"  # the sparse `totals_pending` index's one partition
Share = Tuple[str, str, str]  # (ar_pk, map attribute, ISO day)


def _share(invoice) -> Optional[Tuple[Share, int]]:
    """What one invoice adds to its account's totals (None: no balance due)."""
    if invoice is None or not invoice.ar_pk:
        return None
    if invoice.due_date:
        return (invoice.ar_pk, "by_due", invoice.due_date), invoice.balance_cents
    return (invoice.ar_pk, "by_invoice_date", invoice.invoice_date), invoice.balance_cents


def changes(old: Optional[Invoice], new: Optional[Invoice]) -> Tuple[Dict[Share, int], Dict[str, int]]:
    """Cents per (account, map, day) and open counts per account that move from old to new."""
    cents: Dict[Share, int] = defaultdict(int)
    counts: Dict[str, int] = defaultdict(int)
    for invoice, sign in ((old, -1), (new, 1)):
        share = _share(invoice)
        if share:
            (key, amount) = share
            cents[key] += sign * amount
            counts[key[0]] += sign
    return ({k: v for k, v in cents.items() if v},
            {k: v for k, v in counts.items() if v})


def get(company_id: str, customer_no: str) -> Optional[ArTotals]:
    try:
        return ArTotals.get(account_pk(company_id, customer_no), consistent_read=True)
    except ArTotals.DoesNotExist:
        return None


def stored_invoice(pk: str) -> Optional[Invoice]:
    try:
        return Invoice.get(pk, consistent_read=True)
    except Invoice.DoesNotExist:
        return None


def rebuild(company_id: str, customer_no: str, only_if_missing: bool = False) -> ArTotals:
    """Recount the account from the `ar_open` index (all of it) and store the result."""
    pk = account_pk(company_id, customer_no)
    days = {"by_due": {}, "by_invoice_date": {}}
    count, latest = 0, None
    for invoice in Invoice.ar_open.query(pk, attributes_to_get=REBUILD_ATTRIBUTES):
        (_pk, attribute, day), cents = _share(invoice)
        days[attribute][day] = days[attribute].get(day, 0) + cents
        count += 1
        latest = max(latest or invoice.erp_updated_at, invoice.erp_updated_at)
    totals = ArTotals(pk, open_count=count, erp_updated_at=latest, **days)
    if not only_if_missing:
        totals.save()
        return totals
    try:
        totals.save(condition=ArTotals.ar_pk.does_not_exist())
        return totals
    except PutError as error:
        if error.cause_response_code != CONDITIONAL_FAILED:
            raise
        return ArTotals.get(pk, consistent_read=True)  # built meanwhile: that one counts writes


@dataclass
class Totals:
    """What /account reads: cents per ISO day, straight from DynamoDB's answer (a
    few hundred map entries turned into PynamoDB attributes cost more than the page)."""
    by_due: Dict[str, int]
    by_invoice_date: Dict[str, int]
    open_count: int
    erp_updated_at: Optional[datetime]

    @classmethod
    def from_raw(cls, raw: dict) -> "Totals":
        def days(name):
            return {day: int(value["N"]) for day, value in raw.get(name, {}).get("M", {}).items()}
        stamp = raw.get("erp_updated_at", {}).get("S")
        return cls(days("by_due"), days("by_invoice_date"), int(raw.get("open_count", {}).get("N", 0)),
                   datetime.fromisoformat(stamp) if stamp else None)

    @classmethod
    def of(cls, item: ArTotals) -> "Totals":
        return cls.from_raw(item.serialize())


def current(company_id: str, customer_no: str) -> Totals:
    """The account's totals; built from the `ar_open` index the first time they are asked for."""
    raw = ArTotals._get_connection().get_item(account_pk(company_id, customer_no)).get("Item")
    if raw:
        return Totals.from_raw(raw)
    return Totals.of(rebuild(company_id, customer_no, only_if_missing=True))


def _ensure(ar_pks: Iterable[str]) -> None:
    """The totals items must exist (with their maps) before a transaction adds to a day."""
    for pk in ar_pks:
        company_id, customer_no = pk.split("#", 1)
        if get(company_id, customer_no) is None:
            rebuild(company_id, customer_no, only_if_missing=True)


def save_invoice(item: Invoice, old: Optional[Invoice]) -> bool:
    """Write the ERP's invoice if the stored one is still `old` (None: none stored);
    False if it changed since it was read.  Then move the totals by the difference."""
    unchanged = (Invoice.pk.does_not_exist() if old is None
                 else Invoice.erp_updated_at == old.erp_updated_at)
    cents, counts = changes(old, item)
    moves = bool(cents or counts)
    # A marker left by a cut-off write stays until `repair` has recounted the account.
    item.totals_pending = PENDING if moves or (old is not None and old.totals_pending) else None
    try:
        item.save(condition=unchanged)
    except PutError as error:
        if error.cause_response_code != CONDITIONAL_FAILED:
            raise
        return False
    if moves and _move(cents, counts, item.erp_updated_at) and not (old and old.totals_pending):
        _clear_pending(item)
    return True


def _move(cents, counts, updated_at) -> bool:
    """Add the difference to each account's totals; False when an account had none
    yet and was counted from the index instead (a GSI read may lag the write just
    made, so the marker stays for `repair` to count it again)."""
    exact = True
    for pk, actions in _actions(cents, counts, updated_at).items():
        try:
            ArTotals(pk).update(actions=actions, condition=ArTotals.ar_pk.exists())
        except UpdateError as error:
            if error.cause_response_code != CONDITIONAL_FAILED:
                raise
            rebuild(*pk.split("#", 1), only_if_missing=True)
            exact = False
    return exact


def _clear_pending(item: Invoice) -> None:
    try:
        item.update(actions=[Invoice.totals_pending.remove()],
                    condition=Invoice.erp_updated_at == item.erp_updated_at)
    except UpdateError as error:
        if error.cause_response_code != CONDITIONAL_FAILED:
            raise  # else a newer write owns the marker now


def repair() -> int:
    """Recount every account with a marked invoice (a write cut off before its totals
    moved, or an account counted from the index); returns how many were recounted."""
    pending = list(Invoice.totals_pending_index.query(PENDING))
    accounts = {}
    for key in pending:
        invoice = stored_invoice(key.pk)
        if invoice is not None and invoice.totals_pending:
            accounts.setdefault(invoice.customer_pk, []).append(invoice)
    for customer_pk, invoices in accounts.items():
        rebuild(*customer_pk.split("#", 1))
        for invoice in invoices:
            _clear_pending(invoice)
    return len(accounts)


def delete_invoice(old: Invoice) -> bool:
    """Delete the stored invoice if it is still `old` (False if not); the totals move with it."""
    cents, counts = changes(old, None)
    unchanged = Invoice.erp_updated_at == old.erp_updated_at
    return _with_totals(lambda tx: tx.delete(old, condition=unchanged), cents, counts, None)


def _with_totals(write_invoice, cents, counts, updated_at) -> bool:
    """One transaction: the invoice's own conditional write (its first item), then the
    totals of each account it touches.  False if the invoice's condition failed.  An
    account without totals yet (its first invoice, or data older than the totals) gets
    them built, then the transaction is tried once more."""
    actions = _actions(cents, counts, updated_at)
    for attempt in range(2):
        try:
            with TransactWrite(connection=Invoice._get_connection().connection) as tx:
                write_invoice(tx)
                for pk, changes_of_pk in actions.items():
                    tx.update(ArTotals(pk), actions=changes_of_pk,
                              condition=ArTotals.ar_pk.exists())
            return True
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in str(error) and not _failed(error, None):
                raise
            if _failed(error, 0) or attempt:
                return False
            _ensure(actions)
    return False


def _failed(error: TransactWriteError, index: Optional[int]) -> bool:
    """Whether item `index` of the transaction (any item: None) failed its condition."""
    reasons = list(getattr(error, "cancellation_reasons", None) or [])
    if index is not None:
        reasons = reasons[index:index + 1]
    return any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in reasons)


def _actions(cents: Dict[Share, int], counts: Dict[str, int],
             updated_at: Optional[datetime]) -> Dict[str, list]:
    actions: Dict[str, list] = defaultdict(list)
    for (pk, attribute, day), amount in cents.items():
        days = getattr(ArTotals, attribute)
        actions[pk].append(days[day].set((days[day] | 0) + amount))
    for pk, count in counts.items():
        actions[pk].append(ArTotals.open_count.add(count))
    if updated_at is not None:
        for pk in actions:
            actions[pk].append(ArTotals.erp_updated_at.set(updated_at))
    return actions
