"""Passkeys in Chromium on the local stack, through Chromium's virtual authenticator (CDP
WebAuthn): add one from Preferences, sign out, sign in with it and no password, remove it.
axe on every new page, and the passkeys page at 375 px."""

import re

import pytest

from infra.local.seed import DEMO_PASSWORD

from .browser_support import assert_accessible

pytestmark = [pytest.mark.stack, pytest.mark.browser]
LOGIN = "both@example.com"


def _url(stack, path):
    return f"http://localhost:{stack['port']}{path}"


def _page_with_authenticator(chromium):
    """A page in a new context with Chromium's virtual authenticator (CTAP2, resident keys, user
    verified): (context, page, CDP session, authenticator id, console errors)."""
    errors = []
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})["authenticatorId"]
    return context, page, cdp, authenticator, errors


def test_add_a_passkey_sign_in_with_it_without_a_password_and_remove_it(stack, chromium):
    context, page, cdp, authenticator, errors = _page_with_authenticator(chromium)

    page.goto(_url(stack, "/login"))
    page.get_by_label("E-mail address or user name").fill(LOGIN)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(_url(stack, "/"))

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
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(_url(stack, "/"))
    assert page.get_by_role("heading", name=re.compile("^Welcome")).is_visible()

    # The passkeys page on a 375 px phone: nothing wider than the screen.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(_url(stack, "/preferences/passkeys"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)

    # Removed: listed no more, and a sign-in with it is refused with a message.
    page.get_by_role("button", name="Remove passkey Virtual key").click()
    page.wait_for_url(_url(stack, "/preferences/passkeys?notice=removed"))
    assert page.get_by_text("You have no passkeys yet.").is_visible()
    page.locator("label[for=nav-toggle]").click()  # at 375 px "Sign out" sits behind "Menu"
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r".*/login\?notice=signed-out$"))
    page.get_by_role("button", name="Sign in with a passkey").click()
    alert = page.locator("#passkey-error")
    alert.wait_for(state="visible")
    assert "not registered with this portal" in alert.inner_text()
    assert page.url.startswith(_url(stack, "/login"))
    context.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors


def test_a_passkey_instead_of_the_code_after_the_password(stack, chromium):
    """Pat (Pacific administrator, two-factor set up with the demo key) adds a passkey on
    Pacific's host and then proves the second factor with it instead of a code."""
    import pyotp

    from infra.local.seed import DEMO_TOTP_KEYS

    base = f"http://pacific.localhost:{stack['port']}"
    context, page, _cdp, _authenticator, errors = _page_with_authenticator(chromium)

    def password():
        page.goto(f"{base}/login")
        page.get_by_label("E-mail address or user name").fill("pat@example.com")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(f"{base}/sign-in/two-factor")

    password()
    assert page.get_by_role("button", name="Use a passkey instead").count() == 0  # none yet
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(DEMO_TOTP_KEYS["pat@example.com"]).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/(admin)?$"))
    page.goto(f"{base}/preferences/passkeys")
    page.get_by_label("Name").fill("Pat's key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(f"{base}/preferences/passkeys?notice=added")

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(re.compile(r".*/login\?notice=signed-out$"))
    password()
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey instead").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/(admin)?$"))

    # Back to the seeded state.
    page.goto(f"{base}/preferences/passkeys")
    page.get_by_role("button", name="Remove passkey Pat's key").click()
    page.wait_for_url(f"{base}/preferences/passkeys?notice=removed")
    context.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors
