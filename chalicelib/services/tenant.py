"""Which company a request is for, from its Host header (cached a minute)."""

import re
import threading
import time

from .. import config
from ..models import Company
from ..repositories import companies

CACHE_SECONDS = 60
# API Gateway's own host of a REST API: https://<api id>.execute-api.<region>.amazonaws.com
EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$")
_cache: dict[str, tuple[float, Company | None]] = {}  # host -> (good until, company)
_lock = threading.Lock()


def normalise_host(host: str | None) -> str:
    """`ABC.Localhost:8000` -> `abc.localhost` (port ignored, case-insensitive)."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if host else ""


def company_for_host(host: str | None, now: float | None = None) -> Company | None:
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


def is_execute_api_host(host: str | None) -> bool:
    return bool(EXECUTE_API_HOST.match(normalise_host(host)))


def is_platform_host(host: str | None) -> bool:
    """The platform's own host (no company's): PORTAL_PLATFORM_HOSTS, comma-separated, and
    API Gateway's execute-api host unless a company has it as one of its domains."""
    name = normalise_host(host)
    return bool(name) and (name in config.platform_hosts() or is_execute_api_host(name))


def forget() -> None:
    """Drop the cache (tests; after a company or domain changes in this Lambda)."""
    with _lock:
        _cache.clear()
