"""Branding in Chromium on the local stack: each demo company looks like itself, an
administrator uploads a logo straight to S3 (moto), and one login switches companies.

Screenshots go to a temporary directory (printed with -s) for a person to look at;
the tests compare what the browser computed (header colour, loaded images).
"""
import html
import re

import pyotp
import pytest
import requests

from infra.local.seed import COMPANIES, DEMO_PASSWORD, DEMO_TOTP_KEYS
from tests.support import png

from .browser_support import assert_accessible, base_url, sign_in

pytestmark = [pytest.mark.stack, pytest.mark.browser]

SPECS = {spec["company_id"]: spec for spec in COMPANIES}
HOSTS = {"abc": "localhost", "pacific": "pacific.localhost"}
CUSTOMERS = {"abc": "retail@example.com", "pacific": "both@example.com"}


def rgb(hex_color):
    return "rgb({}, {}, {})".format(*(int(hex_color[i:i + 2], 16) for i in (1, 3, 5)))


def header_colour(page):
    return page.evaluate("getComputedStyle(document.querySelector('.masthead')).backgroundColor")


def image_loaded(page, selector):
    return page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0")


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brand-screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.mark.parametrize("company_id", ["abc", "pacific"])
def test_each_demo_company_shows_its_own_brand_on_home_and_orders(stack, browser_context, shots,
                                                                  company_id):
    spec, host = SPECS[company_id], HOSTS[company_id]
    page = sign_in(browser_context(), stack, CUSTOMERS[company_id], host=host)
    page.wait_for_load_state("load")
    assert header_colour(page) == rgb(spec["primary_color"])
    assert page.get_by_text(spec["welcome"]).is_visible()
    assert image_loaded(page, f"img.brand-logo[alt='{spec['name']}']")
    assert image_loaded(page, "img.hero-image")
    favicon = page.locator("link[rel=icon]").get_attribute("href")
    assert f"/assets/{company_id}/favicon/" in favicon
    assert requests.get(favicon, timeout=10).headers["Cache-Control"] == \
        "public, max-age=31536000, immutable"
    page.screenshot(path=str(shots / f"{company_id}-home.png"), full_page=True)
    assert_accessible(page)

    page.goto(f"{base_url(stack, host)}/orders")
    assert page.get_by_role("heading", name="Current Orders").is_visible()
    assert header_colour(page) == rgb(spec["primary_color"])
    tile_accent = page.evaluate("getComputedStyle(document.documentElement)"
                                ".getPropertyValue('--accent').trim()")
    assert tile_accent == spec["accent_color"]
    page.screenshot(path=str(shots / f"{company_id}-orders.png"), full_page=True)
    assert_accessible(page)


def test_the_two_demo_companies_look_different(stack):
    pages = {c: requests.get(f"{stack['url']}/login", headers={"Host": HOSTS[c]}, timeout=10).text
             for c in HOSTS}
    logos = {c: re.search(r'class="brand"[^>]*>\s*<img src="([^"]+)"', pages[c]).group(1)
             for c in HOSTS}
    assert logos["abc"] != logos["pacific"]
    assert SPECS["abc"]["primary_color"] != SPECS["pacific"]["primary_color"]
    for company_id, text in pages.items():
        assert SPECS[company_id]["welcome"] in html.unescape(text), company_id


def test_the_switcher_takes_a_login_from_abc_to_pacific_and_back_without_a_password(stack,
                                                                                     browser_context):
    page = sign_in(browser_context(), stack, "both@example.com", host="localhost")
    assert header_colour(page) == rgb(SPECS["abc"]["primary_color"])
    page.get_by_text("Switch company").click()
    page.get_by_role("button", name="Pacific Distribution").click()
    page.wait_for_url(f"{base_url(stack, 'pacific.localhost')}/")
    assert page.get_by_text("#P5001").is_visible()
    assert header_colour(page) == rgb(SPECS["pacific"]["primary_color"])
    assert page.get_by_label("Password").count() == 0
    page.get_by_text("Switch company").click()
    page.get_by_role("button", name="ABC Appliance Service").click()
    page.wait_for_url(f"{base_url(stack, 'localhost')}/")
    assert page.get_by_text("#C1002").is_visible()
    assert header_colour(page) == rgb(SPECS["abc"]["primary_color"])
    assert_accessible(page)


