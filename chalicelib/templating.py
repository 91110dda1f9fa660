"""The one Jinja2 environment (pages and e-mails), autoescape on.

Templates live at the top level in `templates/`; the packaging step copies
them next to app.py inside the deployment zip, so the same path works locally
and in Lambda.
"""
import functools
import hashlib
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .colors import text_on

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
STATIC_DIR = PROJECT_DIR / "static"


def money(cents, currency: str = "USD") -> str:
    amount = (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}" if currency == "USD" else f"{sign}{abs(amount):,.2f} {currency}"


@functools.lru_cache(maxsize=None)
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
    env.filters["money"] = money
    env.filters["text_on"] = text_on
    env.globals["static_url"] = static_url
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
