"""A customer account's portal settings and dealer links (menu inputs)."""
from typing import List, Optional

from ..models import Customer, DealerLink, WebAccess
from ..models.customer import BILL_TO
from .keys import account_pk


def get_web_access(company_id: str, customer_no: str) -> Optional[WebAccess]:
    try:
        return WebAccess.get(account_pk(company_id, customer_no))
    except WebAccess.DoesNotExist:
        return None


def linked_dealer_codes(company_id: str, customer_no: str) -> List[str]:
    pk = account_pk(company_id, customer_no)
    return [link.dealer_code for link in DealerLink.query(pk)]


def bill_to(company_id: str, customer_no: str) -> Optional[Customer]:
    try:
        return Customer.get(account_pk(company_id, customer_no), BILL_TO)
    except Customer.DoesNotExist:
        return None


def locations(company_id: str, customer_no: str) -> List[Customer]:
    """Table customers: pk = company#customer (every location of one customer)."""
    return list(Customer.query(account_pk(company_id, customer_no), limit=200))


def bill_tos(company_id: str, customer_nos: List[str]) -> dict:
    keys = [(account_pk(company_id, n), BILL_TO) for n in dict.fromkeys(customer_nos)][:100]
    return {c.customer_no: c for c in Customer.batch_get(keys)} if keys else {}
