"""Cursor paging with a fixed budget of DynamoDB calls.

A list page asks for up to `want` rows.  With a filter, DynamoDB may return
fewer rows per call than it reads, so we call again, never more than
`max_calls` times, and then say the page stopped early instead of silently
showing fewer rows.  Cursors are DynamoDB's LastEvaluatedKey, base64url JSON.
"""

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ROWS = 50
DEFAULT_MAX_CALLS = 5
FILTERED_READ = 200  # most items a filtered list reads per call (DynamoDB's Limit)


class BadCursor(ValueError):
    """A cursor we did not hand out (edited, truncated, or for another list)."""


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)
    cursor: str | None = None  # next page; None when the list is complete
    stopped_early: bool = False  # budget spent before `want` rows were found
    calls: int = 0


def encode(key: dict | None) -> str | None:
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


def decode(cursor: str | None, *, hash_attr: str, hash_value: str, allowed: set) -> dict | None:
    """The start key of a cursor, checked to belong to this list's partition."""
    if not cursor:
        return None
    key = load(cursor)
    if (
        not isinstance(key, dict)
        or set(key) - allowed
        or len(cursor) > 2048
        or key.get(hash_attr) != {"S": hash_value}
        or not all(isinstance(v, dict) and set(v) <= {"S", "N"} for v in key.values())
    ):
        raise BadCursor("cursor for another list")
    return key


def collect(
    run_query: Callable[..., Any],
    convert: Callable[[dict], Any],
    *,
    want: int = DEFAULT_ROWS,
    max_calls: int = DEFAULT_MAX_CALLS,
    start: dict | None = None,
    key_of: Callable[[dict], dict] | None = None,
) -> Page:
    """Call `run_query(page_size=…, last_evaluated_key=…)` page by page.

    Each call asks DynamoDB for the rows still missing, so without a filter the
    last evaluated key is exactly where the next page must start.  With a filter that
    reads too little (a quarter matching: five calls for 38 rows).  So a
    filtered list passes `key_of(raw item) -> its table and index key`: after the
    first call, each call reads as many items as the match rate so far says the
    missing rows need (at most FILTERED_READ), and when more match than the page
    shows, the page ends at the last row kept and the cursor is that row's key.
    `convert` turns one raw item into a page row.
    """
    page = Page()
    key = start
    read = matched = 0
    while page.calls < max_calls:
        missing = want - len(page.items)
        limit = missing
        if key_of is not None and read:
            limit = (
                FILTERED_READ
                if not matched
                else min(FILTERED_READ, max(missing, math.ceil(missing * read * 1.25 / matched)))
            )
        result = run_query(page_size=limit, last_evaluated_key=key)
        raw: dict = next(iter(result.page_iter), {})
        page.calls += 1
        items = raw.get("Items", [])
        read += raw.get("ScannedCount", len(items))
        matched += len(items)
        key = raw.get("LastEvaluatedKey")
        if len(items) > missing and key_of is not None:  # read ahead: more matches than shown
            items = items[:missing]
            key = key_of(items[-1])
        page.items.extend(map(convert, items))
        if not key or len(page.items) >= want:
            break
    page.cursor = encode(key)
    page.stopped_early = bool(key) and len(page.items) < want
    return page


def raw_pages(run_query: Callable[..., Any], page_size: int, max_calls: int) -> Iterator[tuple[list[dict], bool]]:
    """(raw items, whether it is the last page) of `run_query(page_size=…, last_evaluated_key=…)`,
    page by page, at most `max_calls` pages: for a reader that decides itself when it has read
    enough (it stops iterating)."""
    key = None
    for _call in range(max_calls):
        raw: dict = next(iter(run_query(page_size=page_size, last_evaluated_key=key).page_iter), {})
        key = raw.get("LastEvaluatedKey")
        yield raw.get("Items", []), not key
        if not key:
            return
