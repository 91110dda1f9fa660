"""Append-only audit log per company."""

from contextvars import ContextVar

from ..ids import new_id
from ..models import AuditEvent

# The client IP of the web request being handled (set by chalicelib/web/middleware.py), so
# every event a request records carries it, even from services that are not given it
# (sign-out, password change, company switch...).  Never set outside a request.
request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


def record(company_id: str, action: str, actor: str | None = None, source_ip: str | None = None, **details) -> None:
    AuditEvent(
        company_id,
        new_id(),
        action=action,
        actor=actor,
        source_ip=source_ip or request_ip.get(),
        details={k: str(v) for k, v in details.items()},
    ).save()
