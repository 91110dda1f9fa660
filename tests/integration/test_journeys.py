"""Customer and dealer journeys in Chromium on the local stack, with axe on every page.

Each test opens a fresh browser context (no shared cookies), signs in through the
real login form and moves around by clicking, as a person would. Every page it
reaches must have no "serious" or "critical" axe-core violation and must log no
console error (a CSP violation would show up there).
"""
import re

import pytest

from .browser_support import assert_accessible, assert_no_horizontal_overflow, base_url, sign_in

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ABC = "localhost"
INVOICE_NO = re.compile(r"\bW1\d{4}\b")  # the demo invoices of company abc
PHONE = {"width": 390, "height": 844}

# Menu label -> (url, what real content looks like on that page) for the
# customer pages that exist. The menu may show more (see
# test_every_menu_link_leads_to_a_page); the journey visits every one of these
# that the signed-in user's menu shows.
CUSTOMER_PAGES = {
    "Current Orders": ("/orders", "table.data tbody tr"),
    "Open Parts List": ("/open-parts", "table.data tbody tr"),
    "History": ("/history", "table.data tbody tr"),
    "Account": ("/account", "table.data tbody tr"),
    "Account History": ("/account/history", "table.data tbody tr:not(.opening)"),
    "Purchase History": ("/purchases", "table.data tbody tr"),
    "Equipment": ("/equipment", "main section.card"),
    "Service Requests": ("/service-requests", "table.data tbody tr"),
    "Statements": ("/statements", "main section.card"),
    "Search All Invoices": ("/search", "main form[role=search] input[name=invoice]"),
}


# ------------------------------------------------------------------ helpers








def main_menu(page):
    return page.get_by_role("navigation", name="Main")


def menu_labels(page):
    return [text.strip() for text in main_menu(page).get_by_role("link").all_inner_texts()]


def click_menu(page, stack, label, path, host=ABC):
    main_menu(page).get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(f"{base_url(stack, host)}{path}")
    # The menu marks the page it is on.
    assert main_menu(page).get_by_role("link", name=label, exact=True) \
        .get_attribute("aria-current") == "page"


def rows(page):
    return page.locator("table.data tbody tr")


def column(page, header):
    """Texts of one column of the page's data table, by its header."""
    headers = [h.strip() for h in page.locator("table.data thead th").all_inner_texts()]
    index = headers.index(header) + 1
    return [t.strip() for t in page.locator(f"table.data tbody tr td:nth-child({index})")
            .all_inner_texts()]




# ------------------------------------------------------------ anonymous pages
@pytest.mark.parametrize("path, heading", [("/login", "Sign in to ABC Appliance Service"),
                                           ("/forgot-password", "Forgot your password?")])
def test_anonymous_pages_are_accessible(stack, browser_context, path, heading):
    page = browser_context().new_page()
    page.goto(f"{base_url(stack)}{path}")
    assert page.get_by_role("heading", name=heading).is_visible()
    assert_accessible(page)


# ----------------------------------------------------------- retail customer
def test_retail_customer_visits_every_menu_page(stack, browser_context):
    page = sign_in(browser_context(), stack, "retail@example.com")
    assert_accessible(page)
    labels = menu_labels(page)
    # retail@example.com has every customer page on, including Search All Invoices.
    assert set(CUSTOMER_PAGES) <= set(labels), labels
    assert "Dealer Open Orders" not in labels  # a retail customer has no OEM pages

    for label in labels:
        if label not in CUSTOMER_PAGES:
            continue
        path, content = CUSTOMER_PAGES[label]
        click_menu(page, stack, label, path)
        assert page.get_by_role("heading", level=1, name=label).is_visible()
        assert page.locator(content).count() > 0, f"{label}: no content ({content})"
        if content.startswith("table"):
            assert INVOICE_NO.search(page.locator("table.data tbody").inner_text()), label
        assert_accessible(page)

    # Equipment: the units and the orders on them.
    click_menu(page, stack, "Equipment", "/equipment")
    assert page.get_by_text("WM-48213-A").first.is_visible()


