"""Cookie names and attributes: `__Host-` prefix and Secure outside the local stage.

`prefix` is the path prefix the request arrived with (chalicelib/web/middleware.py):
"/api" on API Gateway's own URL, where the cookies are scoped to the stage's path.
A `__Host-` cookie must have `Path=/`, so there the name carries `__Secure-` instead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie

from .. import config
from ..services import sessions


def _name(base: str, prefix: str) -> str:
    if config.is_local():
        return base
    return f"__Secure-{base}" if prefix else f"__Host-{base}"


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


@dataclass(frozen=True)
class CookieKind:
    """One cookie of the portal: its name and lifetime; every one gets `build`'s attributes.
    `lifetime` is a function so that a service's constant is read (and its module imported)
    only when that cookie is set, not at `import app`."""

    base: str
    lifetime: Callable[[], int]

    def name(self, prefix: str = "") -> str:
        return _name(self.base, prefix)

    def set(self, value: str, prefix: str = "") -> str:
        return build(self.name(prefix), value, self.lifetime(), prefix)

    def clear(self, prefix: str = "") -> str:
        return build(self.name(prefix), "", 0, prefix)

    def read(self, headers, prefix: str = "") -> str | None:
        return read(headers, self.name(prefix))


def _two_factor_seconds(name: str) -> Callable[[], int]:
    def lifetime() -> int:
        from ..services import two_factor

        return int(getattr(two_factor, name))

    return lifetime


def _handoff_state_seconds() -> int:
    from ..services import handoff

    return handoff.STATE_SECONDS


SESSION = CookieKind("portal_session", lambda: sessions.ABSOLUTE_SECONDS)
CSRF = CookieKind("portal_csrf", lambda: 2 * 60 * 60)
# The company hand-off's state: ties the code to the browser that started the switch.
HANDOFF_STATE = CookieKind("portal_handoff", _handoff_state_seconds)
# A sign-in waiting for its second factor (chalicelib/services/two_factor.py).
PENDING = CookieKind("portal_pending", _two_factor_seconds("PENDING_SECONDS"))
# "Remember this device": the secret of a server-side, revocable device record.
DEVICE = CookieKind("portal_device", _two_factor_seconds("DEVICE_SECONDS"))
# This browser's random id (new-device e-mail, chalicelib/services/security_notices.py), kept
# as long as browsers keep a cookie (400 days).
BROWSER = CookieKind("portal_browser", lambda: 400 * 24 * 60 * 60)

# The names the routes and the middleware use.
session_name, session_cookie, clear_session_cookie = SESSION.name, SESSION.set, SESSION.clear
csrf_name, csrf_cookie = CSRF.name, CSRF.set
handoff_state_name, handoff_state_cookie = HANDOFF_STATE.name, HANDOFF_STATE.set
clear_handoff_state_cookie = HANDOFF_STATE.clear
pending_name, pending_cookie, clear_pending_cookie = PENDING.name, PENDING.set, PENDING.clear
device_name, device_cookie, clear_device_cookie = DEVICE.name, DEVICE.set, DEVICE.clear
browser_name, browser_cookie = BROWSER.name, BROWSER.set
