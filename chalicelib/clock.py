"""Time in one place: stored UTC, shown in the company's zone."""
import time
from datetime import datetime, timezone


def now() -> float:
    return time.time()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
