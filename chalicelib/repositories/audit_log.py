"""Reading the audit log of one company (newest first, filtered, paged)."""

from ..models import AuditEvent
from . import paging

ROWS = 50


def page_of_events(
    company_id: str, key_from: str, key_to: str, actor: str | None, action: str | None, cursor: str | None
) -> paging.Page:
    """Events whose time-sortable key lies in [key_from, key_to], newest first."""
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed={"company_id", "event_key"})
    condition = None
    for part in (AuditEvent.actor == actor if actor else None, AuditEvent.action == action if action else None):
        if part is not None:
            condition = part if condition is None else condition & part
    return paging.collect(
        lambda **page: AuditEvent.query(
            company_id,
            AuditEvent.event_key.between(key_from, key_to),
            filter_condition=condition,
            scan_index_forward=False,
            **page,
        ),
        AuditEvent.from_raw_data,
        want=ROWS,
        start=start,
    )
