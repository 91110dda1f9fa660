"""Dealer records of a company and their links to customer accounts."""

from collections.abc import Iterable

from pynamodb.transactions import TransactWrite

from ..models import Dealer, DealerLink
from . import paging
from .dynamo import connection
from .keys import account_pk, dealer_codes_key

ROWS = 50


def page_of_dealers(company_id: str, code_prefix: str, name_contains: str, cursor: str | None) -> paging.Page:
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed={"company_id", "dealer_code"})
    range_condition = Dealer.dealer_code.startswith(code_prefix.upper()) if code_prefix else None
    # Names are matched as typed and title-cased (DynamoDB "contains" is case-sensitive).
    name_filter = None
    if name_contains:
        name_filter = (
            Dealer.name.contains(name_contains)
            | Dealer.name.contains(name_contains.title())
            | Dealer.name.contains(name_contains.upper())
        )
    return paging.collect(
        lambda **page: Dealer.query(company_id, range_condition, filter_condition=name_filter, **page),
        Dealer.from_raw_data,
        want=ROWS,
        start=start,
    )


def get(company_id: str, dealer_code: str) -> Dealer | None:
    try:
        return Dealer.get(company_id, dealer_code)
    except Dealer.DoesNotExist:
        return None


def link(dealer: Dealer, customer_no: str) -> None:
    """Dealer record and link item together, so the OEM pages and the list agree."""
    numbers = sorted(set(dealer.linked_customer_nos or []) | {customer_no})
    with TransactWrite(connection=connection(Dealer)) as tx:
        tx.update(dealer, actions=[Dealer.linked_customer_nos.set(numbers)], condition=Dealer.dealer_code.exists())
        tx.save(DealerLink(account_pk(dealer.company_id, customer_no), dealer.dealer_code))
        tx.update(_codes_item(dealer.company_id, customer_no), actions=[DealerLink.codes.add({dealer.dealer_code})])
    dealer.linked_customer_nos = numbers


def unlink(dealer: Dealer, customer_no: str) -> None:
    numbers = [n for n in (dealer.linked_customer_nos or []) if n != customer_no]
    with TransactWrite(connection=connection(Dealer)) as tx:
        tx.update(dealer, actions=[Dealer.linked_customer_nos.set(numbers)], condition=Dealer.dealer_code.exists())
        tx.delete(DealerLink(account_pk(dealer.company_id, customer_no), dealer.dealer_code))
        tx.update(_codes_item(dealer.company_id, customer_no), actions=[DealerLink.codes.delete({dealer.dealer_code})])
    dealer.linked_customer_nos = numbers


def _codes_item(company_id: str, customer_no: str) -> DealerLink:
    return DealerLink(*dealer_codes_key(account_pk(company_id, customer_no)))


def change_account_codes(company_id: str, dealer_code: str, added: Iterable[str], removed: Iterable[str]) -> None:
    """The ERP changed which accounts a dealer record is linked to: move the code in each
    account's summary item (one UpdateItem per account whose links changed)."""
    for customer_no in added:
        _codes_item(company_id, customer_no).update(actions=[DealerLink.codes.add({dealer_code})])
    for customer_no in removed:
        _codes_item(company_id, customer_no).update(actions=[DealerLink.codes.delete({dealer_code})])
