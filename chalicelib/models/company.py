"""The tenant (a dealership) and the host names it answers on."""

from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name

# Menu defaults for a new company (from the EPASS document): current
# orders and history on; parts-distributor features off.
DEFAULT_PAGES = {
    "orders": True,
    "history": True,
    "account": True,
    "account_history": True,
    "purchases": True,
    "equipment": True,
    "statements": True,
    "payments": True,
    "service": True,
    "dealer_orders": True,
    "dealer_history": True,
    "parts": False,
    "open_parts": False,
    "search_all": False,
}


class Theme(MapAttribute):
    primary_color = UnicodeAttribute(default="#1f4e79")
    accent_color = UnicodeAttribute(default="#f2a900")
    logo_key = UnicodeAttribute(null=True)
    home_image_key = UnicodeAttribute(null=True)
    favicon_key = UnicodeAttribute(null=True)
    welcome_text = UnicodeAttribute(null=True)
    oem_label = UnicodeAttribute(null=True)  # drafts and versions; live copy in Company.oem_label


class CompaniesWithPayments(GlobalSecondaryIndex):
    """Sparse: the companies with gateway credentials, which the payment reconciler visits."""

    class Meta:
        index_name = "with_payments"
        projection = KeysOnlyProjection()

    payments = UnicodeAttribute(hash_key=True)


class Company(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("companies")

    company_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    primary_domain = UnicodeAttribute()
    time_zone = UnicodeAttribute(default="America/New_York")
    currency = UnicodeAttribute(default="USD")
    oem_label = UnicodeAttribute(default="OEM")
    email_sender = UnicodeAttribute(null=True)  # verified SES sender
    support_email = UnicodeAttribute(null=True)
    support_phone = UnicodeAttribute(null=True)
    theme = Theme(default=Theme)  # the published theme
    theme_version = NumberAttribute(default=0)  # publishing is conditional on it
    theme_draft = Theme(null=True)  # what the theme editor saves; previewed, then published
    pages: MapAttribute[str, Any] = MapAttribute(default=lambda: dict(DEFAULT_PAGES))  # page key -> on/off
    statement_cycle = UnicodeAttribute(default="monthly")
    statement_day = NumberAttribute(default=1)  # day of the month statements are cut (1–28)
    web_access_owner = UnicodeAttribute(default="portal")  # "portal" | "erp"
    auto_credentials = BooleanAttribute(default=False)
    generated_password_days = NumberAttribute(default=30)
    credentials_email_format = UnicodeAttribute(null=True)
    parts_price_display = UnicodeAttribute(default="price")  # price (own level) | list | hide
    parts_qty_display = UnicodeAttribute(default="quantity")  # quantity | in_stock | hide
    parts_low_stock = NumberAttribute(default=5)  # "Low stock" below this (in_stock display)
    parts_po_required = BooleanAttribute(default=False)
    parts_charge_to_account = BooleanAttribute(default=False)  # for customers the ERP allows
    parts_branches: MapAttribute[str, str] = MapAttribute(null=True)  # branch code -> name (pickup, availability)
    service_request_url = UnicodeAttribute(null=True)  # external service-request link
    # Service requests: "builtin" form, "link" (the menu opens service_request_url) or
    # "off"; unset means "link" when a link is saved, else "off" (services/service_requests.py).
    service_requests = UnicodeAttribute(null=True)
    service_email = UnicodeAttribute(null=True)  # the service department: new-request e-mails
    credentials_delivery = UnicodeAttribute(default="password")  # password | link
    payment_methods = UnicodeSetAttribute(null=True)  # {"card","ach"} configured
    payment_secret_arn = UnicodeAttribute(null=True)
    payments = UnicodeAttribute(null=True)  # PAYMENTS_ENABLED once credentials are stored
    # Pay on account: may a customer pay more than the open invoices (a credit on account)?
    allow_payment_on_account = BooleanAttribute(default=False)
    # Who must sign in with a second factor: optional | admins | everyone (services/two_factor.py)
    two_factor_policy = UnicodeAttribute(default="optional")
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    with_payments = CompaniesWithPayments()


PAYMENTS_ENABLED = "enabled"


class DomainsByCompany(GlobalSecondaryIndex):
    """A company's hosts (admin API company read)."""

    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    host = UnicodeAttribute(range_key=True)


class Domain(PortalModel):
    """Host name -> company.  The host is the key: it must be globally unique."""

    class Meta(BaseMeta):
        table_name = table_name("domains")

    host = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    primary = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    by_company = DomainsByCompany()


class ThemeVersion(PortalModel):
    """Every published theme, so an earlier one can be restored."""

    class Meta(BaseMeta):
        table_name = table_name("theme-versions")

    company_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    theme = Theme()
    published_by = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute()
