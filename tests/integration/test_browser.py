"""Playwright in Debian's Chromium: first login → forced password change → home."""
import pytest

from infra.local.seed import FIRST_LOGINS


@pytest.mark.parametrize("company, user_name, first_password", FIRST_LOGINS)
def test_first_login_forces_a_password_change_then_shows_home(stack, chromium, company,
                                                              user_name, first_password):
    host = "localhost" if company == "abc" else "pacific.localhost"
    name = "ABC Appliance Service" if company == "abc" else "Pacific Distribution"
    context = chromium.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"http://{host}:{stack['port']}/login")
    assert page.get_by_role("heading", name=f"Sign in to {name}").is_visible()
    page.get_by_label("E-mail address or user name").fill(user_name)
    page.get_by_label("Password").fill(first_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/change-password")
    assert page.get_by_text("replace the temporary password").is_visible()
    page.get_by_label("Temporary password").fill(first_password)
    page.get_by_label("New password", exact=True).fill("my very own words 2026")
    page.get_by_label("Repeat the new password").fill("my very own words 2026")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/?notice=password-changed")
    assert page.get_by_role("heading", name="Welcome").is_visible()
    assert page.get_by_text("Your password has been changed").is_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Current Orders").is_visible()
    page.wait_for_load_state("load")
    logo = page.get_by_role("img", name=name)
    assert logo.evaluate("img => img.naturalWidth > 0")  # the logo came from the theme bucket
    page.screenshot(path=f"/tmp/portal-{company}-home.png", full_page=True)
    assert not errors, errors  # e.g. no CSP violations
    context.close()
