"""Every Dealer Administration page fits the screen, in Chromium on the stack.

At 375 x 740, 1280 x 800 and 1440 x 900: no page scrolls sideways and no element sticks
out past the right edge (except inside a box that scrolls on its own), the customer table
fits its container on a desk, the h1 starts within the first 200 px on a phone, and axe
finds nothing serious or critical.  Also: drop-down filters apply when an option is
chosen (and the Filter button still works without JavaScript), and the phone's admin
menu is a disclosure that works without JavaScript.

(Named to run after test_browser.py, like test_journeys_admin.py.)
"""
import json
import re
import urllib.request

import pytest

from .browser_support import assert_accessible, base_url, sign_in

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ADMIN = "admin@example.com"
LONG_NAME = ("Northwestern Consolidated Appliance Repair, Installation and Warranty "
             "Servicing Cooperative of Greater Springfield")
LONG_NO = "C9LONGNAMEACCOUNT01"
VIEWPORTS = [(375, 740), (1280, 800), (1440, 900)]

# What a person would notice: the page wider than the window, or something cut off at
# its right edge that no scroll bar of its own reveals.
OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  // Inside a box that scrolls (or clips, like a visually hidden table header) whose own
  // right edge is on screen: the box is what shows, and it is checked itself.
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible'
          && p.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const past = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.height && box.right > width + 1 && !scrolls(el)) {
      past.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  const h1 = document.querySelector('h1');
  return {scrollWidth: root.scrollWidth, clientWidth: width, past: past.slice(0, 5),
          h1Top: h1 ? h1.getBoundingClientRect().top + window.scrollY : null};
}"""


@pytest.fixture(scope="module")
def long_named_customer(stack):
    """A customer whose billing name and e-mail are long (ERP push through the admin API)."""
    token = re.search(r"platform token\s+(\S+)", stack["banner"]).group(1)
    record = {"customer_no": LONG_NO, "name": LONG_NAME, "updated_at": "2026-11-20T10:00:00Z",
              "address": "1 Oak St", "city": "Springfield", "state": "IL",
              "contacts": [{"contact_id": "1", "name": "Accounts payable", "primary": True,
                            "email": "accounts.payable.department.northwestern@example.com"}]}
    request = urllib.request.Request(
        f"{stack['url']}/api/v1/companies/abc/customers",
        data=json.dumps({"records": [record]}).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Host": f"localhost:{stack['port']}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (200, 207)
    return LONG_NO


def admin_pages():
    """(path, what) of every Dealer Administration page, with real ids from the seed."""
    return [
        ("/admin/customers", "customers"),
        ("/admin/customers?retrieve=1", "customers retrieved"),
        ("/admin/customers/C1001/invite", "invite"),
        ("/admin/customers/C1001/inactivate", "inactivate"),
        ("/admin/customers/C1001/web-access", "web access"),
        (f"/admin/customers/{LONG_NO}/web-access", "web access, long name"),
        (f"/admin/customers/{LONG_NO}/credentials", "credentials"),
        ("/admin/dealers", "dealers"),
        ("/admin/dealers/DLR01", "dealer"),
        ("/admin/payments", "payments"),
        ("/admin/settings", "settings"),
        ("/admin/theme", "theme"),
        ("/admin/audit", "audit log"),
        ("/admin/audit?from=2026-02-01&to=2026-01-01", "audit log, bad dates"),
    ]


def signed_in_admin(chromium, stack, width, height, javascript=True):
    context = chromium.new_context(viewport={"width": width, "height": height},
                                   java_script_enabled=javascript)
    return context, sign_in(context, stack, ADMIN)


def assert_fits(page, width, where):
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["clientWidth"], f"{where}: page scrolls sideways {found}"
    assert not found["past"], f"{where}: past the right edge: {found['past']}"
    if width <= 400:
        assert found["h1Top"] is not None and found["h1Top"] <= 200, f"{where}: h1 at {found}"


@pytest.mark.parametrize("width,height", VIEWPORTS, ids=lambda v: str(v))
def test_every_admin_page_fits_the_screen_and_passes_axe(chromium, stack, long_named_customer,
                                                         width, height):
    context, page = signed_in_admin(chromium, stack, width, height)
    try:
        for path, what in admin_pages():
            answer = page.goto(base_url(stack) + path)
            assert answer.status < 500, f"{what}: {answer.status}"
            where = f"{what} ({path}) at {width}x{height}"
            assert_fits(page, width, where)
            assert_accessible(page)
        # The credentials e-mail preview (the rendered e-mail) stays inside the page.
        page.goto(f"{base_url(stack)}/admin/customers/{LONG_NO}/credentials")
        page.get_by_label("First password").fill("W10060")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("heading", name="Preview").wait_for()
        assert_fits(page, width, f"credentials preview at {width}")
        assert_accessible(page)
        # The retrieved customer table fits its container on a desk: nothing to scroll to.
        page.goto(f"{base_url(stack)}/admin/customers?retrieve=1")
        table = page.get_by_role("region", name="Customers")
        if width >= 1280:
            assert table.evaluate("el => el.scrollWidth <= el.clientWidth"), \
                f"customer table wider than its container at {width}"
            actions = page.locator("details.row-menu summary").first
            box, frame = actions.bounding_box(), table.bounding_box()
            assert box["x"] + box["width"] <= frame["x"] + frame["width"]
            header = page.get_by_role("columnheader", name="E-mail bounced")
            assert header.is_visible()
            assert header.bounding_box()["x"] + header.bounding_box()["width"] \
                <= frame["x"] + frame["width"]
    finally:
        context.close()


def test_drop_down_filters_apply_on_change_with_separate_activation_columns(chromium, stack):
    context, page = signed_in_admin(chromium, stack, 1280, 800)
    try:
        page.goto(f"{base_url(stack)}/admin/customers?retrieve=1")
        headers = page.get_by_role("columnheader").all_inner_texts()
        assert "Activated" in headers and "E-mail confirmed" in headers
        assert "Portal status" not in headers
        page.get_by_label("E-mail bounced").select_option("yes")  # no click on "Filter"
        page.wait_for_url(re.compile(r"bounced=yes"))
        cells = page.locator('td[data-label="E-mail bounced"]').all_inner_texts()
        assert cells and all(cell.strip() == "Bounced" for cell in cells)
        page.get_by_label("E-mail confirmed").select_option("yes")
        page.wait_for_url(re.compile(r"confirmed=yes"))
        confirmed = page.locator('td[data-label="E-mail confirmed"]').all_inner_texts()
        assert all(cell.strip() == "Yes" for cell in confirmed)
        page.goto(f"{base_url(stack)}/admin/audit")
        page.get_by_label("Action").select_option(label="Signed in")
        page.wait_for_url(re.compile(r"action=sign_in"))
        whats = page.locator('td[data-label="What"]').all_inner_texts()
        assert whats and set(whats) == {"Signed in"}
        ips = page.locator('td[data-label="From IP"]').all_inner_texts()
        assert all(re.fullmatch(r"[0-9a-f.:]+", ip.strip()) for ip in ips)
    finally:
        context.close()


def test_without_javascript_the_filter_button_and_the_phone_menu_work(chromium, stack):
    context, page = signed_in_admin(chromium, stack, 375, 740, javascript=False)
    try:
        page.goto(f"{base_url(stack)}/admin/customers?retrieve=1")
        page.get_by_label("E-mail bounced").select_option("yes")
        assert "bounced=yes" not in page.url  # nothing happens without the script...
        page.get_by_role("button", name="Filter").click()  # ...the button applies it
        page.wait_for_url(re.compile(r"bounced=yes"))
        menu = page.get_by_role("navigation", name="Dealer Administration")
        assert not menu.is_visible()  # folded away on a phone
        page.locator("details.admin-menu > summary").click()
        menu.get_by_role("link", name="Audit log").click()
        page.wait_for_url(re.compile(r"/admin/audit$"))
        page.get_by_role("heading", level=1, name=re.compile("^Audit log")).wait_for()
    finally:
        context.close()


def test_a_bad_admin_filter_keeps_the_page_its_values_and_links_the_message(chromium, stack):
    context, page = signed_in_admin(chromium, stack, 1280, 800)
    try:
        answer = page.goto(f"{base_url(stack)}/admin/audit?from=2026-02-01&to=2026-01-01")
        assert answer.status == 400
        assert page.get_by_role("navigation", name="Dealer Administration").is_visible()
        date_from = page.get_by_label("From")
        assert date_from.input_value() == "2026-02-01"
        assert date_from.get_attribute("aria-invalid") == "true"
        described = date_from.get_attribute("aria-describedby").split()
        message = page.locator(f"#{described[0]}")
        assert "From date must be on or before the To date" in message.inner_text()
    finally:
        context.close()
