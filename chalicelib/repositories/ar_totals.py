"""Open-AR totals per account (the `ArTotals` item) and the ERP's invoice writes that move them.

/account shows the aging of every open invoice; reading them all grew with the
account (up to 1,000 items a request).  Instead every ERP write of an invoice
moves its account's per-day totals by the difference, so each invoice is written
only over exactly the version that was read.

A batch of invoices moves each account once, at the end (`Moves`): one journal
item naming the accounts is written before the first invoice and deleted after
the totals have moved, so a batch is about one write per invoice plus one per
account.  A batch cut off in between leaves its journal, and `repair` (scheduled)
recounts those accounts from the `ar_open` index.  Not transactions: moto copies a
whole table for every TransactWriteItems, which made the local stack and the import
bench quadratic; deletes are rare and stay one transaction.  An account without
totals yet (new, or seeded in bulk) is counted from the index on its first read,
and its journal stays so that the repair counts it again once the index has caught
up with the batch's writes.
"""

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from .. import clock
from ..models import ArJournal, ArTotals, Invoice, LedgerEntry
from ..models.base import plain_dict
from .dynamo import condition_failed, conditional, connection, table, transaction_refused
from .keys import account_pk, split_account_pk
from .statements import PAST_STATEMENTS

REBUILD_ATTRIBUTES = ["pk", "ar_pk", "due_key", "due_date", "invoice_date", "balance_cents", "erp_updated_at"]
OPEN = "open"  # the `open_journals` index's one partition
JOURNAL_AGE = timedelta(minutes=2)  # older than any batch still running (API timeout: 30 s)
Share = tuple[str, str, str]  # (ar_pk, map attribute, ISO day)
# Days that are "Over 90 days" whatever today is share one entry, sorted before every
# ISO day: an account's totals then hold about 90 days, not every day of its history.
OLD = "0000-00-00"
FOLD_DAYS = {"by_due": 92, "by_invoice_date": 92 + 366}  # a day of margin for time zones
FOLD_AT = 20  # old days gathered before they are folded (one more UpdateItem)


def _share(invoice) -> tuple[Share, int] | None:
    """What one invoice adds to its account's totals (None: no balance due)."""
    if invoice is None or not invoice.ar_pk:
        return None
    if invoice.due_date:
        return (invoice.ar_pk, "by_due", invoice.due_date), invoice.balance_cents
    return (invoice.ar_pk, "by_invoice_date", invoice.invoice_date), invoice.balance_cents


