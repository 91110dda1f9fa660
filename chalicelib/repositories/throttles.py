"""Failed sign-in counters: atomic adds on DynamoDB items with a TTL."""

from ..models import Throttle
from .dynamo import conditional


def get_many(keys: list[str]) -> dict[str, Throttle]:
    return {t.key: t for t in Throttle.batch_get(keys)}


def add_failure(key: str, now: int, window: int, keep_for: int) -> Throttle:
    """Count one failure inside the current window, or start a new window."""
    item = Throttle(key)
    if not conditional(item.update, actions=[Throttle.failures.add(1)], condition=Throttle.window_ends > now):
        # No item, or its window has passed: start counting again at 1.
        item = Throttle(key, failures=1, window_ends=now + window, locked_until=0, expires=now + keep_for)
        item.save()
    return item


def lock(key: str, until: int) -> None:
    Throttle(key).update(actions=[Throttle.locked_until.set(until), Throttle.expires.set(until + 60)])


def clear(key: str) -> None:
    Throttle(key).delete()
