"""Feeds back to the ERP: items carrying `feed_company` (sparse `feed` indexes) until the
ERP acknowledges them."""

from datetime import datetime
from typing import Any

from ..models import PartsOrder, Payment, ServiceRequest
from . import paging
from .dynamo import conditional

# feed -> (model class with a `feed` index and `feed_company`/`feed_acked_at`, its range key)
FEED_MODELS: dict[str, tuple[Any, str]] = {
    "payments": (Payment, "payment_id"),
    "parts-orders": (PartsOrder, "order_id"),
    "service-requests": (ServiceRequest, "order_id"),
}


def unacknowledged(feed: str, company_id: str, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """Index `feed`: the company's unacknowledged items, oldest first; 1 Query a page."""
    model, range_name = FEED_MODELS[feed]
    start = paging.decode(
        cursor, hash_attr="feed_company", hash_value=company_id, allowed={"feed_company", "company_id", range_name}
    )
    result = model.feed.query(company_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, paging.encode(result.last_evaluated_key)


def acknowledge(feed: str, company_id: str, item_id: str, now: datetime) -> bool | None:
    """Take one item out of the feed.  True: acknowledged now or before; None: unknown id."""
    model, _ = FEED_MODELS[feed]
    if conditional(
        model(company_id, item_id).update,
        actions=[model.feed_company.remove(), model.feed_acked_at.set(now)],
        condition=model.feed_company == company_id,
    ):
        return True
    try:  # not in the feed: acknowledged earlier (a repeat is harmless), or unknown
        stored = model.get(company_id, item_id)
    except model.DoesNotExist:
        return None
    return True if stored.feed_acked_at is not None else None
