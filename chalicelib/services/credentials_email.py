"""The company's credentials e-mail ("email format", EPASS): an administrator-edited
template rendered in Jinja2's SandboxedEnvironment with a fixed set of placeholders
(docs/erp-import.md).  Used by the admin API (auto-credentials on add invoice) and by Dealer
Administration ("Send credentials e-mail", the format editor).

    validate_format(text) -> None, or a sentence naming what is wrong (refuse the save)
    render(company, customer, user_name, password, link=None) -> (subject, text, html)
    send(company, to, customer, user_name, password, link=None, outbox=None) -> message id
"""

import functools
import re

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

PLACEHOLDERS = ("portal_url", "user_name", "password", "customer_name", "company_name")
MAX_LENGTH = 10_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DEFAULT_FORMAT = """Hello {{ customer_name }},

{{ company_name }} has opened an account for you on our customer portal, where you can see your orders, invoices and statements and pay your bill.

Portal: {{ portal_url }}
User name: {{ user_name }}
Password: {{ password }}

You will be asked to choose your own password when you first sign in."""

LINK_FORMAT = """Hello {{ customer_name }},

{{ company_name }} has opened an account for you on our customer portal, where you can see your orders, invoices and statements and pay your bill.

Portal: {{ portal_url }}
User name: {{ user_name }}

Choose your password with the link below."""


class CredentialsEmailError(Exception):
    """The e-mail could not be rendered or sent; the caller reports it."""


class _FormatSandbox(SandboxedEnvironment):
    """The sandbox, minus Jinja's globals (range, cycler…: only our placeholders exist) and
    minus huge repetitions (`"x" * 10**9`) that would exhaust memory."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("powers are not allowed in the e-mail format")
        if isinstance(left, (str, list)) or isinstance(right, (str, list)):
            count = right if isinstance(left, (str, list)) else left
            if not isinstance(count, int) or count > 100:
                raise SecurityError("repetition is limited in the e-mail format")
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=1)
def _sandbox() -> SandboxedEnvironment:
    # Plain text: no autoescape here; the HTML part escapes the rendered text.
    env = _FormatSandbox(autoescape=False, keep_trailing_newline=False)
    env.globals.clear()
    return env


ALLOWED = (
    "The e-mail format allows only {{ placeholder }} substitutions and {% if placeholder %}…{% else %}…{% endif %}"
)


def _tag(node) -> str:
    return {
        "For": "for",
        "Assign": "set",
        "AssignBlock": "set",
        "Macro": "macro",
        "CallBlock": "call",
        "FilterBlock": "filter",
        "With": "with",
        "Block": "block",
        "Include": "include",
        "Import": "import",
        "FromImport": "from",
        "Extends": "extends",
        "ExprStmt": "do",
        "Break": "break",
        "Continue": "continue",
    }.get(type(node).__name__, type(node).__name__.lower())


def _condition_ok(test) -> bool:
    if isinstance(test, nodes.Not):
        test = test.node
    return isinstance(test, nodes.Name) and test.name in PLACEHOLDERS


def _structure_error(body) -> str | None:
    """Only text, {{ placeholder }} and {% if placeholder %} blocks: no loops, filters,
    attribute access, calls or arithmetic, so a format renders in time linear in its length
    (four nested loops once took 21 s in one request)."""
    for node in body:
        if isinstance(node, nodes.Output):
            for part in node.nodes:
                if isinstance(part, nodes.TemplateData):
                    continue
                if isinstance(part, nodes.Name) and part.name in PLACEHOLDERS:
                    continue
                return (
                    f"{ALLOWED} (line {part.lineno}): filters (|), attribute access (.), "
                    "calls, arithmetic and literals are not allowed."
                )
        elif isinstance(node, nodes.If):
            for branch in [node, *node.elif_]:
                if not _condition_ok(branch.test):
                    return f"{ALLOWED} (line {branch.lineno}): an if tests one placeholder (or not one placeholder)."
                error = _structure_error(branch.body)
                if error:
                    return error
            error = _structure_error(node.else_)
            if error:
                return error
        else:
            return f"{ALLOWED} (line {node.lineno}): {{% {_tag(node)} %}} is not allowed."
    return None


def validate_format(text: str | None) -> str | None:
    """None when the format can be saved, else what is wrong (names the placeholder)."""
    if text is None:
        return None
    if len(text) > MAX_LENGTH:
        return f"The e-mail format is longer than {MAX_LENGTH:,} characters."
    try:
        tree = _sandbox().parse(text)
    except TemplateSyntaxError as syntax:
        return f"The e-mail format has a syntax error on line {syntax.lineno}: {syntax.message}"
    unknown = sorted(meta.find_undeclared_variables(tree) - set(PLACEHOLDERS))
    if unknown:
        allowed = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
        return f"Unknown placeholder {{{{ {unknown[0]} }}}} in the e-mail format; use only {allowed}."
    error = _structure_error(tree.body)
    if error:
        return error
    try:  # a trial render catches what the sandbox refuses (attribute tricks)
        _render_format(text, dict.fromkeys(PLACEHOLDERS, "x"))
    except CredentialsEmailError as refused:
        return str(refused)
    return None


def _render_format(text: str, values: dict) -> str:
    try:
        # A format stored before these rules existed is held to them too.
        error = _structure_error(_sandbox().parse(text).body)
        if error:
            raise CredentialsEmailError(f"The e-mail format cannot be rendered: {error}")
        return _sandbox().from_string(text).render(**values)
    except (SecurityError, TemplateError, TypeError, ValueError) as error:
        raise CredentialsEmailError(f"The e-mail format cannot be rendered: {error}") from error


def _name(customer) -> str:
    return customer if isinstance(customer, str) else (getattr(customer, "name", None) or "")


def render(company, customer, user_name: str, password: str | None, link: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html).  With `link` (set-password delivery) no password is shown."""
    from .. import email as mail
    from ..templating import render as render_template

    portal_url = mail.company_url(company, "/")
    fmt = company.credentials_email_format or (LINK_FORMAT if link else DEFAULT_FORMAT)
    body = _render_format(
        fmt,
        {
            "portal_url": portal_url,
            "user_name": user_name,
            "password": password or "(choose it with the link in this e-mail)",
            "customer_name": _name(customer),
            "company_name": company.name,
        },
    ).strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
    context = mail.context_for(company, body=body, paragraphs=paragraphs, link=link)
    subject = render_template("emails/credentials.subject.txt", **context).strip()
    text = render_template("emails/credentials.txt", **context)
    html = render_template("emails/credentials.html", **context)
    return subject, text, html


def primary_email(contacts) -> str | None:
    """The contact the ERP marks primary (if its address is valid), else the first valid one."""
    valid = [c for c in contacts if c.email and EMAIL.match(c.email.strip()) and not getattr(c, "email_bounced", False)]
    marked = [c for c in valid if getattr(c, "primary", False)]
    chosen = (marked or valid or [None])[0]
    return chosen.email.strip() if chosen else None


def send(company, to: str, customer, user_name: str, password: str | None, link: str | None = None, outbox=None) -> str:
    """Render and queue for sending (chalicelib/email.py); returns the queue's message id."""
    from .. import email as mail

    subject, text, html = render(company, customer, user_name, password, link)
    try:
        return mail.deliver(company, to, subject, text, html, outbox=outbox)
    except mail.EmailError as error:
        raise CredentialsEmailError(f"The e-mail could not be queued: {error}") from error
