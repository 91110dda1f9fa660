"""Cookie names and attributes: `__Host-` prefix and Secure outside the local stage.

`prefix` is the path prefix the request arrived with (chalicelib/web/middleware.py):
"/api" on API Gateway's own URL, where the cookies are scoped to the stage's path.
A `__Host-` cookie must have `Path=/`, so there the name carries `__Secure-` instead.
"""

from http.cookies import SimpleCookie

from .. import config
from ..services import sessions


def _name(base: str, prefix: str) -> str:
    if config.is_local():
        return base
    return f"__Secure-{base}" if prefix else f"__Host-{base}"


def session_name(prefix: str = "") -> str:
    return _name("portal_session", prefix)


def csrf_name(prefix: str = "") -> str:
    return _name("portal_csrf", prefix)


def handoff_state_name(prefix: str = "") -> str:
    return _name("portal_handoff", prefix)


def read(headers, name: str) -> str | None:
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


def build(name: str, value: str, max_age: int, prefix: str = "") -> str:
    parts = [f"{name}={value}", f"Path={prefix or '/'}", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if not config.is_local():
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(value: str, prefix: str = "") -> str:
    return build(session_name(prefix), value, sessions.ABSOLUTE_SECONDS, prefix)


def clear_session_cookie(prefix: str = "") -> str:
    return build(session_name(prefix), "", 0, prefix)


def csrf_cookie(value: str, prefix: str = "") -> str:
    return build(csrf_name(prefix), value, 2 * 60 * 60, prefix)


def handoff_state_cookie(value: str, max_age: int, prefix: str = "") -> str:
    """The company hand-off's state: ties the code to the browser that started the switch."""
    return build(handoff_state_name(prefix), value, max_age, prefix)


def clear_handoff_state_cookie(prefix: str = "") -> str:
    return build(handoff_state_name(prefix), "", 0, prefix)


def pending_name(prefix: str = "") -> str:
    return _name("portal_pending", prefix)


def pending_cookie(value: str, prefix: str = "") -> str:
    """A sign-in waiting for its second factor (chalicelib/services/two_factor.py)."""
    from ..services.two_factor import PENDING_SECONDS

    return build(pending_name(prefix), value, PENDING_SECONDS, prefix)


def clear_pending_cookie(prefix: str = "") -> str:
    return build(pending_name(prefix), "", 0, prefix)


def device_name(prefix: str = "") -> str:
    return _name("portal_device", prefix)


def device_cookie(value: str, prefix: str = "") -> str:
    """ "Remember this device": the secret of a server-side, revocable device record."""
    from ..services.two_factor import DEVICE_SECONDS

    return build(device_name(prefix), value, DEVICE_SECONDS, prefix)


def clear_device_cookie(prefix: str = "") -> str:
    return build(device_name(prefix), "", 0, prefix)


def browser_name(prefix: str = "") -> str:
    return _name("portal_browser", prefix)


def browser_cookie(value: str, prefix: str = "") -> str:
    """This browser's random id (new-device e-mail, chalicelib/services/security_notices.py),
    kept as long as browsers keep a cookie (400 days)."""
    return build(browser_name(prefix), value, 400 * 24 * 60 * 60, prefix)
