"""Key builders: every key begins with the company id (DESIGN §3)."""
from typing import Optional, Tuple

HIGH = "\uffff"  # sorts after any suffix (invoice number, entry id) in a sort key


def date_bounds(prefix: str, date_from: Optional[str], date_to: Optional[str]) -> Tuple[str, str]:
    """BETWEEN bounds of sort keys `<prefix><ISO date>#…` for a date range (open ends allowed)."""
    return (f"{prefix}{date_from or '0000-00-00'}",
            f"{prefix}{date_to or '9999-12-31'}#{HIGH}")


def account_pk(company_id: str, customer_no: str) -> str:
    return f"{company_id}#{customer_no}"


def invoice_pk(company_id: str, invoice_no: str) -> str:
    return f"{company_id}#{invoice_no}"


def dealer_pk(company_id: str, dealer_code: str) -> str:
    return f"{company_id}#{dealer_code}"


def email_login(email: str) -> str:
    return f"email#{email.strip().lower()}"


def name_login(company_id: str, user_name: str) -> str:
    return f"name#{company_id}#{user_name.strip().lower()}"
