"""Query-string parsing for list pages: clear 400s for bad input."""

import re
from datetime import date

from chalice import BadRequestError

from ..repositories import invoices

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT = 60


class FieldError(BadRequestError):
    """Bad input in one field of a form: its page is shown again, the field marked (400)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def text(params, name: str, label=None):
    value = (params.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise FieldError(name, f"{label or name}: at most {MAX_TEXT} characters, please.")
    return value or None


def iso_date(params, name: str, label: str):
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise FieldError(name, f"{label}: use a date like 2026-11-23.") from None
    return value


def date_range(params, default_from=None, default_to=None):
    """The `from`/`to` dates of a search (defaults for empty fields), in order."""
    date_from = iso_date(params, "from", "From date") or default_from
    date_to = iso_date(params, "to", "To date") or default_to
    if date_from and date_to and date_from > date_to:
        raise FieldError("from", "The From date must be on or before the To date.")
    return date_from, date_to


def criteria(params) -> "invoices.Criteria":
    date_from, date_to = date_range(params)
    return invoices.Criteria(
        date_from=date_from,
        date_to=date_to,
        po=text(params, "po", "PO"),
        status=text(params, "status"),
        location=text(params, "location"),
        newest_first=params.get("sort", "newest") != "oldest",
    )


def query_string(params, **changes) -> str:
    """The current search with some values changed (pager links)."""
    from urllib.parse import urlencode

    merged = {k: v for k, v in dict(params, **changes).items() if v}
    return "?" + urlencode(merged) if merged else ""
