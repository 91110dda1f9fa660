"""The customer side on a phone (375 × 740) and a desk (1280 × 800), in Chromium on the
local stack: every page of the menu fits the screen (nothing scrolls sideways, nothing
past the right edge outside a scrolling table), starts near the top on a phone, and has
no serious or critical axe violation; every form shown again after bad input keeps
what was typed and links the message to its field.

Screenshots of the home page and Current Orders at both sizes go to build/screenshots/
(kept after the run; build/ is not committed).
"""
import re
from pathlib import Path

import pytest

from infra.local.seed import DEMO_PASSWORD

from .browser_support import PROJECT_DIR, assert_accessible

pytestmark = [pytest.mark.stack, pytest.mark.browser]

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1280, "height": 800}
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
H1_WITHIN = 200  # px from the top of a phone's screen

# Elements past the right edge of the viewport that are not inside a container that
# scrolls or clips sideways (a table's own scroll area is allowed).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height || box.right <= width + 1) continue;
    let parent = element.parentElement, contained = false;
    while (parent && parent !== document.body) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(parent).overflowX)) {
        contained = true; break;
      }
      parent = parent.parentElement;
    }
    if (!contained) outside.push(`${element.tagName.toLowerCase()}.${element.className} → ${Math.round(box.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width, outside};
}"""


def base(stack):
    return f"http://localhost:{stack['port']}"


def sign_in(chromium, stack, viewport, **options):
    context = chromium.new_context(viewport=viewport, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{base(stack)}/login")
    page.get_by_label("E-mail address or user name").fill("retail@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base(stack)}/")
    return context, page


def menu_paths(page, phone: bool):
    """The customer pages the menu offers (on a phone: behind the Menu button)."""
    if phone:
        page.get_by_text("Menu", exact=True).click()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    paths = [re.sub(r"^https?://[^/]+", "", href) for href in
             links.evaluate_all("links => links.map(a => a.href)")]
    if phone:
        page.get_by_text("Menu", exact=True).click()
    return paths


def assert_fits(page):
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["clientWidth"], (page.url, found)
    assert not found["outside"], (page.url, found["outside"][:5])


def h1_top(page) -> float:
    return page.locator("h1").first.evaluate("h => h.getBoundingClientRect().top + window.scrollY")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["375x740", "1280x800"])
def test_every_customer_page_fits_starts_near_the_top_and_is_accessible(chromium, stack,
                                                                         viewport):
    phone = viewport is PHONE
    context, page = sign_in(chromium, stack, viewport, is_mobile=phone, has_touch=phone)
    try:
        paths = ["/"] + menu_paths(page, phone) + ["/preferences", "/orders/W10015"]
        assert {"/orders", "/account", "/account/pay", "/account/history"} <= set(paths)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for path in dict.fromkeys(paths):
            response = page.goto(f"{base(stack)}{path}")
            assert response.status == 200, path
            assert_fits(page)
            if phone:
                assert h1_top(page) <= H1_WITHIN, (path, h1_top(page))
            assert_accessible(page)
            if path in ("/", "/orders"):
                name = "home" if path == "/" else "orders"
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport['width']}.png"),
                                full_page=True)
        if phone:  # the open menu fits too, and is accessible
            page.get_by_text("Menu", exact=True).click()
            assert page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Current Orders").is_visible()
            assert_fits(page)
            assert_accessible(page)
    finally:
        context.close()


def test_the_phone_menu_opens_without_javascript(chromium, stack):
    context, page = sign_in(chromium, stack, PHONE, java_script_enabled=False)
    try:
        menu = page.get_by_role("navigation", name="Main")
        assert not menu.get_by_role("link", name="Current Orders").is_visible()
        page.get_by_text("Menu", exact=True).click()
        assert page.get_by_role("checkbox", name="Menu").is_checked()
        menu.get_by_role("link", name="Current Orders").click()
        page.wait_for_url(f"{base(stack)}/orders")
        assert h1_top(page) <= H1_WITHIN
    finally:
        context.close()


def described_by(page, selector) -> str:
    """The text of the elements an input's aria-describedby names."""
    return page.locator(selector).evaluate(
        "el => (el.getAttribute('aria-describedby') || '').split(/\\s+/)"
        ".map(id => document.getElementById(id)?.textContent || '').join(' ')")


def assert_kept(page, selector, value, message):
    field = page.locator(selector)
    assert field.input_value() == value
    assert field.get_attribute("aria-invalid") == "true"
    assert message in described_by(page, selector)
    assert page.locator("nav[aria-label=Main]").count() >= 1  # the page, not a bare error


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["375x740", "1280x800"])
def test_every_customer_form_keeps_a_bad_value_and_links_its_message(chromium, stack, viewport):
    context, page = sign_in(chromium, stack, viewport)
    try:
        for path in ("/orders", "/history", "/account/history", "/purchases"):
            page.goto(f"{base(stack)}{path}")
            page.locator("#f-from").fill("2026-11-02")
            page.locator("#f-to").fill("2026-11-01")
            page.locator("form[role=search] button[type=submit]").click()
            page.wait_for_load_state()
            assert_kept(page, "#f-from", "2026-11-02", "on or before the To date")
            assert page.locator("#f-to").input_value() == "2026-11-01"
            assert_fits(page)
            assert_accessible(page)

        page.goto(f"{base(stack)}/account/pay")
        page.locator("#amount").fill("99999999999")
        page.get_by_label("Billing ZIP code").fill("62704")
        page.get_by_role("button", name="Review payment").click()
        page.wait_for_load_state()
        assert_kept(page, "#amount", "99999999999", "too large")
        assert page.get_by_label("Billing ZIP code").input_value() == "62704"
        assert_fits(page)
        assert_accessible(page)

        page.goto(f"{base(stack)}/preferences")
        page.locator("#current").fill("not my password")
        page.locator("#password").fill("a brand new sentence")
        page.locator("#confirm").fill("a brand new sentence")
        page.get_by_role("button", name="Change password").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Preferences", level=1).is_visible()
        assert page.locator("#current").get_attribute("aria-invalid") == "true"
        assert "not correct" in described_by(page, "#current")
        assert_accessible(page)
    finally:
        context.close()


def test_error_pages_keep_the_company_and_its_menu(chromium, stack):
    context, page = sign_in(chromium, stack, PHONE)
    try:
        response = page.goto(f"{base(stack)}/orders/NO-SUCH-INVOICE")
        assert response.status == 404
        assert page.locator("img.brand-logo").count() == 1
        page.get_by_text("Menu", exact=True).click()
        assert page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Current Orders").is_visible()
        assert_fits(page)
        assert_accessible(page)
    finally:
        context.close()


def test_screenshots_are_kept():
    """Runs after the page test (file order): the four screenshots are on disk."""
    names = sorted(p.name for p in Path(SCREENSHOTS).glob("*.png"))
    assert {"home-375.png", "home-1280.png", "orders-375.png", "orders-1280.png"} <= set(names)