def changes(old: Invoice | None, new: Invoice | None) -> tuple[dict[Share, int], dict[str, int]]:
    """Cents per (account, map, day) and open counts per account that move from old to new."""
    cents: dict[Share, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for invoice, sign in ((old, -1), (new, 1)):
        share = _share(invoice)
        if share:
            (key, amount) = share
            cents[key] += sign * amount
            counts[key[0]] += sign
    return ({k: v for k, v in cents.items() if v}, {k: v for k, v in counts.items() if v})


def get(company_id: str, customer_no: str) -> ArTotals | None:
    try:
        return ArTotals.get(account_pk(company_id, customer_no), consistent_read=True)
    except ArTotals.DoesNotExist:
        return None


def stored_invoice(pk: str) -> Invoice | None:
    try:
        return Invoice.get(pk, consistent_read=True)
    except Invoice.DoesNotExist:
        return None


def rebuild(company_id: str, customer_no: str, only_if_missing: bool = False) -> ArTotals:
    """Recount the account from the `ar_open` index (all of it) and store the result, only
    over the totals read first: a batch moving them meanwhile makes it count again."""
    pk = account_pk(company_id, customer_no)
    for _attempt in range(5):
        stored = get(company_id, customer_no)
        if stored is not None and only_if_missing:
            return stored
        days: dict[str, dict[str, int]] = {"by_due": {}, "by_invoice_date": {}}
        count, latest = 0, None
        today = clock.utcnow().date()
        before = {attribute: _fold_before(attribute, today) for attribute in FOLD_DAYS}
        for invoice in Invoice.ar_open.query(pk, attributes_to_get=REBUILD_ATTRIBUTES):
            share = _share(invoice)
            if share is None:  # the index holds only invoices with a balance due
                continue
            (_pk, attribute, day), cents = share
            day = OLD if day < before[attribute] else day
            days[attribute][day] = days[attribute].get(day, 0) + cents
            count += 1
            latest = max(latest or invoice.erp_updated_at, invoice.erp_updated_at)
        credits = sum(
            open_credit(entry) for entry in LedgerEntry.open_credits.query(pk, attributes_to_get=["kind", "open_cents"])
        )
        version = int(stored.version or 0) if stored is not None else 0
        totals = ArTotals(
            pk,
            # a recount is of the open AR; the last payment and statements it knew stay
            last_payment=plain_dict(stored.last_payment) if stored and stored.last_payment is not None else None,
            statements=plain_dict(stored.statements) if stored and stored.statements is not None else None,
            open_count=count,
            erp_updated_at=latest,
            version=version + 1,
            open_credits_cents=credits,
            by_due=days["by_due"],
            by_invoice_date=days["by_invoice_date"],
        )
        unchanged = ArTotals.ar_pk.does_not_exist() if stored is None else _same_version(version)
        if conditional(totals.save, condition=unchanged):
            return totals
    raise RuntimeError(f"the totals of {pk} kept moving while they were recounted")


class Moves:
    """The invoice writes of one ERP batch, and the totals they move: added up per
    account and applied once, when the batch is done (`with Moves(accounts) as moves`).

    `accounts`: the accounts the batch's records name; any other one met (an invoice
    moved to another customer) is added to the journal before its write."""

    def __init__(self, accounts: Iterable[str]):
        self.accounts: set[str] = set(accounts)
        self.journal: ArJournal | None = None
        self.cents: dict[Share, int] = defaultdict(int)
        self.counts: dict[str, int] = defaultdict(int)
        self.latest: dict[str, datetime] = {}

    def __enter__(self) -> "Moves":
        return self

    def __exit__(self, *_exc) -> None:
        # The writes that succeeded are stored whatever went wrong after them.
        self.apply()

    def save(self, item: Invoice, old: Invoice | None) -> bool:
        """Write the ERP's invoice if the stored one is still `old` (None: none stored);
        False if it changed since it was read."""
        cents, counts = changes(old, item)
        if counts or cents:
            self._journal({pk for pk, _attribute, _day in cents} | set(counts))
        unchanged = Invoice.pk.does_not_exist() if old is None else Invoice.erp_updated_at == old.erp_updated_at
        if not conditional(item.save, condition=unchanged):
            return False
        for share, amount in cents.items():
            self.cents[share] += amount
        for pk, count in counts.items():
            self.counts[pk] += count
        for pk in {pk for pk, _attribute, _day in cents} | set(counts):
            self.latest[pk] = max(self.latest.get(pk, item.erp_updated_at), item.erp_updated_at)
        return True

    def _journal(self, touched: set[str]) -> None:
        new = touched - self.accounts
        self.accounts |= touched
        if self.journal is None:
            self.journal = ArJournal(uuid.uuid4().hex, accounts=set(self.accounts), created_at=clock.utcnow())
            self.journal.save()
        elif new:
            self.journal.update(actions=[ArJournal.accounts.add(new)])

    def apply(self) -> None:
        """Move each account's totals once; the journal goes when all have moved, or
        keeps the accounts that had no totals yet for the repair to count again."""
        moving = _actions(self.cents, self.counts, self.latest)
        counted = _counted(moving)
        uncounted = [pk for pk, actions in moving.items() if pk not in counted or not _move(pk, actions)]
        self.cents.clear()
        self.counts.clear()
        if self.journal is None:
            return
        if uncounted:
            self.journal.update(actions=[ArJournal.accounts.set(set(uncounted))])
        else:
            self.journal.delete()
            self.journal = None


def _counted(pks: Iterable[str]) -> set[str]:
    """The accounts that have totals (their keys only; PynamoDB pages BatchGetItem by 100
    and retries unprocessed keys): a batch of new customers then costs no refused update
    per account."""
    return {item.ar_pk for item in ArTotals.batch_get(list(pks), attributes_to_get=["ar_pk"])}


def _move(pk: str, actions: list) -> bool:
    """One account's totals moved; False if it has none yet (its first read counts it)."""
    try:
        answer = table(ArTotals).update_item(
            pk, actions=actions, condition=ArTotals.ar_pk.exists(), return_values="ALL_NEW"
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    _tidy(pk, answer.get("Attributes", {}))
    return True


def _fold_before(attribute: str, today) -> str:
    """Days before this are past "Over 90 days" for good (by_invoice_date: whatever the
    customer's terms, up to a year)."""
    return (today - timedelta(days=FOLD_DAYS[attribute])).isoformat()


def _tidy(pk: str, raw: dict) -> None:
    """Keep the item /account reads whole small: days whose open balance is back to zero
    are removed, and days that can only ever be "Over 90 days" are folded into one
    entry (OLD) once there are FOLD_AT of them.  Only over the version just written: a
    batch moving the account meanwhile leaves it for the next write."""
    today = clock.utcnow().date()
    folded, removed = {}, []
    for attribute in FOLD_DAYS:
        days = raw.get(attribute, {}).get("M", {})
        before = _fold_before(attribute, today)
        old = {day: int(value["N"]) for day, value in days.items() if day < before and day != OLD}
        if len(old) >= FOLD_AT:
            folded[attribute] = sum(old.values())
            removed += [(attribute, day) for day in old]
        removed += [(attribute, day) for day, value in days.items() if value.get("N") == "0" and day not in old]
    if not removed:
        return
    actions = [getattr(ArTotals, attribute)[day].remove() for attribute, day in removed]
    for attribute, cents in folded.items():
        entry = getattr(ArTotals, attribute)[OLD]
        actions.append(entry.set((entry | 0) + cents))
    actions.append(ArTotals.version.add(1))
    conditional(
        table(ArTotals).update_item, pk, actions=actions, condition=ArTotals.version == int(raw["version"]["N"])
    )


def save_invoice(item: Invoice, old: Invoice | None) -> bool:
    """One invoice written and its totals moved (a batch of one)."""
    with Moves([item.ar_pk] if item.ar_pk else []) as moves:
        return moves.save(item, old)


def repair(now: datetime | None = None, budget_seconds: float = 20.0) -> int:
    """Recount the accounts of every journal older than any running batch (a batch cut
    off before its totals moved, or accounts first counted from the index while it
    ran); returns how many accounts were recounted.  After `budget_seconds` (the
    Lambda has 30, .chalice/config.json) the journal keeps what is left for the next run."""
    cutoff = (now or clock.utcnow()) - JOURNAL_AGE
    started = time.monotonic()
    recounted = 0
    for journal in ArJournal.open_journals.query(OPEN, ArJournal.created_at < cutoff):
        left = sorted(journal.accounts or ())
        while left and time.monotonic() - started < budget_seconds:
            rebuild(*split_account_pk(left.pop()))
            recounted += 1
        if left:
            journal.update(actions=[ArJournal.accounts.set(set(left))])
            break
        journal.delete()
    return recounted


@dataclass
class Totals:
    """What /account reads: cents per ISO day, straight from DynamoDB's answer (a
    few hundred map entries turned into PynamoDB attributes cost more than the page)."""

    by_due: dict[str, int]
    by_invoice_date: dict[str, int]
    open_count: int
    erp_updated_at: datetime | None
    open_credits_cents: int = 0
    # The ERP's newest ledger payment: {"entry_key", "day", "cents"}, {} when there is none,
    # None when the item does not say (from before it did).
    last_payment: dict | None = None
    # The ERP's newest statements: ISO date -> balance cents; None when the item does not say.
    statements: dict[str, int] | None = None
    version: int = 0

    @classmethod
    def from_raw(cls, raw: dict) -> "Totals":
        def days(name):
            return {day: int(value["N"]) for day, value in raw.get(name, {}).get("M", {}).items()}

        stamp = raw.get("erp_updated_at", {}).get("S")
        last = raw.get("last_payment", {}).get("M") if "last_payment" in raw else None
        statements = days("statements") if "statements" in raw else None
        return cls(
            days("by_due"),
            days("by_invoice_date"),
            int(raw.get("open_count", {}).get("N", 0)),
            datetime.fromisoformat(stamp) if stamp else None,
            int(raw.get("open_credits_cents", {}).get("N", 0)),
            None
            if last is None
            else {
                name: (int(value["N"]) if "N" in value else value.get("S"))
                for name, value in last.items()
                if name in ("entry_key", "day", "cents")
            },
            statements,
            int(raw.get("version", {}).get("N", 0)),
        )

    @classmethod
    def of(cls, item: ArTotals) -> "Totals":
        return cls.from_raw(item.serialize())


def current(company_id: str, customer_no: str) -> Totals:
    """The account's totals; built from the `ar_open` index the first time they are asked for."""
    raw = table(ArTotals).get_item(account_pk(company_id, customer_no)).get("Item")
    if raw:
        return Totals.from_raw(raw)
    return Totals.of(rebuild(company_id, customer_no, only_if_missing=True))


def delete_invoice(old: Invoice) -> bool:
    """Delete the stored invoice if it is still `old` (False if not); the totals move with it."""
    cents, counts = changes(old, None)
    unchanged = Invoice.erp_updated_at == old.erp_updated_at
    return _with_totals(lambda tx: tx.delete(old, condition=unchanged), cents, counts)


def open_credit(entry) -> int:
    """What a ledger entry adds to its account's open credits (credit memos and payments
    the ERP has not applied to invoices); 0 for anything else or no entry."""
    if entry is None or entry.kind not in ("credit", "payment"):
        return 0
    return max(int(entry.open_cents or 0), 0)


def save_ledger_entry(item: LedgerEntry, old: LedgerEntry | None) -> bool:
    """Write the ERP's ledger entry if the stored one is still `old` (None: none stored),
    and move the account's open credits by the difference in the same transaction.  A
    payment also becomes the account's last payment when it is the newest."""
    unchanged = (
        LedgerEntry.entry_key.does_not_exist() if old is None else LedgerEntry.erp_updated_at == old.erp_updated_at
    )
    delta = open_credit(item) - open_credit(old)
    if not delta:
        written = conditional(item.save, condition=unchanged)
    else:
        written = _with_totals(lambda tx: tx.save(item, condition=unchanged), {}, {}, {item.customer_pk: delta})
    if written and item.kind == "payment":
        note_last_payment(item.customer_pk, item.entry_key, item.entry_date, int(item.amount_cents))
    return written


def delete_ledger_entry(old: LedgerEntry) -> bool:
    """Delete the stored entry if it is still `old`; its open credit leaves the totals."""
    unchanged = LedgerEntry.erp_updated_at == old.erp_updated_at
    delta = -open_credit(old)
    if not delta:
        deleted = conditional(old.delete, condition=unchanged)
    else:
        deleted = _with_totals(lambda tx: tx.delete(old, condition=unchanged), {}, {}, {old.customer_pk: delta})
    if deleted and old.kind == "payment":  # the home page reads the ledger again, once
        conditional(
            ArTotals(old.customer_pk).update,
            actions=[ArTotals.last_payment.remove()],
            condition=ArTotals.last_payment["entry_key"] == old.entry_key,
        )
    return deleted


def _last_payment_map(entry_key: str, day: str, cents: int) -> dict:
    return {"entry_key": entry_key, "day": day[:10], "cents": cents}


def note_last_payment(pk: str, entry_key: str, day: str, cents: int) -> bool:
    """The ERP wrote a ledger payment: it is the account's last payment if no newer one is
    known.  Only on an item that knows its last payment (else the home page finds it)."""
    last = ArTotals.last_payment
    return conditional(
        ArTotals(pk).update,
        actions=[last.set(_last_payment_map(entry_key, day, cents))],
        condition=last.exists() & (last["entry_key"].does_not_exist() | (last["entry_key"] <= entry_key)),
    )


def store_last_payment(company_id: str, customer_no: str, entry) -> bool:
    """Backfill: the ledger's newest payment as the home page found it (None: none), stored
    on a totals item that does not say yet; a payment the ERP writes meanwhile wins."""
    found = _last_payment_map(entry.entry_key, entry.entry_date, int(entry.amount_cents)) if entry else {}
    return conditional(
        ArTotals(account_pk(company_id, customer_no)).update,
        actions=[ArTotals.last_payment.set(found)],
        condition=ArTotals.ar_pk.exists() & ArTotals.last_payment.does_not_exist(),
    )


def note_statement(pk: str, statement_date: str, balance_cents: int) -> None:
    """The ERP wrote a statement: it joins the account's list when the item has one (the
    newest PAST_STATEMENTS stay).  On an item without a list the version moves instead, so a
    statements page that read the table before this write does not store what it read
    (`store_statements`)."""
    try:
        answer = table(ArTotals).update_item(
            pk,
            actions=[ArTotals.statements[statement_date].set(balance_cents), ArTotals.version.add(1)],
            condition=ArTotals.statements.exists(),
            return_values="ALL_NEW",
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        forget_statements(pk)
        return
    listed = sorted(answer.get("Attributes", {}).get("statements", {}).get("M", {}))
    if len(listed) > PAST_STATEMENTS:
        dropped = [ArTotals.statements[day].remove() for day in listed[:-PAST_STATEMENTS]]
        conditional(table(ArTotals).update_item, pk, actions=dropped, condition=ArTotals.statements.exists())


def forget_statements(pk: str) -> None:
    """The account's list of statements is read from the table again on the statements page's
    next view (the ERP deleted one, or the item had no list)."""
    conditional(
        table(ArTotals).update_item,
        pk,
        actions=[ArTotals.statements.remove(), ArTotals.version.add(1)],
        condition=ArTotals.ar_pk.exists(),
    )


def store_statements(company_id: str, customer_no: str, version: int, found: dict[str, int]) -> bool:
    """Backfill: the statements the page read from the table, stored on a totals item that has
    no list, only over the version read before that read (an ERP write since moved it)."""
    return conditional(
        table(ArTotals).update_item,
        account_pk(company_id, customer_no),
        actions=[ArTotals.statements.set(found)],
        condition=ArTotals.ar_pk.exists() & ArTotals.statements.does_not_exist() & _same_version(version),
    )


def _same_version(version: int) -> Condition:
    """The totals item is still at `version` (0: also an item from before versions)."""
    if version:
        return ArTotals.version == version
    return ArTotals.version.does_not_exist() | (ArTotals.version == 0)


def _with_totals(write_invoice, cents, counts, credits=None) -> bool:
    """One transaction: the invoice's (or ledger entry's) own conditional write (its
    first item), then the totals of each account it touches.  False if that condition
    failed.  An account without totals yet gets them built, then the transaction is
    tried once more."""
    actions = _actions(cents, counts, {}, credits or {})
    for attempt in range(2):
        try:
            with TransactWrite(connection=connection(Invoice)) as tx:
                write_invoice(tx)
                for pk, changes_of_pk in actions.items():
                    tx.update(ArTotals(pk), actions=changes_of_pk, condition=ArTotals.ar_pk.exists())
            return True
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in str(error) and not transaction_refused(error):
                raise
            if transaction_refused(error, 0) or attempt:
                return False
            for pk in actions:
                rebuild(*split_account_pk(pk), only_if_missing=True)
    return False


def _actions(
    cents: dict[Share, int],
    counts: dict[str, int],
    latest: dict[str, datetime],
    credits: dict[str, int] | None = None,
) -> dict[str, list]:
    """The UpdateItem actions per account: each day moved, the open count, the version
    (a recount saves only over the version it read) and the latest ERP write counted."""
    actions: dict[str, list] = defaultdict(list)
    for (pk, attribute, day), amount in cents.items():
        if amount:
            days = getattr(ArTotals, attribute)
            actions[pk].append(days[day].set((days[day] | 0) + amount))
    for pk, count in counts.items():
        if count:
            actions[pk].append(ArTotals.open_count.add(count))
    for pk, cents_ in (credits or {}).items():
        if cents_:
            actions[pk].append(ArTotals.open_credits_cents.set((ArTotals.open_credits_cents | 0) + cents_))
    for pk in actions:
        actions[pk].append(ArTotals.version.add(1))
        if pk in latest:
            actions[pk].append(ArTotals.erp_updated_at.set(latest[pk]))
    return actions
