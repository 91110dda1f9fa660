"""Append-only audit log per company."""
from typing import Optional

from ..ids import new_id
from ..models import AuditEvent


def record(company_id: str, action: str, actor: Optional[str] = None,
           source_ip: Optional[str] = None, **details) -> None:
    AuditEvent(company_id, new_id(), action=action, actor=actor,
               source_ip=source_ip, details={k: str(v) for k, v in details.items()}).save()
