"""The app's own route table, read from the Chalice app: which paths it serves."""

import functools
import re
from re import Pattern

# Answered elsewhere than as pages of a company host: the admin API (JSON, bearer token),
# content-hashed assets, and the catch-all 404s (chalicelib/web/fallback_routes.py).
NOT_PAGES = ("/api/", "/static/")
FALLBACK_VIEW = "not_found_"


def is_fallback(entry) -> bool:
    return entry.view_name.startswith(FALLBACK_VIEW)


def routes(app) -> list[tuple[str, str, object]]:
    """(path, method, route entry) of every registered route but the catch-alls."""
    return [
        (path, method, entry)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if not is_fallback(entry)
    ]


def _pattern(path: str) -> Pattern:
    parts = [re.escape(part) if not part.startswith("{") else "[^/]+" for part in path.split("/")]
    return re.compile("^" + "/".join(parts) + "$")


@functools.lru_cache(maxsize=4)
def _page_patterns(app) -> tuple[Pattern, ...]:
    return tuple(
        _pattern(path) for path, method, _ in routes(app) if method == "GET" and not path.startswith(NOT_PAGES)
    )


def is_page(app, path: str) -> bool:
    """True if `path` (no query) is one the app answers GET for as a page."""
    return any(pattern.match(path) for pattern in _page_patterns(app))
