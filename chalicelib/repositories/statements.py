"""Statements the ERP sent (table statements: customer_pk + statement_date)."""

from ..models import Statement
from .keys import account_pk

PAST_STATEMENTS = 24  # two years of monthly statements


def recent(company_id: str, customer_no: str, limit: int = PAST_STATEMENTS) -> list[Statement]:
    """customer_pk = C, newest first (1 Query)."""
    return list(Statement.query(account_pk(company_id, customer_no), scan_index_forward=False, limit=limit))


def get(company_id: str, customer_no: str, statement_date: str) -> Statement | None:
    try:
        return Statement.get(account_pk(company_id, customer_no), statement_date)
    except Statement.DoesNotExist:
        return None
