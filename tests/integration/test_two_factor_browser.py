"""Two-factor sign-in in Chromium on the local stack, with axe on every new page.

Pacific requires two-factor of its administrators (infra/local/seed.py): Ada, who has none,
is taken to the set-up right after her password, turns it on by reading the key from the
page, signs out, and signs in with a code. She turns it off again at the end (password and a
recovery code read from the page), so the other browser tests find the demo as seeded.
"""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from infra.local.seed import DEMO_PASSWORD

from .browser_support import assert_accessible, assert_no_horizontal_overflow, base_url, sign_in

pytestmark = [pytest.mark.stack, pytest.mark.browser]

PACIFIC = "pacific.localhost"


def _password(page, stack, login="admin@example.com"):
    page.goto(f"{base_url(stack, PACIFIC)}/login")
    page.get_by_label("E-mail address or user name").fill(login)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_an_administrator_enrols_totp_from_the_page_and_signs_in_with_it(stack, browser_context):
    page = browser_context(viewport={"width": 375, "height": 812}).new_page()
    _password(page, stack)
    # Required and not set up: the set-up, and no other page.
    page.wait_for_url(f"{base_url(stack, PACIFIC)}/preferences/two-factor")
    expect(page.get_by_text("requires two-factor sign-in")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base_url(stack, PACIFIC)}/admin")
    page.wait_for_url(f"{base_url(stack, PACIFIC)}/preferences/two-factor")

    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    key = page.locator("#totp-key").get_attribute("data-key")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)

    page.locator("label[for=nav-toggle]").click()  # at 375 px "Sign out" sits behind "Menu"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login\?notice=signed-out$"))
    _password(page, stack)
    page.wait_for_url(f"{base_url(stack, PACIFIC)}/sign-in/two-factor")
    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    browser_context.allow_error("/sign-in/two-factor")  # the wrong code's 400, on purpose
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    # The step used to turn it on cannot be used again: the next one (accepted: ±1 step).
    page.get_by_label("Code from your authenticator app").fill(
        pyotp.TOTP(key).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url(stack, PACIFIC)}/")
    assert page.get_by_role("heading", name=re.compile("^Welcome")).is_visible()

    # Back to the seeded state: off with the password and a recovery code.
    page.goto(f"{base_url(stack, PACIFIC)}/preferences/two-factor")
    expect(page.get_by_role("button", name="Make new recovery codes")).to_be_visible()
    assert_accessible(page)  # with the new-codes form
    turn_off = page.locator("form[action$='/preferences/two-factor/disable']")
    turn_off.get_by_label("Password").fill(DEMO_PASSWORD)
    turn_off.get_by_label("Code from your app (or a recovery code)").fill(codes[0])
    page.get_by_role("button", name="Turn off two-factor sign-in").click()
    expect(page.get_by_role("status").first).to_contain_text("Two-factor sign-in is off")


def test_the_administrators_new_pages_are_accessible(stack, browser_context):
    page = sign_in(browser_context(), stack, "admin@example.com")  # ABC: optional
    page.goto(f"{base_url(stack)}/admin/settings")
    expect(page.get_by_role("group", name="Two-factor sign-in")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base_url(stack)}/admin/customers/C1001/logins")
    expect(page.get_by_role("cell", name=re.compile("retail@example.com"))).to_be_visible()
    assert_accessible(page)