def test_retail_customer_opens_an_invoice_from_current_orders(stack, browser_context):
    page = sign_in(browser_context(), stack, "retail@example.com")
    click_menu(page, stack, "Current Orders", "/orders")
    first = rows(page).first.get_by_role("link").first
    invoice_no = first.inner_text().strip()
    assert INVOICE_NO.fullmatch(invoice_no)
    first.click()
    page.wait_for_url(f"{base_url(stack)}/orders/{invoice_no}")
    assert page.get_by_role("heading", level=1, name=f"Invoice {invoice_no}").is_visible()
    assert page.locator("main").get_by_text("#C1001", exact=True).is_visible()
    assert rows(page).count() > 0  # its lines
    assert page.get_by_text("Balance due").is_visible()
    assert page.get_by_text("Read-only view.").count() == 0
    assert_accessible(page)
    page.get_by_role("link", name="← Current Orders").click()
    page.wait_for_url(f"{base_url(stack)}/orders")


def test_retail_customer_downloads_invoice_and_statement_pdfs(stack, browser_context):
    """Download PDF → the portal's access check → a presigned redirect to the documents
    bucket (moto's server here) → a PDF saved under a readable file name."""
    page = sign_in(browser_context(), stack, "retail@example.com")
    click_menu(page, stack, "Current Orders", "/orders")
    rows(page).first.get_by_role("link").first.click()
    invoice_no = page.url.rsplit("/", 1)[1]
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"ABC-Appliance-Service-Invoice-{invoice_no}.pdf"
    assert open(download.path(), "rb").read(5) == b"%PDF-"
    click_menu(page, stack, "Statements", "/statements")
    assert page.get_by_role("link", name="Pay now").get_attribute("href") == "/account/pay"
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    assert re.fullmatch(r"ABC-Appliance-Service-Statement-\d{4}-\d{2}-\d{2}\.pdf",
                        info.value.suggested_filename)
    past = page.get_by_role("link", name=re.compile("the statement of"))
    assert past.count() >= 2  # the seed's past statements
    with page.expect_download() as info:
        past.first.click()
    assert open(info.value.path(), "rb").read(5) == b"%PDF-"


def test_retail_customer_filters_current_orders(stack, browser_context):
    page = sign_in(browser_context(), stack, "retail@example.com")
    click_menu(page, stack, "Current Orders", "/orders")
    everything = rows(page).count()
    page.get_by_label("Status").select_option("Ready")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/orders\?.*status=Ready"))
    statuses = column(page, "Status")
    assert statuses and set(statuses) == {"Ready"}, statuses
    assert len(statuses) < everything
    assert_accessible(page)

    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(re.compile(r"/orders\??$"))
    page.get_by_label("Location").select_option("LAKE")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/orders\?.*location=LAKE"))
    locations = column(page, "Location")
    assert locations and set(locations) == {"LAKE"}, locations
    assert_accessible(page)


def test_retail_customer_searches_all_invoices(stack, browser_context):
    page = sign_in(browser_context(), stack, "retail@example.com")
    click_menu(page, stack, "Search All Invoices", "/search")
    # W10050 is a dealer invoice of another customer (C1003, dealer DLR01).
    page.get_by_label("Invoice number").fill("w10050")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(f"{base_url(stack)}/search/W10050")
    assert page.get_by_role("heading", level=1, name="Invoice W10050").is_visible()
    assert page.get_by_text("Read-only view.").is_visible()
    assert page.locator("main").get_by_text("#C1003", exact=True).is_visible()
    assert_accessible(page)

    # An unknown number: a clear message on the search page, still accessible.
    page.get_by_role("link", name="← Search All Invoices").click()
    page.wait_for_url(f"{base_url(stack)}/search")
    browser_context.allow_error("/search/NOPE123")
    page.get_by_label("Invoice number").fill("NOPE123")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url(f"{base_url(stack)}/search/NOPE123")
    assert page.get_by_role("alert").inner_text().startswith("No invoice numbered NOPE123")
    assert_accessible(page)

    # The customer's own invoice detail is not a way into another customer's invoice.
    browser_context.allow_error("/orders/W10050")
    answer = page.goto(f"{base_url(stack)}/orders/W10050")
    assert answer.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()


