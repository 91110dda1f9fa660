"""Cookie names and attributes: `__Host-` prefix and Secure outside the local stage."""
from http.cookies import SimpleCookie
from typing import Optional

from .. import config
from ..services.sessions import ABSOLUTE_SECONDS


def _name(base: str) -> str:
    return base if config.is_local() else f"__Host-{base}"


def session_name() -> str:
    return _name("portal_session")


def csrf_name() -> str:
    return _name("portal_csrf")


def handoff_state_name() -> str:
    return _name("portal_handoff")


def read(headers, name: str) -> Optional[str]:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is treated as no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def build(name: str, value: str, max_age: int) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if not config.is_local():
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(value: str) -> str:
    return build(session_name(), value, ABSOLUTE_SECONDS)


def clear_session_cookie() -> str:
    return build(session_name(), "", 0)


def csrf_cookie(value: str) -> str:
    return build(csrf_name(), value, 2 * 60 * 60)


def handoff_state_cookie(value: str, max_age: int) -> str:
    """The company hand-off's state: ties the code to the browser that started the switch."""
    return build(handoff_state_name(), value, max_age)


def clear_handoff_state_cookie() -> str:
    return build(handoff_state_name(), "", 0)
