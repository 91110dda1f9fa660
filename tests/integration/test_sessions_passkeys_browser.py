"""Passkeys and sessions in Chromium on the local stack: register a passkey through Chromium's
virtual authenticator (CDP WebAuthn), sign in with it and no password; end another browser's
session from /preferences/sessions and see that browser signed out on its next click.
axe on every new page."""
import re

import pytest

from infra.local.seed import DEMO_PASSWORD

from .conftest import assert_accessible

pytestmark = [pytest.mark.stack, pytest.mark.browser]
LOGIN = "both@example.com"


def _url(stack, path):
    return f"http://localhost:{stack['port']}{path}"


def _new_page(chromium, errors):
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page


def _sign_in_with_password(page, stack):
    page.goto(_url(stack, "/login"))
    page.get_by_label("E-mail address or user name").fill(LOGIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(_url(stack, "/"))


def test_register_and_use_a_passkey_then_end_another_session(stack, chromium):
    errors = []
    context, page = _new_page(chromium, errors)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})["authenticatorId"]

    _sign_in_with_password(page, stack)
    page.goto(_url(stack, "/preferences"))
    page.get_by_role("link", name="Passkeys").click()
    page.wait_for_url(_url(stack, "/preferences/passkeys"))
    assert page.get_by_text("You have no passkeys yet.").is_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(_url(stack, "/preferences/passkeys?notice=added"))
    assert page.get_by_role("cell", name="Virtual key", exact=True).is_visible()
    assert page.get_by_text("Your passkey has been added.").is_visible()
    assert_accessible(page)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1 and credentials["credentials"][0]["isResidentCredential"]

    # Sign out, then back in with the passkey alone.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r".*/login\?notice=signed-out$"))
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(_url(stack, "/"))
    assert page.get_by_role("heading", name=re.compile("^Welcome")).is_visible()

    # A second browser signs in; the first ends it from the sessions page.
    other_context, other = _new_page(chromium, errors)
    _sign_in_with_password(other, stack)
    page.goto(_url(stack, "/preferences/sessions"))
    assert_accessible(page)
    rows = page.locator("table.data tbody tr")
    assert rows.filter(has_text="(this browser)").count() == 1
    others = rows.filter(has_not_text="(this browser)")
    before = others.count()
    assert before >= 1
    others.first.get_by_role("button").click()  # newest first: the second browser
    page.wait_for_url(_url(stack, "/preferences/sessions?notice=ended"))
    assert page.get_by_text("That session has been signed out.").is_visible()
    assert_accessible(page)

    # The ended browser's next click lands on the sign-in page.
    other.get_by_role("navigation", name="Main").get_by_role("link").first.click()
    other.wait_for_url(re.compile(r".*/login\?next=.*"))
    assert other.get_by_role("heading", name=re.compile("^Sign in to")).is_visible()
    other_context.close()

    # Both pages are usable on a 375 px phone: nothing wider than the screen.
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ("/preferences/sessions", "/preferences/passkeys"):
        page.goto(_url(stack, path))
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        assert_accessible(page)
    context.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors
