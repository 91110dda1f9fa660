"""Parts catalogue, carts and parts orders: the queries (docs/parts.md).

Search reads only what a page shows: a number prefix is one Query of index
`parts.by_number`; a description word is one Query of `part-tokens` and one
BatchGetItem of the parts it names.
"""

from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError

from ..models import Cart, Part, PartsOrder, PartToken
from ..models.commerce import CartLine
from . import paging
from .keys import account_pk, cart_keys, part_token_pk

CONDITIONAL_FAILED = "ConditionalCheckFailedException"
AWAITING_PAYMENT = "awaiting_payment"
PLACED = "placed"
EXPIRED = "expired"  # awaiting payment, never paid: housekeeping closed it (docs/parts.md)


def _failed(error) -> bool:
    return error.cause_response_code == CONDITIONAL_FAILED


# ------------------------------------------------------------------ catalogue
def by_number(company_id: str, prefix: str, limit: int, start: dict | None) -> tuple[list[Part], dict | None]:
    """Index by_number: parts whose searchable number begins with `prefix`; 1 Query."""
    result = Part.by_number.query(
        company_id, Part.number_key.startswith(prefix), limit=limit, page_size=limit, last_evaluated_key=start
    )
    items = list(result)
    return items, result.last_evaluated_key


def by_word(company_id: str, word: str, limit: int, start: dict | None) -> tuple[list[str], dict | None]:
    """Table part-tokens: part numbers whose description has `word`; 1 Query."""
    result = PartToken.query(part_token_pk(company_id, word), limit=limit, page_size=limit, last_evaluated_key=start)
    part_nos = [token.part_no for token in result]
    return part_nos, result.last_evaluated_key


def word_start_ok(start: dict, company_id: str, word: str) -> bool:
    return start.get("token_pk") == {"S": part_token_pk(company_id, word)}


def many(company_id: str, part_nos: Iterable[str]) -> dict[str, Part]:
    """Parts by number: one BatchGetItem per 100 numbers."""
    keys = list(dict.fromkeys(part_nos))
    if not keys:
        return {}
    return {part.part_no: part for part in Part.batch_get([(company_id, n) for n in keys])}


def get(company_id: str, part_no: str) -> Part | None:
    try:
        return Part.get(company_id, part_no)
    except Part.DoesNotExist:
        return None


# ---------------------------------------------------------------------- carts
def get_cart(company_id: str, customer_no: str, user_id: str) -> Cart:
    """The login's cart on this account (an empty, unsaved one when there is none); 1 GetItem."""
    pk, cart_id = cart_keys(company_id, customer_no, user_id)
    try:
        return Cart.get(pk, cart_id, consistent_read=True)
    except Cart.DoesNotExist:
        return Cart(pk, cart_id, lines=[], version=0)


def save_cart(cart: Cart, lines: list[dict], seen_version: int, now: datetime) -> bool:
    """Write the cart's lines over exactly the version read (a second tab's older view
    loses: False).  1 PutItem."""
    cart.lines = [CartLine(**line) for line in lines]
    cart.version = seen_version + 1
    cart.updated_at = now
    condition = Cart.version.does_not_exist() if seen_version == 0 else Cart.version == seen_version
    if seen_version == 0:
        condition = condition | (Cart.version == 0)
    try:
        cart.save(condition=condition)
        return True
    except PutError as error:
        if not _failed(error):
            raise
        return False


def empty_after_order(company_id: str, customer_no: str, user_id: str, version: int, now: datetime) -> bool:
    """Empty the cart an order was made from, unless it changed since (then it stays)."""
    pk, cart_id = cart_keys(company_id, customer_no, user_id)
    try:
        Cart(pk, cart_id).update(
            actions=[Cart.lines.set([]), Cart.version.set(version + 1), Cart.updated_at.set(now)],
            condition=Cart.version == version,
        )
        return True
    except UpdateError as error:
        if not _failed(error):
            raise
        return False


# --------------------------------------------------------------- parts orders
def get_order(company_id: str, order_id: str) -> PartsOrder | None:
    try:
        return PartsOrder.get(company_id, order_id, consistent_read=True)
    except PartsOrder.DoesNotExist:
        return None


def save_draft(order: PartsOrder) -> bool:
    """Write (or rewrite) an order still awaiting payment; never over a placed one."""
    order.awaiting_company = order.company_id  # the reconciler's index, until placed or expired
    try:
        order.save(
            condition=PartsOrder.order_id.does_not_exist()
            | ((PartsOrder.status == AWAITING_PAYMENT) & PartsOrder.paying_payment_id.does_not_exist())
        )
        return True
    except PutError as error:
        if not _failed(error):
            raise
        return False


def create_placed(order: PartsOrder) -> bool:
    """Charge to account: the order is written placed at once, only if its id is new."""
    order.customer_pk = account_pk(order.company_id, order.customer_no)
    order.feed_company = order.company_id
    try:
        order.save(condition=PartsOrder.order_id.does_not_exist())
        return True
    except PutError as error:
        if not _failed(error):
            raise
        return False


def start_paying(order: PartsOrder, payment_id: str) -> bool:
    """Lock the order to the payment being confirmed: only the latest review's payment,
    and only one, may be sent to the gateway."""
    try:
        order.update(
            actions=[PartsOrder.paying_payment_id.set(payment_id)],
            condition=(PartsOrder.status == AWAITING_PAYMENT)
            & (PartsOrder.payment_id == payment_id)
            & (PartsOrder.paying_payment_id.does_not_exist() | (PartsOrder.paying_payment_id == payment_id)),
        )
        return True
    except UpdateError as error:
        if not _failed(error):
            raise
        return False


