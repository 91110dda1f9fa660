"""Time in one place: stored UTC, shown in the company's zone."""
import time
from datetime import datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> float:
    return time.time()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def zone(name: Optional[str]) -> ZoneInfo:
    """A company's time zone; UTC when it is missing or not a zone name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
