"""A dealer orders a part on a 375 px phone, in Chromium on the local stack: Parts Lookup
shows the price and availability as ABC's settings say (the account's `dealer` price
level; "In stock" / "Low stock" / "Out of stock", never quantities), the part goes into
the cart (header badge 1), checkout pays by card through the emergepay stand-in's hosted
fields, the order page confirms it, the ERP's parts-orders feed returns it exactly once,
and an administrator (1280 px) finds it at /admin/parts-orders.  axe (0 serious/critical)
on every page; /parts, /cart, /checkout and /parts-orders never scroll sideways."""
import re

import pytest

from .browser_support import (
    DESKTOP_1280,
    PHONE_375,
    assert_accessible,
    assert_no_horizontal_overflow,
    base_url,
    card,
    erp_feed,
    local_dynamodb,
    sign_in,
)

pytestmark = [pytest.mark.stack, pytest.mark.browser]
STOCK_LABELS = {"In stock", "Low stock", "Out of stock"}


def stored_part(stack, part_no):
    dynamodb = local_dynamodb(stack)
    return dynamodb.get_item(TableName="portal-parts", Key={
        "company_id": {"S": "abc"}, "part_no": {"S": part_no}})["Item"]


def dollars(cents):
    return f"${cents // 100:,}.{cents % 100:02d}"


def open_menu(page):
    """At 375 px the menus (and the cart badge in the account menu) sit behind "Menu"."""
    page.locator("label[for=nav-toggle]").click()


def cart_badge(page):
    open_menu(page)
    badge = page.locator("header [data-cart-count]")
    assert badge.is_visible()
    return badge.inner_text().strip()


def check_page(page):
    assert_accessible(page)
    assert_no_horizontal_overflow(page)


def test_a_dealer_orders_a_part_by_card_and_the_erp_and_an_admin_see_it_once(
        stack, browser_context):
    base = base_url(stack)
    page = sign_in(browser_context(viewport=PHONE_375), stack, "dealer@example.com")
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Parts Lookup", exact=True).click()
    page.wait_for_url(f"{base}/parts")
    check_page(page)

    page.get_by_label("Part number or description").fill("WP1")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(f"{base}/parts?q=WP1")
    found = page.get_by_role("region", name="Parts found").locator("tbody tr")
    assert found.count() > 0
    check_page(page)
    # ABC shows stock as words (parts_qty_display="in_stock"), whatever the quantity.
    stock = [t.strip() for t in found.locator("td[data-label=Availability]").all_inner_texts()]
    assert set(stock) <= STOCK_LABELS, stock
    row = found.filter(has=page.locator("td[data-label=Availability]", has_text="In stock")) \
        .filter(has=page.get_by_role("button", name=re.compile("to cart"))).first
    part_no = row.locator("td[data-label=Part]").inner_text().strip()
    part = stored_part(stack, part_no)
    dealer_cents = int(part["prices"]["M"]["dealer"]["N"])
    assert int(part["qty_available"]["N"]) >= 3  # ABC's low-stock threshold
    # The dealer account's price level, not the list price.
    assert dealer_cents != int(part["prices"]["M"]["list"]["N"])
    assert row.locator("td[data-label=Price]").inner_text().strip().startswith(
        dollars(dealer_cents))

    row.get_by_role("button", name=f"Add {part_no} to cart").click()
    page.wait_for_url(re.compile(r".*/cart(\?.*)?$"))
    assert cart_badge(page) == "1"
    cart_row = page.get_by_role("region", name="Cart").locator("tbody tr")
    assert cart_row.count() == 1
    assert cart_row.locator("td[data-label=Part]").inner_text().strip() == part_no
    assert cart_row.locator("td[data-label=Price]").inner_text().strip() == dollars(dealer_cents)
    assert cart_row.locator("td[data-label=Availability]").inner_text().strip() == "In stock"
    check_page(page)

    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(f"{base}/checkout")
    check_page(page)
    page.get_by_label("Card", exact=True).check()
    page.get_by_label("Billing name (card or bank)").fill("Dan Dealer")
    page.get_by_label("Billing ZIP code").fill("62704")
    page.get_by_label("E-mail for the receipt").fill("dealer@example.com")
    page.get_by_label("PO number (optional)").fill("PO-4711")
    page.get_by_role("button", name="Continue").click()
    # The same URL answers with the payment step: wait for its heading.
    page.get_by_role("heading", name=f"You are paying {dollars(dealer_cents)}").wait_for()
    card(page.frame_locator("iframe"))
    check_page(page)
    page.get_by_role("button", name=f"Pay {dollars(dealer_cents)} and place the order").click()
    page.wait_for_url(re.compile(r".*/parts-orders/[0-9a-f]{24}$"))
    order_id = page.url.rsplit("/", 1)[1]
    assert page.get_by_text(f"Thank you: your order {order_id.upper()} is placed").is_visible()
    assert cart_badge(page) == "0"
    check_page(page)

    page.get_by_role("link", name="← Your parts orders").click()
    page.wait_for_url(f"{base}/parts-orders")
    assert page.get_by_role("link", name=order_id.upper()).is_visible()
    check_page(page)

    orders = [item for item in erp_feed(stack, "parts-orders") if item["order_id"] == order_id]
    assert len(orders) == 1, orders
    (order,) = orders
    assert order["customer_no"] == "D2001" and order["po_number"] == "PO-4711"
    assert [(line["part_no"], line["quantity"]) for line in order["lines"]] == [(part_no, 1)]
    assert order["payment"]["method"] == "card" and order["payment"]["payment_id"]
    assert order["placed_at"]

    admin = sign_in(browser_context(viewport=DESKTOP_1280), stack, "admin@example.com")
    admin.goto(f"{base}/admin/parts-orders")
    check_page(admin)
    admin.get_by_role("link", name=order_id.upper()).click()
    admin.wait_for_url(f"{base}/admin/parts-orders/{order_id}")
    assert admin.get_by_text(part_no).first.is_visible()
    assert admin.get_by_text("PO-4711").first.is_visible()
    check_page(admin)
