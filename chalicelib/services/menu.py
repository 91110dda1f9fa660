"""The menu a user may see: company settings ∩ customer page flags ∩ access type.

Pages check `may_see()` too, so a hidden page answers 404 rather than only
losing its link.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import DEFAULT_PAGES

RETAIL = "Retail"
DEALER = "Dealer"


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str


# (page key, label, url) in menu order; "{oem}" is the company's OEM label.
# Only pages that exist are listed: parts lookup joins when its issue lands (its
# setting already exists in DEFAULT_PAGES).
# Only pages that exist are listed: service requests join when their issue lands
# (its setting already exists in DEFAULT_PAGES).
PAGES = [
    ("orders", "Current Orders", "/orders"),
    ("parts", "Parts Lookup", "/parts"),
    ("open_parts", "Open Parts List", "/open-parts"),
    ("history", "History", "/history"),
    ("account", "Account", "/account"),
    ("payments", "Make a Payment", "/account/pay"),
    ("account_history", "Account History", "/account/history"),
    ("statements", "Statements", "/statements"),
    ("purchases", "Purchase History", "/purchases"),
    ("equipment", "Equipment", "/equipment"),
    ("service", "Service Requests", "/service-requests"),
    ("dealer_orders", "{oem} Open Orders", "/dealer/orders"),
    ("dealer_history", "{oem} History", "/dealer/history"),
    ("search_all", "Search All Invoices", "/search"),
]
DEALER_ONLY = {"dealer_orders", "dealer_history"}
SERVICE_LINK = "service_link"  # the menu item of a company's external service-request page


def may_see(
    page: str,
    *,
    company_pages: dict,
    customer_pages: dict | None,
    access_type: str,
    has_dealer_link: bool,
    search_all: bool,
) -> bool:
    if not company_pages.get(page, DEFAULT_PAGES.get(page, False)):
        return False
    if customer_pages and customer_pages.get(page) is False:
        return False
    if page in DEALER_ONLY:
        return access_type == DEALER and has_dealer_link
    if page == "search_all":
        return search_all
    return True


def menu(
    *,
    company_pages: dict,
    customer_pages: dict | None,
    access_type: str,
    has_dealer_link: bool,
    search_all: bool,
    oem_label: str = "OEM",
    service_mode: str = "off",
    service_url: str | None = None,
) -> list[MenuItem]:
    """`service_mode` (services/service_requests.py): "builtin" shows the portal's own
    pages; "link" the dealership's https URL under its own key, so the built-in pages
    stay 404; "off" nothing."""
    items = []
    for key, label, url in PAGES:
        if not may_see(
            key,
            company_pages=company_pages,
            customer_pages=customer_pages,
            access_type=access_type,
            has_dealer_link=has_dealer_link,
            search_all=search_all,
        ):
            continue
        if key == "service":
            if service_mode == "link" and service_url:
                items.append(MenuItem(SERVICE_LINK, label, service_url))
            if service_mode != "builtin":
                continue
        items.append(MenuItem(key, label.format(oem=oem_label), url))
    return items


def page_keys(items: Iterable[MenuItem]) -> list[str]:
    return [item.key for item in items]
