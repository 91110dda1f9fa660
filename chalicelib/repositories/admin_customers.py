"""The admin customer list: the company's customer locations by name, filtered
server-side, and the denormalised portal summary each row carries.

Why a summary on the Customer rows: the list must filter 50,000 customers by
portal status, bounced e-mail and contact count.  Joining Membership, Contact
and User items per row would cost one or more reads per customer; instead each
Customer row carries the account's summary, kept current by `refresh_summary`
whenever an invitation, activation, inactivation, bounce or contact change
happens, and the list is one Query on the `by_name` index with a
FilterExpression, paged by cursor with a bounded budget of calls.
"""

from dataclasses import dataclass

from pynamodb.expressions.update import Action

from ..models import Contact, Customer, Membership, User
from . import paging
from .keys import account_pk

ROWS = 100
MAX_CALLS = 10  # at most 10 × 100 items read per request, whatever the filters
CURSOR_KEYS = {"company_id", "name_key", "pk", "location_id"}
# The columns the list shows (and the keys): turning unused attributes (addresses,
# ERP times, filter copies) into objects for 100 rows is wasted work.
LIST_ATTRIBUTES = [
    "pk",
    "location_id",
    "company_id",
    "customer_no",
    "name",
    "name_key",
    "location_name",
    "city",
    "state",
    "erp_active",
    "contact_emails",
    "portal_status",
    "last_invited_at",
    "email_bounced",
    "email_confirmed",
]


@dataclass
class Filters:
    """Post-retrieve filters (all optional); text is matched case-insensitively."""

    number: str = ""
    name: str = ""
    location: str = ""
    city: str = ""
    erp_active: str = ""  # "" | "yes" | "no"
    status: str = ""  # "" | "active" | a PORTAL_STATUSES key
    confirmed: str = ""  # "" | "yes" | "no": a login of the account confirmed its e-mail
    bounced: str = ""  # "" | "yes" | "no"

    def condition(self):
        parts = []
        for value, attribute in (
            (self.number, Customer.number_lc),
            (self.name, Customer.name_lc),
            (self.location, Customer.location_lc),
            (self.city, Customer.city_lc),
        ):
            if value:
                parts.append(attribute.contains(value.lower()))
        if self.erp_active:
            parts.append(Customer.erp_active == (self.erp_active == "yes"))
        if self.status == "active":  # activated, whether or not the e-mail is confirmed
            parts.append(Customer.portal_status.is_in("activated", "confirmed"))
        elif self.status:
            parts.append(Customer.portal_status == self.status)
        if self.bounced:
            parts.append(Customer.email_bounced == (self.bounced == "yes"))
        if self.confirmed == "yes":
            parts.append(Customer.email_confirmed == True)  # noqa: E712 (a condition)
        elif self.confirmed == "no":
            parts.append(Customer.email_confirmed.does_not_exist() | (Customer.email_confirmed == False))  # noqa: E712
        condition = None
        for part in parts:
            condition = part if condition is None else condition & part
        return condition


def retrieve(
    company_id: str,
    name_prefix: str,
    filters: Filters,
    cursor: str | None,
    want: int = ROWS,
    max_calls: int = MAX_CALLS,
) -> paging.Page:
    """One page of customer locations whose name starts with `name_prefix`."""
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed=CURSOR_KEYS)
    prefix = (name_prefix or "").strip().lower()
    range_condition = Customer.name_key.startswith(prefix) if prefix else None
    return paging.collect(
        lambda **page: Customer.by_name.query(
            company_id, range_condition, filter_condition=filters.condition(), attributes_to_get=LIST_ATTRIBUTES, **page
        ),
        Customer.from_raw_data,
        want=want,
        max_calls=max_calls,
        start=start,
    )


def contacts(company_id: str, customer_no: str) -> list[Contact]:
    return list(Contact.query(account_pk(company_id, customer_no), limit=200))


def account_memberships(company_id: str, customer_no: str) -> list[Membership]:
    """Every membership of one account (index keys, then one batch read)."""
    pk = account_pk(company_id, customer_no)
    keys = [(m.user_id, pk) for m in Membership.by_account.query(pk, limit=100)]
    return list(Membership.batch_get(keys)) if keys else []


def users_by_id(user_ids) -> dict:
    ids = list(dict.fromkeys(user_ids))[:100]
    return {u.user_id: u for u in User.batch_get(ids)} if ids else {}


def portal_status(memberships: list[Membership], users: dict) -> str:
    """not_invited / invited / activated / confirmed / inactive, for one account."""
    active = [m for m in memberships if m.status == "active"]
    if active:
        confirmed = any(users.get(m.user_id) and users[m.user_id].email_confirmed_at for m in active)
        return "confirmed" if confirmed else "activated"
    if any(m.status == "invited" for m in memberships):
        return "invited"
    if any(m.status == "inactive" for m in memberships):
        return "inactive"
    return "not_invited"


def refresh_summary(company_id: str, customer_no: str) -> dict:
    """Recompute the account's admin-list summary and write it on every location row.

    A handful of reads for one account; called after anything that changes it.
    """
    memberships = account_memberships(company_id, customer_no)
    users = users_by_id(m.user_id for m in memberships)
    found = contacts(company_id, customer_no)
    invited = [m.last_invited_at for m in memberships if m.last_invited_at]
    contact_emails = sum(1 for c in found if (c.email or "").strip())
    status = portal_status(memberships, users)
    last_invited_at = max(invited) if invited else None
    email_bounced = any(c.email_bounced for c in found)
    email_confirmed = any(bool(users.get(m.user_id) and users[m.user_id].email_confirmed_at) for m in memberships)
    summary = {
        "contact_emails": contact_emails,
        "portal_status": status,
        "last_invited_at": last_invited_at,
        "email_bounced": email_bounced,
        "email_confirmed": email_confirmed,
    }
    for row in Customer.query(account_pk(company_id, customer_no), limit=200):
        actions: list[Action] = [
            Customer.contact_emails.set(contact_emails),
            Customer.portal_status.set(status),
            Customer.email_bounced.set(email_bounced),
            Customer.email_confirmed.set(email_confirmed),
            (Customer.last_invited_at.set(last_invited_at) if last_invited_at else Customer.last_invited_at.remove()),
        ]
        row.update(actions=actions, condition=Customer.pk.exists())
    return summary


def find_customers(company_id: str, text: str, limit: int = 20) -> list[Customer]:
    """Bill-to rows by customer number (exact) or name prefix: the dealer-link search."""
    text = (text or "").strip()
    if not text:
        return []
    found = {}
    try:
        exact = Customer.get(account_pk(company_id, text.upper()), "MAIN")
        found[exact.customer_no] = exact
    except Customer.DoesNotExist:
        pass
    for row in Customer.by_name.query(
        company_id, Customer.name_key.startswith(text.lower()), limit=limit * 2, page_size=limit * 2
    ):
        if row.location_id == "MAIN":
            found.setdefault(row.customer_no, row)
        if len(found) >= limit:
            break
    return list(found.values())