def test_customer_pages_fit_a_phone(stack, browser_context):
    page = sign_in(browser_context(viewport=PHONE, is_mobile=True, has_touch=True), stack,
                   "retail@example.com")
    assert_no_horizontal_overflow(page)
    for path in ("/orders", "/orders/W10000", "/account/history", "/purchases"):
        page.goto(f"{base_url(stack)}{path}")
        assert rows(page).count() > 0, path
        assert_no_horizontal_overflow(page)
    assert_accessible(page)


def test_every_menu_link_leads_to_a_page(stack, browser_context):
    page = sign_in(browser_context(), stack, "retail@example.com")
    links = main_menu(page).get_by_role("link")
    missing = []
    for label, href in [(link.inner_text().strip(), link.get_attribute("href"))
                        for link in links.all()]:
        browser_context.allow_error(href)  # a 404 logs "Failed to load resource"
        answer = page.goto(f"{base_url(stack)}{href}")
        if answer.status == 404:
            missing.append(f"{label} ({href})")
    assert not missing, f"menu links that answer 404: {missing}"


# ------------------------------------------------------------------- dealer
def test_dealer_follows_its_customers_orders(stack, browser_context):
    page = sign_in(browser_context(), stack, "dealer@example.com")
    assert {"Dealer Open Orders", "Dealer History"} <= set(menu_labels(page))

    click_menu(page, stack, "Dealer Open Orders", "/dealer/orders")
    assert page.get_by_role("heading", level=1, name="Dealer Open Orders").is_visible()
    assert INVOICE_NO.search(page.locator("table.data tbody").inner_text())
    assert_accessible(page)

    customer_link = page.locator("table.data tbody a[href^='/dealer/customers/']").first
    customer_name = customer_link.inner_text().strip()
    customer_link.click()
    page.wait_for_url(re.compile(r"/dealer/customers/C\d+$"))
    assert page.get_by_role("heading", level=1,
                            name=f"{customer_name}: open orders with you").is_visible()
    assert set(column(page, "Customer")) == {customer_name}
    assert_accessible(page)

    invoice_link = rows(page).first.locator("a[href^='/dealer/orders/']")
    invoice_no = invoice_link.inner_text().strip()
    invoice_link.click()
    page.wait_for_url(f"{base_url(stack)}/dealer/orders/{invoice_no}")
    assert page.get_by_role("heading", level=1, name=f"Invoice {invoice_no}").is_visible()
    assert page.get_by_text("Read-only view.").is_visible()
    assert page.get_by_text("DLR01").is_visible()
    assert_accessible(page)

    click_menu(page, stack, "Dealer History", "/dealer/history")
    assert page.get_by_role("heading", level=1, name="Dealer History").is_visible()
    assert INVOICE_NO.search(page.locator("table.data tbody").inner_text())
    assert_accessible(page)


# --------------------------------------------------- a user of two companies
def test_user_of_two_companies_sees_its_abc_account(stack, browser_context):
    page = sign_in(browser_context(), stack, "both@example.com")
    assert "#C1002" in page.get_by_role("navigation", name="Your account").inner_text()
    click_menu(page, stack, "Current Orders", "/orders")
    numbers = column(page, "Invoice #")
    assert numbers and all(INVOICE_NO.fullmatch(n) for n in numbers), numbers
    assert "W10000" not in numbers  # C1001's order
    assert_accessible(page)
    rows(page).first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/orders/W1\d{4}$"))
    assert page.locator("main").get_by_text("#C1002", exact=True).is_visible()
    assert_accessible(page)
    click_menu(page, stack, "History", "/history")
    assert rows(page).count() > 0
