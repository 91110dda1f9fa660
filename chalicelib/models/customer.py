"""ERP master data about a company's customers."""
from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute,
                                 NumberAttribute, UnicodeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

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


class Customer(PortalModel):
    """One row per customer location (`location_id` BILL_TO is the bill-to)."""

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
    price_level = UnicodeAttribute(null=True)
    terms_days = NumberAttribute(default=30)  # due date when the ERP gives none
    erp_updated_at = UTCDateTimeAttribute(null=True)
    by_name = CustomerNameIndex()


class WebAccess(PortalModel):
    """Portal-side settings of a customer account (EPASS "web tab")."""

    class Meta(BaseMeta):
        table_name = table_name("web-access")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    access_type = UnicodeAttribute(default="Retail")  # Retail | Dealer
    search_all = BooleanAttribute(default=False)
    pages = MapAttribute(default=dict)  # page key -> False to hide for this customer
    user_name = UnicodeAttribute(null=True)
    portal_active = BooleanAttribute(default=True)
    updated_at = UTCDateTimeAttribute(null=True)


class Contact(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("contacts")

    pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    contact_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    primary = BooleanAttribute(default=False)  # the ERP's primary contact (credentials e-mail)
    email_bounced = BooleanAttribute(default=False)
    erp_updated_at = UTCDateTimeAttribute(null=True)


class Dealer(PortalModel):
    """A dealer record; it may be linked to several customer accounts (DealerLink)."""

    class Meta(BaseMeta):
        table_name = table_name("dealers")

    company_id = UnicodeAttribute(hash_key=True)
    dealer_code = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    linked_customer_nos = ListAttribute(of=UnicodeAttribute, default=list)
    erp_updated_at = UTCDateTimeAttribute(null=True)


class DealerLink(PortalModel):
    """One customer account linked to one dealer record: the OEM pages' dealer codes."""

    class Meta(BaseMeta):
        table_name = table_name("dealer-links")

    linked_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    dealer_code = UnicodeAttribute(range_key=True)


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
    invoice_nos = ListAttribute(of=UnicodeAttribute, default=list)
    erp_updated_at = UTCDateTimeAttribute(null=True)
