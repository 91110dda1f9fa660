"""What every response carries; CSRF; error pages."""
import re

from chalice import Chalice
from chalice.test import Client

from chalicelib.web.middleware import portal_pipeline
from tests.support import Browser, make_user, text


def test_every_response_carries_the_security_headers(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    for response in (browser.get("/login"), browser.get("/nowhere"),
                     browser.sign_in("rita@example.com"), browser.get("/")):
        csp = response.headers["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert "'unsafe-inline'" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_inline_styles_carry_the_nonce_of_the_policy(browser):
    response = browser.get("/login")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in text(response)
    assert nonce != re.search(r"'nonce-([^']+)'",
                              browser.get("/login").headers["Content-Security-Policy"]).group(1)


def test_a_post_without_the_csrf_token_is_refused(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/login")
    response = browser.post("/login", {"login": "rita@example.com",
                                       "password": "correct horse battery"}, csrf=False)
    assert response.status_code == 403
    assert "refused" in text(response)


def test_a_signed_in_post_needs_the_token_of_its_own_session(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    assert browser.post("/logout", {"csrf_token": "forged"}).status_code == 403
    assert browser.get("/").status_code == 200  # still signed in


def test_a_cross_site_post_is_refused_even_with_a_token(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/login")
    token = browser.csrf_token()
    cross_site = browser.post("/login", {"login": "rita@example.com", "csrf_token": token,
                                         "password": "correct horse battery"},
                              headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    other_origin = browser.post("/login", {"login": "rita@example.com", "csrf_token": token,
                                           "password": "correct horse battery"},
                                headers={"Sec-Fetch-Site": None,
                                         "Origin": "https://evil.example"})
    assert other_origin.status_code == 403


def test_no_state_changes_on_get(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    assert browser.get("/logout").status_code == 405
    assert browser.get("/").status_code == 200


def test_an_unexpected_error_shows_the_branded_500_page_without_a_trace(aws, abc):
    broken = Chalice(app_name="broken")
    broken.register_middleware(portal_pipeline, "http")

    @broken.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    with Client(broken, stage_name="local") as client:
        response = Browser(client).get("/boom")
    assert response.status_code == 500
    page = text(response)
    assert "Something went wrong on our side" in page and "ABC Appliance Service" in page
    assert "secret detail" not in page and "Traceback" not in page


def test_portal_css_is_served_under_a_content_hash_and_cached_for_a_year(browser):
    href = re.search(r'href="(/static/[^"]+portal\.css)"', text(browser.get("/login"))).group(1)
    response = browser.get(href)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert browser.get("/static/000000000000/portal.css").status_code == 404