def place(order: PartsOrder, payment_id: str, now: datetime) -> bool:
    """awaiting_payment -> placed, once: the caller that moved it sends the e-mail.
    An order housekeeping expired is placed too when its own payment turns out paid:
    a paid order is never lost."""
    history = list(order.history or []) + [{"status": PLACED, "at": now.isoformat()}]
    try:
        order.update(
            actions=[
                PartsOrder.status.set(PLACED),
                PartsOrder.placed_at.set(now),
                PartsOrder.customer_pk.set(account_pk(order.company_id, order.customer_no)),
                PartsOrder.feed_company.set(order.company_id),
                PartsOrder.awaiting_company.remove(),
                # PynamoDB types ListAttribute(of=MapAttribute) as MapAttribute items; it stores dicts too.
                PartsOrder.history.set(history),  # type: ignore[arg-type]
            ],
            condition=PartsOrder.status.is_in(AWAITING_PAYMENT, EXPIRED) & (PartsOrder.paying_payment_id == payment_id),
        )
        return True
    except UpdateError as error:
        if not _failed(error):
            raise
        return False


def awaiting_ids(company_id: str, limit: int = 100) -> list[str]:
    """Orders awaiting payment, oldest first (sparse index `awaiting`, keys only); 1 Query."""
    return [o.order_id for o in PartsOrder.awaiting.query(company_id, limit=limit)]


def expire(order: PartsOrder, now: datetime) -> bool:
    """awaiting_payment -> expired, only if nobody started or changed its payment since
    `order` was read (the same payment ids, still awaiting)."""
    condition = PartsOrder.status == AWAITING_PAYMENT
    for attribute, value in (
        (PartsOrder.payment_id, order.payment_id),
        (PartsOrder.paying_payment_id, order.paying_payment_id),
    ):
        condition = condition & (attribute.does_not_exist() if value is None else attribute == value)
    history = list(order.history or []) + [{"status": EXPIRED, "at": now.isoformat()}]
    try:
        order.update(
            actions=[
                PartsOrder.status.set(EXPIRED),
                PartsOrder.awaiting_company.remove(),
                PartsOrder.history.set(history),  # type: ignore[arg-type]
            ],
            condition=condition,
        )
        return True
    except UpdateError as error:
        if not _failed(error):
            raise
        return False


def mark_confirmation_sent(order: PartsOrder) -> None:
    order.update(actions=[PartsOrder.confirmation_sent.set(True)])


def customer_orders(company_id: str, customer_no: str, limit: int, cursor: str | None) -> paging.Page:
    """Index by_customer: the account's placed orders, newest first; 1 Query."""
    pk = account_pk(company_id, customer_no)
    start = paging.decode(
        cursor, hash_attr="customer_pk", hash_value=pk, allowed={"customer_pk", "company_id", "order_id"}
    )
    result = PartsOrder.by_customer.query(
        pk, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start
    )
    items = list(result)
    return paging.Page(items=items, cursor=paging.encode(result.last_evaluated_key), calls=1)


def company_orders(
    company_id: str,
    *,
    status: str = "",
    customer_no: str = "",
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    want: int = 50,
    cursor: str | None = None,
) -> paging.Page:
    """The company's placed orders, newest first (administrators): company_id = C AND
    order_id BETWEEN the ids of the date range (ids start with their time), so the dates
    bound what is read; status and customer are filter expressions, bounded by the
    pager's call budget (repositories/paging.py).  Orders awaiting payment or expired
    unpaid are left out unless that status is asked for."""
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed={"company_id", "order_id"})
    low = _id_bound(date_from) if date_from else "0"
    high = (_id_bound(date_to) if date_to else "f" * 12) + "\uffff"
    condition = PartsOrder.status == status if status else ~PartsOrder.status.is_in(AWAITING_PAYMENT, EXPIRED)
    if customer_no:
        condition = condition & (PartsOrder.customer_no == customer_no)

    def run(page_size, last_evaluated_key):
        return PartsOrder.query(
            company_id,
            PartsOrder.order_id.between(low, high),
            filter_condition=condition,
            scan_index_forward=False,
            page_size=page_size,
            last_evaluated_key=last_evaluated_key,
        )

    return paging.collect(
        run,
        lambda raw: PartsOrder.from_raw_data(raw),
        want=want,
        start=start,
        key_of=lambda raw: {"company_id": raw["company_id"], "order_id": raw["order_id"]},
    )


def _id_bound(moment: datetime) -> str:
    """The smallest id minted at `moment` (chalicelib/ids.py: 12 hex digits of ms first)."""
    return f"{int(moment.timestamp() * 1000):012x}"


def set_erp_status(order: PartsOrder, actions: list, updated_at: datetime) -> bool:
    """The ERP's status, unless a newer word of the ERP is stored (stale rule)."""
    try:
        order.update(
            actions=actions + [PartsOrder.erp_updated_at.set(updated_at)],
            condition=(PartsOrder.status != AWAITING_PAYMENT)
            & (PartsOrder.erp_updated_at.does_not_exist() | (PartsOrder.erp_updated_at < updated_at)),
        )
        return True
    except UpdateError as error:
        if not _failed(error):
            raise
        return False