def test_an_administrator_uploads_a_logo_from_the_browser_publishes_and_restores(
        stack, browser_context, tmp_path):
    """Through the presigned POST to the local stack's moto server, then back."""
    host = "pacific.localhost"
    page = browser_context().new_page()
    page.goto(f"{base_url(stack, host)}/login")
    # Pacific requires two-factor of its administrators: its demo administrator Pat has it.
    page.get_by_label("E-mail address or user name").fill("pat@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base_url(stack, host)}/sign-in/two-factor")
    page.get_by_label("Code from your authenticator app").fill(
        pyotp.TOTP(DEMO_TOTP_KEYS["pat@example.com"]).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base_url(stack, host)}/")
    page.goto(f"{base_url(stack, host)}/admin/theme")
    assert_accessible(page)
    upload_form = page.locator("form[data-image-upload=logo]")
    assert upload_form.get_attribute("action").startswith(f"http://127.0.0.1:{stack['moto_port']}/")

    # An SVG is stopped in the browser before it leaves...
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    (tmp_path / "logo.svg").write_bytes(svg)
    page.get_by_label("New logo").set_input_files(str(tmp_path / "logo.svg"))
    page.get_by_role("button", name="Upload the logo").click()
    assert "Only PNG, JPEG or WebP" in upload_form.get_by_role("status").inner_text()
    # ...and one named .png reaches S3 but is refused by the server's check of the bytes.
    (tmp_path / "disguised.png").write_bytes(svg)
    page.get_by_label("New logo").set_input_files(str(tmp_path / "disguised.png"))
    page.get_by_role("button", name="Upload the logo").click()
    page.wait_for_url("**/admin/theme/image")
    browser_context.allow_error("/admin/theme/image")  # the 400 answer itself
    assert page.get_by_role("alert").get_by_text("SVG images are not accepted").is_visible()

    logo = tmp_path / "new-logo.png"
    logo.write_bytes(png((120, 20, 160), size=24))
    page.get_by_label("New logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload the logo").click()
    page.wait_for_url("**/admin/theme?notice=image")
    assert page.get_by_text("Image checked and added to the draft").is_visible()
    draft_logo = page.get_by_role("img", name="Current logo").get_attribute("src")
    assert re.search(r"/assets/pacific/logo/[0-9a-f]{32}\.png$", draft_logo)

    page.get_by_role("link", name="Preview the draft").click()
    assert page.locator("img.brand-logo").get_attribute("src") == draft_logo
    page.get_by_role("link", name="Back to the theme editor").click()
    page.get_by_role("button", name="Publish the draft").click()
    page.wait_for_url("**/admin/theme?notice=published")
    customer = sign_in(browser_context(), stack, "both@example.com", host=host)
    assert customer.locator("img.brand-logo").get_attribute("src") == draft_logo
    assert image_loaded(customer, "img.brand-logo")

    # Roll back to the seeded theme (version 1): the demo looks as before for other tests.
    page.get_by_role("button", name="Restore version 1").click()
    page.wait_for_url("**/admin/theme?notice=restored")
    customer.reload()
    assert customer.locator("img.brand-logo").get_attribute("src") != draft_logo


def test_the_theme_bucket_cors_rule_admits_only_the_companies_origins(stack):
    """moto runs with MOTO_DISABLE_GLOBAL_CORS: only the bucket's own rule answers."""
    bucket = f"http://127.0.0.1:{stack['moto_port']}/portal-theme-assets"
    allowed = requests.options(bucket, timeout=10, headers={
        "Origin": f"http://pacific.localhost:{stack['port']}",
        "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == \
        f"http://pacific.localhost:{stack['port']}"
    refused = requests.options(bucket, timeout=10, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_the_platform_host_names_no_company(stack):
    page = requests.get(f"{stack['url']}/", headers={"Host": "portal.localhost"}, timeout=10)
    assert page.status_code == 200 and "Customer portal" in page.text
    assert "ABC" not in page.text and "Pacific" not in page.text
