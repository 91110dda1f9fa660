"""What every repository does the same way: conditional writes, transactions, batch writes.

The one place that reaches into PynamoDB's connection and error objects, so the rest of the
repositories (and nothing outside them) never does.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.connection.base import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

CONDITION_FAILED = "ConditionalCheckFailedException"
ITEM_CONDITION_FAILED = "ConditionalCheckFailed"  # a cancelled transaction's per-item reason
TRANSACTION_CANCELLED = "TransactionCanceledException"


def condition_failed(error: Exception) -> bool:
    """True when a PutItem/UpdateItem/DeleteItem was refused by its condition."""
    return isinstance(error, (PutError, UpdateError, DeleteError)) and error.cause_response_code == CONDITION_FAILED


def conditional(write: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """One conditional write, `write(*args, **kwargs)` (an item's save, update or delete, or
    a table's update_item): True when written, False when its condition refused it; any
    other error is raised."""
    try:
        write(*args, **kwargs)
    except (PutError, UpdateError, DeleteError) as error:
        if not condition_failed(error):
            raise
        return False
    return True


def cancel_reasons(error: TransactWriteError) -> list[str | None] | None:
    """The per-item reasons of a cancelled transaction (None for an item that passed), or
    None when the transaction failed for another reason."""
    if error.cause_response_code != TRANSACTION_CANCELLED:
        return None
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]


def transaction_refused(error: TransactWriteError, index: int | None = None) -> bool:
    """Whether item `index` of a cancelled transaction (any item: None) failed its condition."""
    reasons = cancel_reasons(error) or []
    if index is not None:
        reasons = reasons[index : index + 1]
    return ITEM_CONDITION_FAILED in reasons


def connection(model) -> Connection:
    """The low-level connection a `TransactWrite`/`TransactGet` of `model`'s table needs."""
    return model._get_connection().connection


def table(model):
    """The table connection of `model` (raw GetItem/UpdateItem/Query with projections)."""
    return model._get_connection()


def table_schema(model) -> dict[str, Any]:
    """Attribute definitions, key schema and indexes of `model`, as PynamoDB declares them
    (infra/resources.py derives the tables from it)."""
    return model._get_schema()


def key_names(model) -> tuple:
    """(hash key name, range key name or None) of `model`."""
    return model._hash_keyname, model._range_keyname


def batch_write(items: Iterable, action: str = "save") -> None:
    """Save or delete many items: one BatchWriteItem stream per table (25 items a call,
    unprocessed items retried by PynamoDB). Unconditional: use it where the last writer
    may win (new items, or items already checked by a conditional read)."""
    if action not in ("save", "delete"):
        raise ValueError(f"unknown batch action {action!r}")
    by_model: dict[Any, list] = defaultdict(list)  # model class -> its items
    for item in items:
        by_model[type(item)].append(item)
    for model, group in by_model.items():
        with model.batch_write() as batch:
            for item in group:
                getattr(batch, action)(item)
