"""The one Jinja2 environment (pages and e-mails), autoescape on.

Templates live at the top level in `templates/`; the packaging step copies
them next to app.py inside the deployment zip, so the same path works locally
and in Lambda.
"""

import functools
import hashlib
import re
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from . import clock
from .colors import text_on

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PROJECT_DIR / "static"


@pass_context
def money_filter(context, cents) -> str:
    """`{{ cents | money }}` in the page's company currency.

    Pages pass `currency` (pages.page reads it once): a list page formats two
    amounts a row, and reading the model attribute per cell was a visible cost."""
    currency = context.get("currency")
    if currency is None:
        currency = getattr(context.get("company"), "currency", None) or "USD"
    return money(cents, currency)


def money(cents, currency: str = "USD") -> str:
    cents = int(cents or 0)  # integer arithmetic: exact, and cheap on 50-row pages
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}${units:,}.{rest:02d}" if currency == "USD" else f"{sign}{units:,}.{rest:02d} {currency}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def show_date(value) -> str:
    """ISO date (or date) → "Nov 20, 2026": unambiguous in every locale."""
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    # Our own month names, not strftime's "%b": a list page formats a date per row.
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def local_time(value, company) -> str:
    """A stored UTC time shown in the company's time zone."""
    if not value:
        return ""
    moment = value.astimezone(clock.zone(getattr(company, "time_zone", None)))
    return f"{show_date(moment.date())}, {moment:%I:%M %p %Z}".replace(" 0", " ")


@functools.cache
def static_url(name: str) -> str:
    """Content-hashed URL: a new file means a new URL, so it may be cached for a year."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/static/{digest}/{name}"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money_filter
    env.filters["text_on"] = text_on
    env.filters["date"] = show_date
    env.globals["local_time"] = local_time
    env.globals["static_url"] = static_url
    return env


# Root-relative URLs in the attributes a browser follows.  Autoescape turns a quote in
# any value into `&#34;`, so text a user typed can never form one of these.
_ROOT_RELATIVE_LINK = re.compile(r'(\s(?:href|src|action|formaction)=")/(?!/)', re.IGNORECASE)


def under_path_prefix(html: str, prefix: str) -> str:
    """`href="/orders"` -> `href="/api/orders"`: the links of a rendered page, moved under
    the path prefix its request arrived with (API Gateway's stage on its own URL; see
    chalicelib/web/middleware.py).  Templates and routes write links from the app's root."""
    if not prefix:
        return html
    return _ROOT_RELATIVE_LINK.sub(lambda match: f"{match.group(1)}{prefix}/", html)


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
