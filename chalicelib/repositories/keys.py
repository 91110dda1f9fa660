"""Key builders: every key begins with the company id (DESIGN §3)."""


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
