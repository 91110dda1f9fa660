"""Which company a request is for, from its Host header (cached a minute)."""
import threading
import time
from typing import Optional

from .. import config
from ..models import Company
from ..repositories import companies

CACHE_SECONDS = 60
_cache = {}
_lock = threading.Lock()


def normalise_host(host: Optional[str]) -> str:
    """`ABC.Localhost:8000` -> `abc.localhost` (port ignored, case-insensitive)."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if host else ""


def company_for_host(host: Optional[str], now: Optional[float] = None) -> Optional[Company]:
    name = normalise_host(host)
    if not name:
        return None
    now = time.monotonic() if now is None else now
    with _lock:
        hit = _cache.get(name)
    if hit and hit[0] > now:
        return hit[1]
    company_id = companies.company_id_for_host(name)
    company = companies.get_company(company_id) if company_id else None
    if company is not None and not company.active:
        company = None
    with _lock:
        _cache[name] = (now + CACHE_SECONDS, company)
    return company


def is_platform_host(host: Optional[str]) -> bool:
    """The platform's own host (no company's): PORTAL_PLATFORM_HOSTS, comma-separated."""
    name = normalise_host(host)
    return bool(name) and name in config.platform_hosts()


def forget() -> None:
    """Drop the cache (tests; after a company or domain changes in this Lambda)."""
    with _lock:
        _cache.clear()
