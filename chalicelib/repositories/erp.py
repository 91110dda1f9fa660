"""Writes of ERP records with the stale-update rule (docs/erp-import.md): a record is written only
if the stored one is older (`erp_updated_at` < the record's), by a conditional write."""

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from pynamodb.expressions.update import Action
from pynamodb.models import Model

from ..models import Customer, DealerLink, Membership, PartToken, Payment
from . import payments
from .dynamo import batch_write, conditional, key_names
from .keys import account_pk

M = TypeVar("M", bound=Model)  # a model class


def key_of(item) -> tuple:
    hash_name, range_name = key_names(item)
    return (getattr(item, hash_name),) + ((getattr(item, range_name),) if range_name else ())


def batch_get(model: type[M], keys: Iterable[tuple]) -> dict[tuple, M]:
    """Stored items by key tuple: BatchGetItem, 100 keys a call (PynamoDB pages them)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    request = [k if len(k) > 1 else k[0] for k in keys]
    return {key_of(item): item for item in model.batch_get(request)}


def put_if_newer(item, updated_at: datetime) -> bool:
    """Write the item unless a record as new or newer is stored (False then)."""
    model = type(item)
    return conditional(item.save, condition=model.erp_updated_at.does_not_exist() | (model.erp_updated_at < updated_at))


def touch_if_newer(item, updated_at: datetime) -> None:
    """Same content, later time: move the stored time forward (older pushes stay out)."""
    model = type(item)
    conditional(
        item.update, actions=[model.erp_updated_at.set(updated_at)], condition=model.erp_updated_at < updated_at
    )


def delete_if_not_newer(item, updated_at: datetime) -> bool:
    model = type(item)
    return conditional(
        item.delete, condition=model.erp_updated_at.does_not_exist() | (model.erp_updated_at <= updated_at)
    )


def save_all(items: list) -> None:
    batch_write(items, "save")


def delete_all(items: list) -> None:
    batch_write(items, "delete")


def customer_rows(company_id: str, customer_no: str) -> list[Customer]:
    """Every location row of one customer (table customers, pk = company#customer)."""
    return list(Customer.query(account_pk(company_id, customer_no)))


def contacts(company_id: str, customer_no: str) -> list:
    from ..models import Contact

    return list(Contact.query(account_pk(company_id, customer_no)))


def part_tokens(company_id: str, part_no: str, words: Iterable[str]) -> list[PartToken]:
    from .keys import part_token_pk

    return [PartToken(part_token_pk(company_id, word), part_no) for word in sorted(words)]


def dealer_links(company_id: str, dealer_code: str, customer_nos: Iterable[str]) -> list[DealerLink]:
    return [DealerLink(account_pk(company_id, n), dealer_code) for n in customer_nos]


def has_members(company_id: str, customer_no: str) -> bool:
    """Index memberships.by_account: does any sign-in have access to this account?"""
    return any(True for _ in Membership.by_account.query(account_pk(company_id, customer_no), limit=1))


def settle_ach(payment: Payment, outcome: str, reason, updated_at: datetime, now: datetime) -> bool:
    """Approved ACH payment → settled / returned, unless a newer ERP word is stored.  The
    account's hold follows in the same transaction: settled restates it, returned drops it."""
    actions: list[Action] = [
        Payment.status.set(outcome),
        Payment.erp_updated_at.set(updated_at),
        Payment.updated_at.set(now),
    ]
    if outcome == "returned":
        # A returned payment no longer reduces what the customer owes.
        actions.append(Payment.unapplied_pk.remove())
        if reason:
            actions.append(Payment.result_message.set(reason))
    condition = (
        (Payment.erp_updated_at.does_not_exist() | (Payment.erp_updated_at < updated_at))
        & Payment.status.is_in("approved", "settled", "returned")
        & (Payment.method == "ach")
    )
    # The money came back: the invoices are open again (the hold goes with the status).
    hold = payments.drop_hold(payment) if outcome == "returned" else payments.restate_hold(payment, outcome)
    return payments.transition(payment, actions, condition, hold)


def mark_applied(company_id: str, payment_ids: Iterable[str]) -> None:
    """The ERP applied these portal payments: they stop reducing shown balances.  The
    payment leaves the `unapplied` index and its hold leaves the account's item in one
    transaction (the balance pages read the item), so a crash between them cannot count
    the payment twice; a retry finds it applied and only makes sure the hold is gone."""
    wanted = list(dict.fromkeys(payment_ids))
    found = [p for start in range(0, len(wanted), 100) for p in payments.many(company_id, wanted[start : start + 100])]
    for payment in found:
        if payment.unapplied_pk and payments.transition(
            payment,
            [Payment.unapplied_pk.remove()],
            Payment.unapplied_pk.exists(),
            payments.drop_hold(payment),
        ):
            continue
        # Applied before (a retried push) or by a write from before holds moved with it.
        payments.release_hold(company_id, payment.customer_no, payment.payment_id)


def statement(company_id: str, customer_no: str, statement_date: str):
    from ..models import Statement

    try:
        return Statement.get(account_pk(company_id, customer_no), statement_date)
    except Statement.DoesNotExist:
        return None


def set_statement_pdf_key(item, key: str) -> None:
    from ..models import Statement

    item.update(actions=[Statement.pdf_key.set(key)], condition=Statement.customer_pk.exists())
