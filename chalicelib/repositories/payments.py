"""Portal payments (docs/payments.md): conditional writes for every state change.

Each function is one access pattern of docs/data-model.md (rows 46–51 and the
payments list of the administrators).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from .. import clock
from ..models import Payment, PaymentReservations
from ..models.base import plain_dict
from . import paging
from .dynamo import ITEM_CONDITION_FAILED, cancel_reasons, conditional, connection
from .keys import account_pk

logger = logging.getLogger(__name__)
NOT_PAYMENTS = ("reviewed", "expired")  # reviews nobody confirmed: nothing was charged


def id_bound(moment: datetime) -> str:
    """The smallest payment id minted at `moment` (ids start with 12 hex digits of ms)."""
    return f"{int(moment.timestamp() * 1000):012x}"


def id_time(payment_id: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(payment_id[:12], 16) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def get(company_id: str, payment_id: str) -> Payment | None:
    try:
        return Payment.get(company_id, payment_id, consistent_read=True)
    except Payment.DoesNotExist:
        return None


def create_reviewed(payment: Payment) -> bool:
    """The review step: put the payment `reviewed` with its amount and allocations
    fixed; False when the id exists already.  `pending_company` lets the reconciler
    expire it when nobody confirms it."""
    return _create(payment, "reviewed")


def create_pending(payment: Payment) -> bool:
    """Row 46: put `pending` once; False when the id exists already (a retry)."""
    return _create(payment, "pending")


def _create(payment: Payment, status: str) -> bool:
    payment.status = status
    payment.pending_company = payment.company_id
    return conditional(payment.save, condition=Payment.payment_id.does_not_exist())


def resolve(
    payment: Payment,
    status: str,
    *,
    gateway_id=None,
    masked_account=None,
    message=None,
    approval_number=None,
    card_type=None,
) -> bool:
    """Row 47: pending → approved / declined / failed; False when it was not pending.
    A sale that is not approved gives its hold back, an approved refund holds its
    (negative) amount, each in the same transaction as the status (row 47a)."""
    now = clock.utcnow()
    actions: list[Action] = [
        Payment.status.set(status),
        Payment.updated_at.set(now),
        Payment.pending_company.remove(),
        Payment.needs_attention.set(False),
    ]
    for attribute, value in (
        (Payment.gateway_id, gateway_id),
        (Payment.masked_account, masked_account),
        (Payment.result_message, message),
        (Payment.approval_number, approval_number),
        (Payment.card_type, card_type),
    ):
        if value:
            actions.append(attribute.set(value))
    hold: HoldChange | None = None
    if status == "approved":
        actions.append(Payment.feed_company.set(payment.company_id))
        if payment.kind == "payment" and payment.receipt_email:
            actions.append(Payment.receipt_company.set(payment.company_id))
        if payment.kind == "refund":  # lowers the amount paid until the ERP applies it
            actions.append(Payment.unapplied_pk.set(account_pk(payment.company_id, payment.customer_no)))
            hold = _add_hold(payment, masked_account)
        else:  # the balance pages show it approved, from the account's item
            hold = _restate_hold(payment, "approved", masked_account)
    else:  # not money: stop counting it against the balances
        actions.append(Payment.unapplied_pk.remove())
        if payment.kind == "payment":
            hold = _drop_hold(payment)
    return transition(payment, actions, Payment.status == "pending", hold)


def mark_unresolved(payment: Payment, needs_attention: bool, message: str) -> bool:
    """The reconciler could not tell: count the attempt, flag it; it stays pending."""
    return conditional(
        payment.update,
        actions=[
            Payment.reconcile_attempts.add(1),
            Payment.needs_attention.set(needs_attention),
            Payment.result_message.set(message[:300]),
            Payment.updated_at.set(clock.utcnow()),
        ],
        condition=Payment.status == "pending",
    )


def mark_voided(payment: Payment, message: str) -> bool:
    """approved → voided: back into the ERP feed, no longer lowers the balances, and
    its hold is given back (one transaction)."""
    return transition(
        payment,
        [
            Payment.status.set("voided"),
            Payment.result_message.set(message),
            Payment.feed_company.set(payment.company_id),
            Payment.unapplied_pk.remove(),
            Payment.updated_at.set(clock.utcnow()),
        ],
        (Payment.status == "approved") & (Payment.refunded_cents == 0),
        _drop_hold(payment),
    )


def expire_review(payment: Payment, message: str) -> bool:
    """reviewed → expired: nobody confirmed it in time (it never held anything)."""
    return conditional(
        payment.update,
        actions=[
            Payment.status.set("expired"),
            Payment.result_message.set(message),
            Payment.pending_company.remove(),
            Payment.updated_at.set(clock.utcnow()),
        ],
        condition=Payment.status == "reviewed",
    )


def add_refunded(sale: Payment, cents: int) -> bool:
    """Count an approved refund on its sale, never beyond the sale's amount."""
    return conditional(
        sale.update,
        actions=[Payment.refunded_cents.add(cents), Payment.updated_at.set(clock.utcnow())],
        condition=Payment.refunded_cents <= int(sale.amount_cents) - cents,
    )


