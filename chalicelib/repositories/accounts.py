"""A customer account's portal settings and dealer links (menu inputs)."""

import json
from dataclasses import dataclass

from ..models import Customer, DealerLink, WebAccess
from ..models.customer import BILL_TO
from . import dynamo, paging, projections
from .keys import account_pk


def get_web_access(company_id: str, customer_no: str) -> WebAccess | None:
    try:
        return WebAccess.get(account_pk(company_id, customer_no))
    except WebAccess.DoesNotExist:
        return None


def linked_dealer_codes(company_id: str, customer_no: str) -> list[str]:
    pk = account_pk(company_id, customer_no)
    return [link.dealer_code for link in DealerLink.query(pk)]


def bill_to(company_id: str, customer_no: str) -> Customer | None:
    try:
        return Customer.get(account_pk(company_id, customer_no), BILL_TO)
    except Customer.DoesNotExist:
        return None


@dataclass(slots=True)
class Location:
    """A location as the list pages' Location filter shows it."""

    location_id: str
    location_name: str | None = None
    city: str | None = None

    @classmethod
    def from_raw(cls, raw: dict) -> "Location":
        return cls(**projections.read(raw, _LOCATION_FIELDS))


# How each field is read: as the model's Customer attribute of that name says.
_LOCATION_FIELDS = projections.fields_of(Customer.get_attributes(), Location.__dataclass_fields__)


def with_location_list(rows: list[Customer]) -> list[Customer]:
    """The location rows of one customer, written together (ERP push, seed): the bill-to
    row gets the list of them all (`Customer.location_list`)."""
    listed = [[row.location_id, row.location_name, row.city] for row in rows]
    for row in rows:
        if row.location_id == BILL_TO:
            row.location_list = json.dumps(listed, separators=(",", ":"))
    return rows


def listed_locations(bill_to: Customer | None) -> list[Location] | None:
    """The locations the bill-to row lists, or None when it lists none (written before
    the list existed: read them with `locations`)."""
    if bill_to is None or not bill_to.location_list:
        return None
    return [Location(*entry) for entry in json.loads(bill_to.location_list)]


def locations(company_id: str, customer_no: str) -> list[Location]:
    """Table customers: pk = company#customer (every location of one customer, ≤ 200).

    Read straight from DynamoDB's answer: a filter drop-down needs three fields,
    not whole Customer objects."""
    page = paging.collect(
        lambda **p: Customer.query(
            account_pk(company_id, customer_no), attributes_to_get=["pk", "location_id", "location_name", "city"], **p
        ),
        Location.from_raw,
        want=200,
        max_calls=1,
    )
    return page.items


def account_locations(company_id: str, customer_no: str, listed: list[Location] | None) -> list[Location]:
    """`listed` (the bill-to's own list, read with the request context) or, for a bill-to
    written before that list existed, one Query (`locations`)."""
    return listed if listed is not None else locations(company_id, customer_no)


def bill_tos(company_id: str, customer_nos: list[str]) -> dict:
    keys = [(account_pk(company_id, n), BILL_TO) for n in dict.fromkeys(customer_nos)][:100]
    return {c.customer_no: c for c in Customer.batch_get(keys)} if keys else {}


def names(company_id: str, customer_nos: list[str]) -> dict[str, str]:
    """customer_no -> bill-to name, up to 100 customers: one BatchGetItem (plus retries of
    unprocessed keys), read raw, for the OEM lists' Customer column."""
    keys = [
        {"pk": {"S": account_pk(company_id, n)}, "location_id": {"S": BILL_TO}} for n in dict.fromkeys(customer_nos)
    ][:100]
    table = dynamo.table(Customer)
    found: dict[str, str] = {}
    for _attempt in range(3):
        if not keys:
            break
        answer = table.batch_get_item(keys, attributes_to_get=["pk", "customer_no", "name"])
        for raw in answer.get("Responses", {}).get(table.table_name, []):
            found[raw["customer_no"]["S"]] = raw["name"]["S"]
        keys = answer.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
    return found
