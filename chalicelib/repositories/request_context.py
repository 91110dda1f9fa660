"""Everything a signed-in request needs about its user, in one BatchGetItem.

After the session (its own GetItem), a page needs the user (active? must change its
password?), the membership of the account in use (still active? an administrator's
inactivation ends access at the next request), the account's bill-to (name, terms),
its web access (access type, hidden pages, search-all) and its dealer codes (the
summary item of models/customer.py `DealerLink`).  They live in five tables under
keys the session already names, so one BatchGetItem reads them all, consistently:
a change made by an administrator or the ERP is seen by the very next request.
"""

from dataclasses import dataclass
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.models import Model

from .. import faults
from ..models import Customer, DealerLink, Membership, User, WebAccess
from ..models.base import BaseMeta
from ..models.customer import BILL_TO
from .keys import dealer_codes_key

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
class Context:
    user: User | None
    membership: Membership | None = None
    bill_to: Customer | None = None
    web_access: WebAccess | None = None
    dealer_codes: tuple[str, ...] = ()


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
    if account_pk:
        wanted[Membership] = [_key(Membership, user_id, account_pk)]
        wanted[Customer] = [_key(Customer, account_pk, BILL_TO)]
        wanted[WebAccess] = [_key(WebAccess, account_pk)]
        wanted[DealerLink] = [_key(DealerLink, *dealer_codes_key(account_pk))]
    models = {model.Meta.table_name: model for model in wanted}
    request = {model.Meta.table_name: {"Keys": keys, "ConsistentRead": True} for model, keys in wanted.items()}
    found: dict[type[Model], Model] = {}
    for _attempt in range(ATTEMPTS):
        if not request:
            break
        answer = _dynamodb().dispatch("BatchGetItem", {"RequestItems": request})
        for table, items in answer.get("Responses", {}).items():
            for raw in items:
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
    )
