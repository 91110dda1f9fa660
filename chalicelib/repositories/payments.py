"""Portal payments (DESIGN §6): conditional writes for every state change.

Each function is one access pattern of docs/data-model.md (rows 46–51 and the
payments list of the administrators).
"""
from datetime import datetime
from typing import List, Optional

from pynamodb.exceptions import PutError, UpdateError

from .. import clock
from ..models import Payment
from . import paging
from .keys import account_pk

CONDITION_FAILED = "ConditionalCheckFailedException"


def id_bound(moment: datetime) -> str:
    """The smallest payment id minted at `moment` (ids start with 12 hex digits of ms)."""
    return f"{int(moment.timestamp() * 1000):012x}"


def id_time(payment_id: str) -> Optional[datetime]:
    try:
        from datetime import timezone

        return datetime.fromtimestamp(int(payment_id[:12], 16) / 1000, tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _conditional_failure(error) -> bool:
    return getattr(error, "cause_response_code", None) == CONDITION_FAILED


def get(company_id: str, payment_id: str) -> Optional[Payment]:
    try:
        return Payment.get(company_id, payment_id, consistent_read=True)
    except Payment.DoesNotExist:
        return None


def create_pending(payment: Payment) -> bool:
    """Row 46: put `pending` once; False when the id exists already (a retry)."""
    payment.status = "pending"
    payment.pending_company = payment.company_id
    try:
        payment.save(condition=Payment.payment_id.does_not_exist())
    except PutError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def resolve(payment: Payment, status: str, *, gateway_id=None, masked_account=None,
            message=None, approval_number=None, card_type=None) -> bool:
    """Row 47: pending → approved / declined / failed; False when it was not pending."""
    now = clock.utcnow()
    actions = [Payment.status.set(status), Payment.updated_at.set(now),
               Payment.pending_company.remove(), Payment.needs_attention.set(False)]
    for attribute, value in ((Payment.gateway_id, gateway_id),
                             (Payment.masked_account, masked_account),
                             (Payment.result_message, message),
                             (Payment.approval_number, approval_number),
                             (Payment.card_type, card_type)):
        if value:
            actions.append(attribute.set(value))
    if status == "approved":
        actions.append(Payment.feed_company.set(payment.company_id))
        if payment.kind == "payment" and payment.receipt_email:
            actions.append(Payment.receipt_company.set(payment.company_id))
        if payment.kind == "refund":  # lowers the amount paid until the ERP applies it
            actions.append(Payment.unapplied_pk.set(account_pk(payment.company_id,
                                                               payment.customer_no)))
    else:  # not money: stop counting it against the balances
        actions.append(Payment.unapplied_pk.remove())
    try:
        payment.update(actions=actions, condition=Payment.status == "pending")
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def mark_unresolved(payment: Payment, needs_attention: bool, message: str) -> bool:
    """The reconciler could not tell: count the attempt, flag it; it stays pending."""
    try:
        payment.update(actions=[Payment.reconcile_attempts.add(1),
                                Payment.needs_attention.set(needs_attention),
                                Payment.result_message.set(message[:300]),
                                Payment.updated_at.set(clock.utcnow())],
                       condition=Payment.status == "pending")
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def mark_voided(payment: Payment, message: str) -> bool:
    """approved → voided: back into the ERP feed, no longer lowers the balances."""
    try:
        payment.update(actions=[Payment.status.set("voided"), Payment.result_message.set(message),
                                Payment.feed_company.set(payment.company_id),
                                Payment.unapplied_pk.remove(),
                                Payment.updated_at.set(clock.utcnow())],
                       condition=(Payment.status == "approved") & (Payment.refunded_cents == 0))
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def add_refunded(sale: Payment, cents: int) -> bool:
    """Count an approved refund on its sale, never beyond the sale's amount."""
    try:
        sale.update(actions=[Payment.refunded_cents.add(cents),
                             Payment.updated_at.set(clock.utcnow())],
                    condition=Payment.refunded_cents <= int(sale.amount_cents) - cents)
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise
    return True


def receipt_sent(payment: Payment) -> None:
    payment.update(actions=[Payment.receipt_sent_at.set(clock.utcnow()),
                            Payment.receipt_company.remove()])


def pending_ids(company_id: str, before: Optional[str] = None, limit: int = 200) -> List[str]:
    """Row 49: sparse index `pending` (keys only), oldest first, ids below `before`."""
    condition = Payment.payment_id < before if before else None
    return [p.payment_id for p in Payment.pending.query(company_id, condition, limit=limit)]


def receipt_ids(company_id: str, limit: int = 100) -> List[str]:
    """Approved payments whose receipt e-mail has not gone out yet (sparse, keys only)."""
    return [p.payment_id for p in Payment.receipts_due.query(company_id, limit=limit)]


def many(company_id: str, payment_ids: List[str]) -> List[Payment]:
    keys = [(company_id, pid) for pid in dict.fromkeys(payment_ids)][:100]
    return list(Payment.batch_get(keys)) if keys else []


def for_company(company_id: str, *, date_from: Optional[datetime] = None,
                date_to: Optional[datetime] = None, status: Optional[str] = None,
                method: Optional[str] = None, customer_no: Optional[str] = None,
                needs_attention: bool = False, cursor: Optional[str] = None,
                want: int = paging.DEFAULT_ROWS) -> paging.Page:
    """Administrators' list: table payments, company_id = C AND payment_id BETWEEN the
    ids of the date range (ids are time-sortable), newest first; the other filters
    are filter expressions (bounded by paging's call budget)."""
    low = id_bound(date_from) if date_from else "0"
    high = (id_bound(date_to) if date_to else "f" * 12) + "\uffff"
    condition = Payment.payment_id.between(low, high)
    filters = None
    for part in (Payment.status == status if status else None,
                 Payment.method == method if method else None,
                 Payment.customer_no == customer_no if customer_no else None,
                 Payment.needs_attention == True if needs_attention else None):  # noqa: E712
        if part is not None:
            filters = part if filters is None else filters & part
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id,
                          allowed={"company_id", "payment_id"})
    return paging.collect(
        lambda **page: Payment.query(company_id, condition, filter_condition=filters,
                                     scan_index_forward=False, **page),
        Payment.from_raw_data, start=start, want=want)


def refunds_of(sale: Payment) -> List[Payment]:
    """Refund rows of a sale (by_customer index, filtered on refund_of)."""
    return list(Payment.by_customer.query(
        sale.customer_pk, Payment.payment_id > sale.payment_id,
        filter_condition=Payment.refund_of == sale.payment_id, limit=200))
