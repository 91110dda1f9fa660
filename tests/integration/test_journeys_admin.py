"""Dealer Administration in Chromium on the local stack (RIMSS invitation flow).

The administrator signs in, selects a dealer, retrieves with a name filter,
filters, right-clicks a customer and invites an e-mail; the dev mailbox shows
the invitation; the customer accepts it and sees their invoices; the
administrator inactivates them and the customer's open session loses access
on the next click.  A second test runs the invite flow with the keyboard only.
Every admin page must have no serious or critical axe-core violation.

(Named to run after test_browser.py: that module starts its own Playwright,
which cannot run while the session's `chromium` fixture is open.)
"""
import re

import pytest
from playwright.sync_api import expect

from .browser_support import assert_accessible, base_url, sign_in

pytestmark = [pytest.mark.stack, pytest.mark.browser]

NEW_PASSWORD = "harper's new portal password"


def open_admin(context, stack):
    page = sign_in(context, stack, "admin@example.com")
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Dealer Administration").click()
    page.wait_for_url(f"{base_url(stack)}/admin/customers")
    return page


def retrieve(page, name):
    page.get_by_label("Customer name starts with").fill(name)
    page.get_by_role("button", name="Retrieve").click()
    page.wait_for_url(re.compile(r"/admin/customers\?retrieve=1"))


def row(page, text):
    return page.locator("table.admin-customers tbody tr", has_text=text)


def status_cell(page, text):
    return row(page, text).locator('td[data-label="Activated"]')


def status_of(page, text):
    return status_cell(page, text).inner_text().strip()


def test_admin_invites_customer_accepts_and_loses_access(stack, browser_context):
    admin = open_admin(browser_context(), stack)
    assert_accessible(admin)

    # Select Dealer: another company, then back to ABC.
    admin.get_by_label("Select Dealer").select_option(label="Pacific Distribution")
    admin.get_by_role("button", name="Select", exact=True).click()
    admin.get_by_role("heading", name="Customers of Pacific Distribution").wait_for()
    admin.get_by_label("Select Dealer").select_option(label="ABC Appliance Service")
    admin.get_by_role("button", name="Select", exact=True).click()
    admin.get_by_role("heading", name="Customers of ABC Appliance Service").wait_for()

    retrieve(admin, "har")
    assert row(admin, "Harper Family").count() == 1
    assert row(admin, "Rita's Kitchen").count() == 0
    assert_accessible(admin)

    # Post-retrieve filter: activation (a drop-down applies as soon as it is chosen).
    retrieve(admin, "")
    admin.get_by_label("Activated").select_option(label="Not invited")
    admin.wait_for_url(re.compile(r"status=not_invited"))
    statuses = admin.locator('table.admin-customers td[data-label="Activated"]').all_inner_texts()
    assert statuses and set(s.strip() for s in statuses) == {"No"}, statuses
    assert row(admin, "Harper Family").count() == 1
    assert_accessible(admin)

    # Right-click the customer: the row's menu opens at the pointer.
    row(admin, "Harper Family").locator('td[data-label="Name"]').click(button="right")
    menu = row(admin, "Harper Family").locator(".menu-list")
    assert menu.is_visible()
    menu.get_by_role("link", name="Initiate Portal Invite").click()
    dialog = admin.locator("dialog#admin-dialog")
    dialog.get_by_role("heading", name=re.compile("Initiate Portal Invite")).wait_for()
    assert dialog.get_by_text("Cannot be invited: No e-mail address").is_visible()
    assert_accessible(admin)
    dialog.get_by_label(re.compile("harper@example.com")).check()
    dialog.get_by_role("button", name="OK").click()
    dialog.get_by_text("Invitation sent to harper@example.com").wait_for()
    with admin.expect_navigation():  # closing reloads the list; let it finish first
        dialog.get_by_role("link", name="Close").click()
    expect(dialog).to_be_hidden()
    admin.goto(f"{base_url(stack)}/admin/customers?retrieve=1&name=harper")
    expect(status_cell(admin, "Harper Family")).to_have_text("Invited")

    # The dev mailbox shows the invitation as the recipient sees it.
    admin.goto(f"{base_url(stack)}/dev/mailbox")
    mail = admin.locator("article.mail", has_text="invites you to its customer portal").first
    assert mail.get_by_text("to harper@example.com").is_visible()
    frame = mail.frame_locator("iframe")
    frame.get_by_role("link", name="Accept the invitation").wait_for()
    link = mail.locator(".mail-links a", has_text="/invite/").first.get_attribute("href")
    assert_accessible(admin)

    # The customer accepts in their own browser and sees their invoices.
    customer = browser_context().new_page()
    customer.goto(link)
    customer.get_by_role("heading", name=re.compile("Welcome to ABC")).wait_for()
    assert_accessible(customer)
    customer.get_by_label("Your name").fill("Hannah Harper")
    customer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    customer.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    customer.get_by_role("button", name="Activate and sign in").click()
    customer.wait_for_url(re.compile(r"/\?notice=welcome"))
    customer.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Current Orders", exact=True).click()
    customer.wait_for_url(f"{base_url(stack)}/orders")
    assert re.search(r"\bW1\d{4}\b", customer.locator("table.data tbody").inner_text())

    # The administrator sees the new status, then inactivates the account.
    admin.goto(f"{base_url(stack)}/admin/customers?retrieve=1&name=harper")
    assert status_of(admin, "Harper Family") == "Yes"
    assert row(admin, "Harper Family").locator(
        'td[data-label="E-mail confirmed"]').inner_text().strip() == "Yes"
    row(admin, "Harper Family").locator("summary").click()
    row(admin, "Harper Family").get_by_role("link", name="Inactivate portal account").click()
    dialog.get_by_role("button", name="Inactivate").click()
    dialog.get_by_text("Portal access of C1003 removed").wait_for()
    dialog.get_by_role("link", name="Close").click()
    expect(status_cell(admin, "Harper Family")).to_have_text("Inactivated")  # after the reload

    # The customer's open session loses access on the next click.
    customer.get_by_role("navigation", name="Main").get_by_role(
        "link", name="History", exact=True).click()
    customer.wait_for_url(re.compile(r"/login"))
    assert customer.get_by_role("heading", name=re.compile("Sign in")).is_visible()


