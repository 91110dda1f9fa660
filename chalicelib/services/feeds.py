"""Feeds of payments, parts orders and service requests back to the ERP.

At-least-once: an item stays in the feed (every reader sees it) until acknowledged; an
acknowledgement removes it with a conditional update, so it never comes back, and a
repeated acknowledgement is answered the same way."""

from .. import clock
from ..repositories import feeds
from ..repositories.paging import BadCursor

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def _money(cents) -> str:
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _time(value) -> str | None:
    return value.isoformat() if value else None


def _plain(value):
    return value.as_dict() if hasattr(value, "as_dict") else value


def payment_item(p) -> dict:
    return {
        "payment_id": p.payment_id,
        "customer_no": p.customer_no,
        "method": p.method,
        "status": p.status,
        "amount": _money(p.amount_cents),
        "allocations": {k: _money(v) for k, v in (_plain(p.allocations) or {}).items()},
        "masked_account": p.masked_account,
        "gateway_id": p.gateway_id,
        # a refund is its own row: negative amount, `refund_of` the sale's payment id
        "kind": getattr(p, "kind", None) or "payment",
        "refund_of": getattr(p, "refund_of", None),
        # a parts order's payment: no allocations; the order says what it bought
        "parts_order_id": getattr(p, "parts_order_id", None),
        "created_at": _time(p.created_at),
        "updated_at": _time(p.updated_at),
    }


def parts_order_item(o) -> dict:
    ship_to = _plain(o.ship_to) if o.ship_to else None
    return {
        "order_id": o.order_id,
        "customer_no": o.customer_no,
        "user_id": o.user_id,
        "po_number": o.po_number,
        "notes": o.notes,
        "lines": [
            {
                "part_no": line["part_no"],
                "description": line.get("description"),
                "quantity": int(line["quantity"]),
                "unit": line.get("unit"),
                "price": _money(line.get("price_cents")),
                "extension": _money(line.get("extension_cents")),
            }
            for line in (_plain(line) for line in (o.lines or []))
        ],
        "total": _money(o.total_cents),
        "ship_to": ship_to,
        "pickup_branch": o.pickup_branch,
        "payment": {"method": o.payment_method, "payment_id": o.payment_id},
        "created_at": _time(o.created_at),
        "placed_at": _time(o.placed_at),
    }


def service_request_item(s) -> dict:
    from .service_requests import feed_item  # photos are signed only when the feed is read

    return feed_item(s)


SHAPES = {"payments": payment_item, "parts-orders": parts_order_item, "service-requests": service_request_item}


class BadRequest(ValueError):
    pass


def page(feed: str, company_id: str, cursor: str | None, limit: str | None) -> dict:
    try:
        size = int(limit) if limit not in (None, "") else DEFAULT_LIMIT
    except ValueError as error:
        raise BadRequest("limit must be a whole number") from error
    if not 1 <= size <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    try:
        items, next_cursor = feeds.unacknowledged(feed, company_id, size, cursor or None)
    except BadCursor as error:
        raise BadRequest("cursor is not one this feed handed out") from error
    return {"items": [SHAPES[feed](item) for item in items], "next_cursor": next_cursor}


def acknowledge(feed: str, company_id: str, ids: list[str]) -> dict:
    now = clock.utcnow()
    acknowledged: list[str] = []
    unknown: list[str] = []
    for item_id in dict.fromkeys(ids):
        (acknowledged if feeds.acknowledge(feed, company_id, item_id, now) else unknown).append(item_id)
    return {"acknowledged": acknowledged, "unknown": unknown}
