"""Everything a signed-in request needs about its user, in one BatchGetItem.

After the session (its own GetItem), a page needs the user (active? must change its
password?), the membership of the account in use (still active? an administrator's
inactivation ends access at the next request), the account's bill-to (name, terms),
its web access (access type, hidden pages, search-all) and its dealer codes (the
summary item of models/customer.py `DealerLink`).  They live in five tables under
keys the session already names, so one BatchGetItem reads them all, consistently:
a change made by an administrator or the ERP is seen by the very next request.

The same batch reads the account's two balance items, `ArTotals` (open invoices per
day, open credits, the ERP's past statements) and `PaymentReservations` (the portal payments the ERP has not
applied yet, with what the pages show of them): the home page, /account, its history,
the pay form and statements compute the balance from them without a read of their own
(services/balance.py).  They are kept as DynamoDB returned them, parsed only by the
pages that use them.  It also reads the login's cart on the account, for the header's
cart badge (distinct parts) that every page shows where parts may be ordered.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pynamodb.connection import Connection
from pynamodb.models import Model

from .. import faults
from ..models import Customer, DealerLink, Membership, User, WebAccess
from ..models.base import BaseMeta
from ..models.customer import BILL_TO
from .keys import dealer_codes_key

if TYPE_CHECKING:
    from ..models import Cart  # loaded in `load` (off the import path)

# DynamoDB may leave keys unprocessed under load: ask again, at most this often.
ATTEMPTS = 3

_M = TypeVar("_M", bound=Model)

_connection: list[Connection] = []


def _dynamodb() -> Connection:
    """One PynamoDB connection for multi-table batches (made on first use: no I/O at import).
    Its calls send PynamoDB's signals like every model call (chalicelib/dynamo_metrics.py)."""
    if not _connection:
        _connection.append(Connection(region=BaseMeta.region, max_retry_attempts=BaseMeta.max_retry_attempts))
    return _connection[0]


@dataclass
class BalanceItems:
    """The account's AR totals and reservation items as the batch read them (None: no
    such item yet; services/balance.py builds or backfills it then)."""

    totals_raw: dict | None
    reservations_raw: dict | None


@dataclass
class Context:
    user: User | None
    membership: Membership | None = None
    bill_to: Customer | None = None
    web_access: WebAccess | None = None
    dealer_codes: tuple[str, ...] = ()
    balance_items: BalanceItems | None = None
    cart: "Cart | None" = None  # the login's cart on the account (None: none saved yet)


def _key(model: type[Model], hash_value: str, range_value: str | None = None) -> dict:
    """A key in DynamoDB's form, named after the model's own key attributes."""
    key = {}
    for attribute in model.get_attributes().values():
        if attribute.is_hash_key:
            key[attribute.attr_name] = {"S": hash_value}
        elif attribute.is_range_key:
            if range_value is None:
                raise ValueError(f"{model.__name__} needs a range key value")
            key[attribute.attr_name] = {"S": range_value}
    return key


def _item(found: dict[type[Model], Model], model: type[_M]) -> _M | None:
    """The item read for `model`, typed as that model (None: no such item)."""
    item = found.get(model)
    return item if isinstance(item, model) else None


def load(user_id: str, account_pk: str | None) -> Context:
    """The user and, when the session works on an account (`company#customer`), its
    membership, bill-to, web access and dealer codes: one BatchGetItem (plus a retry of
    any keys DynamoDB leaves unprocessed)."""
    wanted: dict[type[Model], list[dict]] = {User: [_key(User, user_id)]}
    raw_models: tuple[type[Model], ...] = ()
    if account_pk:
        # Imported here: the request pipeline's import stays free of these model modules.
        from ..models import ArTotals, Cart, PaymentReservations

        wanted[Membership] = [_key(Membership, user_id, account_pk)]
        wanted[Customer] = [_key(Customer, account_pk, BILL_TO)]
        wanted[WebAccess] = [_key(WebAccess, account_pk)]
        wanted[DealerLink] = [_key(DealerLink, *dealer_codes_key(account_pk))]
        wanted[Cart] = [_key(Cart, account_pk, user_id)]  # keys.cart_keys: the account, the login
        raw_models = (ArTotals, PaymentReservations)
        for model in raw_models:
            wanted[model] = [_key(model, account_pk)]
    models = {model.Meta.table_name: model for model in wanted}
    request = {model.Meta.table_name: {"Keys": keys, "ConsistentRead": True} for model, keys in wanted.items()}
    found: dict[type[Model], Model] = {}
    raws: dict[type[Model], dict] = {}
    for _attempt in range(ATTEMPTS):
        if not request:
            break
        answer = _dynamodb().dispatch("BatchGetItem", {"RequestItems": request})
        for table, items in answer.get("Responses", {}).items():
            for raw in items:
                if models[table] in raw_models:
                    raws[models[table]] = raw
                else:
                    found[models[table]] = models[table].from_raw_data(raw)
        request = answer.get("UnprocessedKeys") or {}
    if request:
        # DynamoDB is shedding load: "try again" (503, chalicelib/faults.py), not a 500.
        raise faults.Unavailable()
    summary = _item(found, DealerLink)
    return Context(
        user=_item(found, User),
        membership=_item(found, Membership),
        bill_to=_item(found, Customer),
        web_access=_item(found, WebAccess),
        dealer_codes=tuple(sorted(summary.codes or ())) if summary else (),
        balance_items=BalanceItems(raws.get(raw_models[0]), raws.get(raw_models[1])) if raw_models else None,
        cart=_item(found, Cart) if account_pk else None,
    )
