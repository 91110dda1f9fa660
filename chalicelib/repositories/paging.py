"""Cursor paging with a fixed budget of DynamoDB calls.

A list page asks for up to `want` rows.  With a filter, DynamoDB may return
fewer rows per call than it reads, so we call again, never more than
`max_calls` times, and then say the page stopped early instead of silently
showing fewer rows.  Cursors are DynamoDB's LastEvaluatedKey, base64url JSON.
"""
import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

DEFAULT_ROWS = 50
DEFAULT_MAX_CALLS = 5


class BadCursor(ValueError):
    """A cursor we did not hand out (edited, truncated, or for another list)."""


@dataclass
class Page:
    items: List[Any] = field(default_factory=list)
    cursor: Optional[str] = None  # next page; None when the list is complete
    stopped_early: bool = False  # budget spent before `want` rows were found
    calls: int = 0


def encode(key: Optional[dict]) -> Optional[str]:
    """A cursor: base64url JSON of a start key (or of several, keyed by list)."""
    if not key:
        return None
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def load(cursor: str):
    """What `encode` wrote, or BadCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor("unreadable cursor") from error


def decode(cursor: Optional[str], *, hash_attr: str, hash_value: str,
           allowed: set) -> Optional[dict]:
    """The start key of a cursor, checked to belong to this list's partition."""
    if not cursor:
        return None
    key = load(cursor)
    if (not isinstance(key, dict) or set(key) - allowed or len(cursor) > 2048
            or key.get(hash_attr) != {"S": hash_value}
            or not all(isinstance(v, dict) and set(v) <= {"S", "N"} for v in key.values())):
        raise BadCursor("cursor for another list")
    return key


def collect(run_query: Callable[..., Any], convert: Callable[[dict], Any], *, want: int = DEFAULT_ROWS,
            max_calls: int = DEFAULT_MAX_CALLS, start: Optional[dict] = None) -> Page:
    """Call `run_query(page_size=…, last_evaluated_key=…)` page by page.

    Each call asks DynamoDB for at most the rows still missing, so the last
    evaluated key is always exactly where the next page must start.  `convert`
    turns one raw item into what the page shows (a model's `from_raw_data`).
    """
    page = Page()
    key = start
    while page.calls < max_calls:
        result = run_query(page_size=want - len(page.items), last_evaluated_key=key)
        raw = next(iter(result.page_iter), {})
        page.calls += 1
        page.items.extend(map(convert, raw.get("Items", [])))
        key = raw.get("LastEvaluatedKey")
        if not key or len(page.items) >= want:
            break
    page.cursor = encode(key)
    page.stopped_early = bool(key) and len(page.items) < want
    return page