def test_every_admin_page_is_accessible(stack, browser_context):
    admin = open_admin(browser_context(), stack)
    for path, heading in [("/admin/customers?retrieve=1", "Customers of"),
                          ("/admin/customers/C1001/web-access", "Web access"),
                          ("/admin/customers/C1001/credentials", "Send credentials e-mail"),
                          ("/admin/customers/C1001/invite", "Initiate Portal Invite"),
                          ("/admin/dealers", "Dealer records"),
                          ("/admin/dealers/DLR01?find=prairie", "Dealer Prairie"),
                          ("/admin/settings", "Portal settings"),
                          ("/admin/audit", "Audit log")]:
        admin.goto(f"{base_url(stack)}{path}")
        admin.get_by_role("heading", name=re.compile(heading)).first.wait_for()
        assert_accessible(admin)


def test_keyboard_only_invite(stack, browser_context):
    admin = open_admin(browser_context(), stack)
    name_field = admin.get_by_label("Customer name starts with")
    name_field.focus()
    admin.keyboard.type("cedar")
    admin.keyboard.press("Enter")
    admin.wait_for_url(re.compile(r"name=cedar"))
    summary = row(admin, "Cedar Court Condos").locator("summary")
    for _ in range(60):  # Tab through the page until the row's Actions button has focus
        admin.keyboard.press("Tab")
        if summary.evaluate("node => node === document.activeElement"):
            break
    else:
        pytest.fail("the Actions button of the row is not reachable with Tab")
    admin.keyboard.press("Enter")
    invite = row(admin, "Cedar Court Condos").get_by_role("link", name="Initiate Portal Invite")
    assert invite.is_visible()
    admin.keyboard.press("Tab")
    assert invite.evaluate("node => node === document.activeElement")
    admin.keyboard.press("Enter")
    dialog = admin.locator("dialog#admin-dialog")
    choice = dialog.get_by_label(re.compile("cedar@example.com"))
    choice.wait_for()
    assert choice.evaluate("node => node === document.activeElement")
    admin.keyboard.press("Space")
    assert choice.is_checked()
    admin.keyboard.press("Tab")
    assert dialog.get_by_role("button", name="OK").evaluate(
        "node => node === document.activeElement")
    admin.keyboard.press("Enter")
    dialog.get_by_text("Invitation sent to cedar@example.com").wait_for()
    admin.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(status_cell(admin, "Cedar Court Condos")).to_have_text("Invited")  # after the reload