def receipt_sent(payment: Payment) -> None:
    payment.update(actions=[Payment.receipt_sent_at.set(clock.utcnow()), Payment.receipt_company.remove()])


def pending_ids(company_id: str, before: str | None = None, limit: int = 200) -> list[str]:
    """Row 49: sparse index `pending` (keys only), oldest first, ids below `before`."""
    condition = Payment.payment_id < before if before else None
    return [p.payment_id for p in Payment.pending.query(company_id, condition, limit=limit)]


def receipt_ids(company_id: str, limit: int = 100) -> list[str]:
    """Approved payments whose receipt e-mail has not gone out yet (sparse, keys only)."""
    return [p.payment_id for p in Payment.receipts_due.query(company_id, limit=limit)]


def many(company_id: str, payment_ids: list[str]) -> list[Payment]:
    keys = [(company_id, pid) for pid in dict.fromkeys(payment_ids)][:100]
    return list(Payment.batch_get(keys)) if keys else []


def for_company(
    company_id: str,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    status: str | None = None,
    method: str | None = None,
    customer_no: str | None = None,
    needs_attention: bool = False,
    cursor: str | None = None,
    want: int = paging.DEFAULT_ROWS,
) -> paging.Page:
    """Administrators' list: table payments, company_id = C AND payment_id BETWEEN the
    ids of the date range (ids are time-sortable), newest first; the other filters
    are filter expressions (bounded by paging's call budget)."""
    low = id_bound(date_from) if date_from else "0"
    high = (id_bound(date_to) if date_to else "f" * 12) + "\uffff"
    condition = Payment.payment_id.between(low, high)
    filters = None
    # Reviews never confirmed are not payments: listed only when asked for by status.
    for part in (
        Payment.status == status if status else ~Payment.status.is_in(*NOT_PAYMENTS),
        Payment.method == method if method else None,
        Payment.customer_no == customer_no if customer_no else None,
        Payment.needs_attention == True if needs_attention else None,  # noqa: E712
    ):
        if part is not None:
            filters = part if filters is None else filters & part
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed={"company_id", "payment_id"})
    return paging.collect(
        lambda **page: Payment.query(company_id, condition, filter_condition=filters, scan_index_forward=False, **page),
        Payment.from_raw_data,
        start=start,
        want=want,
    )


def refunds_of(sale: Payment) -> list[Payment]:
    """Refund rows of a sale (by_customer index, filtered on refund_of)."""
    return list(
        Payment.by_customer.query(
            sale.customer_pk,
            Payment.payment_id > sale.payment_id,
            filter_condition=Payment.refund_of == sale.payment_id,
            limit=200,
        )
    )


# ------------------------------------------------------------ reservations
# One PaymentReservations item per account (docs/payments.md): what each confirmed
# portal payment holds of the account's open invoices, until the ERP applies it or
# it stops being money (declined, failed, voided, returned).
RESERVED, NOT_REVIEWED, HOLDS_CHANGED = "reserved", "not reviewed", "holds changed"


@dataclass
class PortalPayment:
    """A portal payment the ERP has not applied yet, as the account's reservation item
    keeps it for the balance pages (the fields of `Payment` those pages show)."""

    payment_id: str
    amount_cents: int  # a refund is negative
    allocations: dict[str, int]
    kind: str
    method: str
    status: str
    created_at: datetime | None
    masked_account: str | None = None


@dataclass
class Holds:
    """An account's reservation item as read."""

    account_pk: str
    holds: dict[str, dict]  # payment id -> {"cents": int, "invoices": {invoice_no: int}}
    version: int | None  # None: no item yet
    # payment id -> what the balance pages show of it (kind, method, status, created,
    # masked, and `counts`: False for a parts order's payment, which pays no balance).
    # Holds written before these fields existed have none (see `portal_payments`).
    details: dict[str, dict] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """The item exists and every hold carries what the balance pages show."""
        return self.version is not None and all("counts" in self.details.get(pid, {}) for pid in self.holds)

    def portal_payments(self) -> list[PortalPayment]:
        """The unapplied portal payments (pending, approved and settled sales, approved
        refunds) the balances are lowered by; only meaningful when `complete`."""
        found = []
        for payment_id, hold in self.holds.items():
            detail = self.details.get(payment_id, {})
            if not detail.get("counts"):
                continue
            found.append(
                PortalPayment(
                    payment_id,
                    hold["cents"],
                    dict(hold["invoices"]),
                    detail.get("kind", "payment"),
                    detail.get("method", ""),
                    detail.get("status", "pending"),
                    datetime.fromisoformat(detail["created"]) if detail.get("created") else id_time(payment_id),
                    detail.get("masked"),
                )
            )
        return sorted(found, key=lambda p: p.payment_id)

    def by_invoice(self, exclude: str = "") -> dict[str, int]:
        """Cents held per invoice by every payment but `exclude`."""
        totals: dict[str, int] = {}
        for payment_id, hold in self.holds.items():
            if payment_id != exclude:
                for invoice_no, cents in hold["invoices"].items():
                    totals[invoice_no] = totals.get(invoice_no, 0) + cents
        return totals


def _hold_of(payment: Payment, status: str | None = None, masked: str | None = None) -> dict:
    """A payment's hold: what it holds of the invoices, and what the balance pages show
    of it, so that they read the account's item instead of the payments (one read)."""
    hold: dict = {
        "cents": int(payment.amount_cents),
        "invoices": {no: int(c) for no, c in plain_dict(payment.allocations).items()},
        "kind": payment.kind or "payment",
        "method": payment.method or "",
        "status": status or payment.status,
        "counts": not payment.parts_order_id,  # a parts order's payment pays no open balance
    }
    if payment.created_at:
        hold["created"] = payment.created_at.isoformat()
    if masked or payment.masked_account:
        hold["masked"] = masked or payment.masked_account
    return hold


def hold_of(payment: Payment) -> dict:
    """A payment's hold as a confirm writes it (for seeding an account's item)."""
    return _hold_of(payment)


def holds_of_raw(company_id: str, customer_no: str, raw: dict | None) -> Holds:
    """An account's reservation item from DynamoDB's answer (the request context's batch)."""
    if raw is None:
        return Holds(account_pk(company_id, customer_no), {}, None)
    return _holds_of(PaymentReservations.from_raw_data(raw))


def account_holds(company_id: str, customer_no: str) -> Holds:
    """The account's reservation item as it is (1 consistent GetItem; version None: none)."""
    try:
        return _holds_of(PaymentReservations.get(account_pk(company_id, customer_no), consistent_read=True))
    except PaymentReservations.DoesNotExist:
        return Holds(account_pk(company_id, customer_no), {}, None)


def _split(item: PaymentReservations) -> tuple[dict, dict]:
    """(what each payment holds, what the pages show of it) of an item's holds."""
    holds, details = {}, {}
    for payment_id, hold in plain_dict(item.holds).items():
        holds[payment_id] = {
            "cents": int(hold.get("cents", 0)),
            "invoices": {no: int(c) for no, c in hold.get("invoices", {}).items()},
        }
        details[payment_id] = {k: v for k, v in hold.items() if k not in ("cents", "invoices")}
    return holds, details


def _holds_of(item: PaymentReservations) -> Holds:
    holds, details = _split(item)
    return Holds(item.account_pk, holds, int(item.version or 0), details)


def read_holds(company_id: str, customer_no: str) -> Holds:
    """One consistent GetItem.  An account without an item yet (its payments predate
    reservations) starts from its unapplied payments: one Query of `unapplied`, once."""
    pk = account_pk(company_id, customer_no)
    try:
        item = PaymentReservations.get(pk, consistent_read=True)
    except PaymentReservations.DoesNotExist:
        seeded = PaymentReservations(pk, holds={p.payment_id: _hold_of(p) for p in Payment.unapplied.query(pk)})
        holds, details = _split(seeded)
        return Holds(pk, holds, None, details)
    return _holds_of(item)


def portal_payments(holds: Holds) -> list:
    """The account's unapplied portal payments for the balances: from its reservation item
    when that is complete (no read), else one Query of the `unapplied` index, and the item
    is completed from it (`complete_holds`) so the next page needs no Query."""
    if holds.complete:
        return holds.portal_payments()
    unapplied = sorted(Payment.unapplied.query(holds.account_pk), key=lambda p: p.payment_id)
    try:
        complete_holds(holds, unapplied)
    except PynamoDBException as error:  # the page has what it needs; a later one completes it
        logger.warning("reservation item not completed", extra={"account": holds.account_pk, "error": str(error)[:200]})
    return unapplied


def complete_holds(holds: Holds, unapplied: list[Payment]) -> bool:
    """Backfill (docs/payments.md): give an account's reservation item what the balance
    pages read, from its unapplied payments read after the item.  Written only over the
    version read (every change of the holds raises it), so a payment confirmed, released
    or resolved meanwhile makes this write fail and a later page try again.  An account
    without an item gets an empty one only when nothing is unapplied; one with unapplied
    payments but no item keeps the Query until its first confirm writes the item."""
    by_id = {p.payment_id: p for p in unapplied}
    if holds.version is None:
        if by_id:
            return False
        return conditional(
            PaymentReservations(holds.account_pk, holds={}).save,
            condition=PaymentReservations.account_pk.does_not_exist(),
        )
    if set(by_id) - set(holds.holds):  # unapplied but not held: left as it is
        return False
    completed = {}
    for payment_id, hold in holds.holds.items():
        payment = by_id.get(payment_id)
        if payment is not None:
            completed[payment_id] = _hold_of(payment)
        else:  # held but no longer lowering the balance (a parts order's payment)
            completed[payment_id] = dict(hold, **holds.details.get(payment_id, {}), counts=False)
    item = PaymentReservations(holds.account_pk, version=holds.version)
    return conditional(item.update, actions=[PaymentReservations.holds.set(completed)])


def reserve_and_confirm(payment: Payment, holds: Holds, transaction_token: str) -> str:
    """Row 46: reviewed → pending, and the payment's hold added to the account's item,
    in one transaction.  The item is written only over the version `holds` was read at,
    so of two payments checked against the same holds only one is written; the other
    gets HOLDS_CHANGED and checks again.  NOT_REVIEWED: it left `reviewed` meanwhile
    (a second click confirmed it first, or it expired)."""
    now = clock.utcnow()
    # `version` is a VersionAttribute: PynamoDB adds "version = <read>" (or "no item") and
    # raises it by one, so this is written only over the holds that were checked.
    item = PaymentReservations(holds.account_pk)
    if holds.version is not None:
        item.version = holds.version
    hold_actions: list[Action]
    unchanged: Condition | None = None
    if holds.version is None:
        seeded = {pid: dict(hold, **holds.details.get(pid, {})) for pid, hold in holds.holds.items()}
        hold_actions = [
            PaymentReservations.holds.set(dict(seeded, **{payment.payment_id: _hold_of(payment, "pending")}))
        ]
        unchanged = PaymentReservations.account_pk.does_not_exist()
    else:
        hold_actions = [PaymentReservations.holds[payment.payment_id].set(_hold_of(payment, "pending"))]
    try:
        with TransactWrite(connection=connection(Payment)) as tx:
            actions: list[Action] = [
                Payment.status.set("pending"),
                Payment.transaction_token.set(transaction_token),
                Payment.updated_at.set(now),
            ]
            if not payment.parts_order_id:  # a parts order's payment pays no open balance
                actions.append(Payment.unapplied_pk.set(account_pk(payment.company_id, payment.customer_no)))
            tx.update(payment, actions=actions, condition=Payment.status == "reviewed")
            tx.update(item, actions=hold_actions, condition=unchanged)
    except TransactWriteError as error:
        reasons = cancel_reasons(error)
        if reasons and reasons[0] == ITEM_CONDITION_FAILED:
            return NOT_REVIEWED
        if reasons and reasons[1] == ITEM_CONDITION_FAILED:
            return HOLDS_CHANGED
        raise
    return RESERVED


