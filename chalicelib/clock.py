"""Time in one place: stored UTC, shown in the company's zone."""

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str | None):
    """A company's time zone (a ZoneInfo); UTC when it is missing or not a zone name.
    zoneinfo is imported here: finding its data path imports sysconfig, which a cold
    start that shows no time need not pay."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
