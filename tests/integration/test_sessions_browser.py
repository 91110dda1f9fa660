"""Sessions in Chromium on the local stack: end another browser's session from
/preferences/sessions and see that browser signed out on its next click. axe on the page."""
import re

import pytest

from infra.local.seed import DEMO_PASSWORD

from .browser_support import assert_accessible

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


def test_end_another_session_from_the_sessions_page(stack, chromium):
    errors = []
    context, page = _new_page(chromium, errors)
    _sign_in_with_password(page, stack)

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
    for path in ("/preferences/sessions",):
        page.goto(_url(stack, path))
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        assert_accessible(page)
    context.close()
    assert not [e for e in errors if "Failed to load resource" not in e], errors
