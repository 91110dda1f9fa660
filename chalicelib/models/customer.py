"""ERP master data about a company's customers."""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name


class CustomerNameIndex(GlobalSecondaryIndex):
    """Admin retrieve: company's customers ordered by lower-cased name (prefix)."""

    class Meta:
        index_name = "by_name"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)  # lower(name)#customer_no#location


# DynamoDB keys cannot be empty: the bill-to address is this location id.
BILL_TO = "MAIN"


# Portal status of a customer account, as the admin list shows it.
PORTAL_STATUSES = {
    "not_invited": "Not invited",
    "invited": "Invited",
    "activated": "Activated",
    "confirmed": "E-mail confirmed",
    "inactive": "Inactive",
}


class Customer(PortalModel):
    """One row per customer location (`location_id` BILL_TO is the bill-to).

    Each row also carries a denormalised summary of the account's portal state
    (contact e-mails, portal status, last invited, bounced) and lower-cased
    copies of its text columns: the admin list filters 50,000 customers with
    FilterExpressions on the `by_name` index alone, never joining other tables
    (repositories/admin_customers.py keeps the summary current).
    """

    class Meta(BaseMeta):
        table_name = table_name("customers")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    location_id = UnicodeAttribute(range_key=True)
    company_id = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    location_name = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    erp_active = BooleanAttribute(default=True)
    price_level = UnicodeAttribute(null=True)  # parts price level; none = "list"
    charge_to_account = BooleanAttribute(default=False)  # ERP: may charge parts orders
    terms_days = NumberAttribute(default=30)  # due date when the ERP gives none
    erp_updated_at = UTCDateTimeAttribute(null=True)
    # Admin-list summary of the account (same on every location row).
    contact_emails = NumberAttribute(default=0)
    portal_status = UnicodeAttribute(default="not_invited")  # a PORTAL_STATUSES key
    last_invited_at = UTCDateTimeAttribute(null=True)
    email_bounced = BooleanAttribute(default=False)
    # A login of the account confirmed its e-mail (RIMSS shows it apart from activation).
    email_confirmed = BooleanAttribute(null=True)
    # Lower-cased copies for case-insensitive "contains" filters (derived on write).
    number_lc = UnicodeAttribute(null=True)
    name_lc = UnicodeAttribute(null=True)
    location_lc = UnicodeAttribute(null=True)
    city_lc = UnicodeAttribute(null=True)  # "city, st"
    # Bill-to row only: JSON [[location_id, location_name, city], ...] of every location,
    # written with the rows (repositories/accounts.py `with_location_list`), so the list
    # pages' Location filter comes with the request context instead of a Query.
    location_list = UnicodeAttribute(null=True)
    by_name = CustomerNameIndex()

    def city_state(self) -> str:
        return ", ".join(part for part in (self.city, self.state) if part)

    def serialize(self, null_check: bool = True):
        # Every write path (save, batch_write, transactions) serialises: derive here
        # so ERP pushes cannot forget the filter copies.
        self.number_lc = (self.customer_no or "").lower()
        self.name_lc = (self.name or "").lower()
        self.location_lc = " ".join(filter(None, [self.location_id, self.location_name])).lower()
        self.city_lc = self.city_state().lower()
        return super().serialize(null_check=null_check)


class WebAccess(PortalModel):
    """Portal-side settings of a customer account (EPASS "web tab")."""

    class Meta(BaseMeta):
        table_name = table_name("web-access")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    access_type = UnicodeAttribute(default="Retail")  # Retail | Dealer
    search_all = BooleanAttribute(default=False)
    pages: MapAttribute[str, Any] = MapAttribute(default=dict)  # page key -> False to hide for this customer
    user_name = UnicodeAttribute(null=True)
    login_user_id = UnicodeAttribute(null=True)  # the user the user name signs in as
    portal_active = BooleanAttribute(default=True)
    updated_at = UTCDateTimeAttribute(null=True)


class ContactsByEmail(GlobalSecondaryIndex):
    """SES bounce/complaint -> every contact with that address (no scan)."""

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_key = UnicodeAttribute(hash_key=True)  # lower-cased address
    pk = UnicodeAttribute(range_key=True)


class Contact(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("contacts")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    contact_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)  # lower(email), derived on write (sparse index)
    phone = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    primary = BooleanAttribute(default=False)  # the ERP's primary contact (credentials e-mail)
    email_bounced = BooleanAttribute(default=False)
    bounce_reason = UnicodeAttribute(null=True)  # "bounce: Permanent/General", "complaint"
    bounced_at = UTCDateTimeAttribute(null=True)
    erp_updated_at = UTCDateTimeAttribute(null=True)
    by_email = ContactsByEmail()

    def serialize(self, null_check: bool = True):
        self.email_key = (self.email or "").strip().lower() or None
        return super().serialize(null_check=null_check)


class Dealer(PortalModel):
    """A dealer record; it may be linked to several customer accounts (DealerLink)."""

    class Meta(BaseMeta):
        table_name = table_name("dealers")

    company_id = UnicodeAttribute(hash_key=True)
    dealer_code = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    linked_customer_nos: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # the stub wants of=str
    erp_updated_at = UTCDateTimeAttribute(null=True)


class DealerLink(PortalModel):
    """One customer account linked to one dealer record: the OEM pages' dealer codes.

    Each linked account also has one summary item (keys.dealer_codes_key) whose `codes`
    set holds all its dealer codes, kept by the same writes as the links (set ADD and
    DELETE, so concurrent changes never lose one): the request context reads it in its
    one BatchGetItem instead of querying the links on every page.
    """

    class Meta(BaseMeta):
        table_name = table_name("dealer-links")

    linked_pk = UnicodeAttribute(hash_key=True)  # company#customer_no (summary: …#dealer-codes)
    dealer_code = UnicodeAttribute(range_key=True)
    codes = UnicodeSetAttribute(null=True)  # summary item only


class Equipment(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("equipment")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    serial_no = UnicodeAttribute(range_key=True)
    make = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)
    purchased_on = UnicodeAttribute(null=True)  # ISO date
    installed_on = UnicodeAttribute(null=True)
    warranty_ends_on = UnicodeAttribute(null=True)
    invoice_nos: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # the stub wants of=str
    erp_updated_at = UTCDateTimeAttribute(null=True)