# A change of an account's holds that goes with a payment's change: the item, its update, its condition.
HoldChange = tuple[PaymentReservations, list[Action], Condition]


def _reservations(company_id: str, customer_no: str) -> PaymentReservations:
    """The account's item for a change that needs no version check (it only makes room,
    or restates a hold): written with `add_version_condition=False`, it still raises the
    version, so a confirm or a backfill that read the holds before it writes nothing."""
    return PaymentReservations(account_pk(company_id, customer_no), version=0)


def _drop_hold(payment: Payment) -> HoldChange:
    return (
        _reservations(payment.company_id, payment.customer_no),
        [PaymentReservations.holds[payment.payment_id].remove()],
        PaymentReservations.holds[payment.payment_id].exists(),
    )


def _add_hold(payment: Payment, masked: str | None = None) -> HoldChange:
    """A refund reopens what it gives back: a negative hold (no version check: it only
    makes room)."""
    return (
        _reservations(payment.company_id, payment.customer_no),
        [PaymentReservations.holds[payment.payment_id].set(_hold_of(payment, "approved", masked))],
        PaymentReservations.holds.exists(),
    )


def _restate_hold(payment: Payment, status: str, masked: str | None = None) -> HoldChange:
    """The hold stays; what the balance pages show of it follows the payment's status."""
    hold = PaymentReservations.holds[payment.payment_id]
    actions = [hold["status"].set(status)]
    if masked:
        actions.append(hold["masked"].set(masked))
    return (_reservations(payment.company_id, payment.customer_no), actions, hold.exists())


def transition(payment: Payment, actions: list[Action], condition: Condition, hold: HoldChange | None) -> bool:
    """A conditional status change with its hold change in one transaction; False when
    the payment's condition failed.  A payment from before reservations (no hold to
    drop, no item to add to) changes status alone."""
    if hold is not None:
        item, hold_actions, hold_condition = hold
        try:
            with TransactWrite(connection=connection(Payment)) as tx:
                tx.update(payment, actions=actions, condition=condition)
                tx.update(item, actions=hold_actions, condition=hold_condition, add_version_condition=False)
            return True
        except TransactWriteError as error:
            reasons = cancel_reasons(error)
            if not reasons:
                raise
            if reasons[0] == ITEM_CONDITION_FAILED:
                return False
            if reasons[1] != ITEM_CONDITION_FAILED:
                raise
    return conditional(payment.update, actions=actions, condition=condition)


def release_hold(company_id: str, customer_no: str, payment_id: str) -> bool:
    """The ERP applied (or returned) the payment: its invoices' balances say it now.
    Idempotent: a hold already gone (a retry) is left alone."""
    return conditional(
        _reservations(company_id, customer_no).update,
        actions=[PaymentReservations.holds[payment_id].remove()],
        condition=PaymentReservations.holds[payment_id].exists(),
        add_version_condition=False,
    )


def drop_hold(payment: Payment) -> HoldChange:
    """The hold change of a payment the ERP applied or returned (repositories/erp.py)."""
    return _drop_hold(payment)


def restate_hold(payment: Payment, status: str) -> HoldChange:
    """The hold change of a payment whose status the ERP moved (ACH settled)."""
    return _restate_hold(payment, status)
