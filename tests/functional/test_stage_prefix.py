"""Pages and the admin API on API Gateway's own URL, whose paths carry the stage
("/api/login", "/api/api/v1/..."), and on a custom domain, whose paths do not
(chalicelib/web/middleware.py `path_prefix`)."""
import re

import pytest

from tests.api_support import make_token
from tests.apigateway_support import EXECUTE_API_HOST, ApiGatewayClient
from tests.support import PASSWORD, Browser, make_company, make_invoice, make_user, text

# Root-relative URLs a browser follows from a page.
LINK = re.compile(r'\s(?:href|src|action|formaction)="(/[^"]*)"')


def links(response):
    return LINK.findall(text(response))


@pytest.fixture
def execute_api(app, abc, monkeypatch):
    """ABC also answers on the stage's execute-api host (a Domain like any other), in a
    deployed stage: `__Secure-`/`__Host-` cookies."""
    monkeypatch.setenv("PORTAL_STAGE", "dev")
    make_company("abc", "ABC Appliance Service", ["localhost", EXECUTE_API_HOST])
    make_user("rita@example.com", accounts=[("abc", "C1")], name="Rita")
    make_invoice("abc", "INV-1", "C1", "2026-11-01")
    return Browser(ApiGatewayClient(app, stage="api"), host=EXECUTE_API_HOST)


def test_sign_in_page_on_the_execute_api_url_links_under_the_stage(execute_api):
    page = execute_api.get("/api/login")
    assert page.status_code == 200
    assert "Sign in to ABC Appliance Service" in text(page)
    found = links(page)
    assert "/api/login" in found  # the form's action
    assert found and all(link.startswith("/api/") for link in found), found
    # Every asset the page loads is reachable through the stage.
    for link in found:
        if link.startswith("/api/static/"):
            assert execute_api.get(link).status_code == 200, link
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Secure-portal_csrf=") and "Path=/api;" in cookie


def test_sign_in_customer_page_and_redirects_on_the_execute_api_url(execute_api):
    back = execute_api.get("/api/orders")
    assert back.status_code == 303
    assert back.headers["Location"] == "/api/login?next=/orders"
    execute_api.get(back.headers["Location"])
    signed_in = execute_api.post("/api/login", {"login": "rita@example.com",
                                                "password": PASSWORD, "next": "/orders"})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/api/orders"
    session = [c for c in ([signed_in.headers["Set-Cookie"]]
                           if isinstance(signed_in.headers["Set-Cookie"], str)
                           else signed_in.headers["Set-Cookie"])
               if c.startswith("__Secure-portal_session=")]
    assert session and "Path=/api;" in session[0] and "Secure" in session[0]

    orders = execute_api.get("/api/orders")
    assert orders.status_code == 200 and "INV-1" in text(orders)
    assert "/api/orders/INV-1" in links(orders)
    home = execute_api.get("/api/")
    assert home.status_code == 200 and "Welcome, Rita" in text(home)
    # Every page the home page links to answers through the stage (no 403 from API
    # Gateway for a link that left it, no 500).
    for link in sorted(set(links(home))):
        assert link.startswith("/api/"), link
        if "/logout" not in link:
            assert execute_api.get(link).status_code in (200, 303), link
    execute_api.get("/api/preferences")  # a page with the session's CSRF token
    signed_out = execute_api.post("/api/logout", {})
    assert signed_out.headers["Location"] == "/api/login?notice=signed-out"


def test_admin_api_on_the_execute_api_url(app, abc):
    client = ApiGatewayClient(app, stage="api")
    headers = {"Authorization": f"Bearer {make_token('platform')}"}
    answer = client.get("/api/api/v1/tokens", headers=headers)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    document = client.get("/api/api/v1/openapi.json").json_body
    assert document["servers"] == [{"url": "/api/"}]
    # "/api/v1/..." on this host is the stage "api" and a page "/v1/...": none exists.
    assert client.get("/api/v1/tokens", headers=headers).status_code == 404
    # Without the stage the request never reaches the app.
    assert client.get("/v1/tokens", headers=headers).status_code == 403


def test_custom_domain_paths_carry_no_prefix(app, abc):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser = Browser(ApiGatewayClient(app, host="localhost", stage="api", execute_api=False),
                      host="localhost")
    page = browser.get("/login")
    assert page.status_code == 200 and "/login" in links(page)
    assert not any(link.startswith("/api/") for link in links(page))
    assert browser.get("/orders").headers["Location"] == "/login?next=/orders"
    signed_in = browser.post("/login", {"login": "rita@example.com", "password": PASSWORD})
    assert signed_in.headers["Location"] == "/"
    assert browser.get("/orders").status_code == 200
    client = ApiGatewayClient(app, host="localhost", stage="api", execute_api=False)
    answer = client.get("/api/v1/tokens",
                        headers={"Authorization": f"Bearer {make_token('platform')}"})
    assert answer.status_code == 200
    assert client.get("/api/v1/openapi.json").json_body["servers"] == [{"url": "/"}]


def test_any_stage_name_works(app, abc):
    make_company("abc", "ABC Appliance Service", ["localhost", EXECUTE_API_HOST])
    browser = Browser(ApiGatewayClient(app, stage="v2"), host=EXECUTE_API_HOST)
    page = browser.get("/v2/login")
    assert page.status_code == 200
    assert all(link.startswith("/v2/") for link in links(page))
    client = ApiGatewayClient(app, stage="v2")
    assert client.get("/v2/api/v1/openapi.json").json_body["servers"] == [{"url": "/v2/"}]


def test_execute_api_host_of_no_company_shows_the_neutral_platform_page(app, abc):
    browser = Browser(ApiGatewayClient(app, stage="api"), host=EXECUTE_API_HOST)
    root = browser.get("/api/")
    assert root.status_code == 200 and "Customer portal" in text(root)
    assert "ABC" not in text(root)
    assert all(link.startswith("/api/") for link in links(root))
    login = browser.get("/api/login")
    assert login.status_code == 404 and "Page not found" in text(login)


def _request(public, routed, stage="api", host=EXECUTE_API_HOST):
    from chalice.app import Request

    return Request({"multiValueQueryStringParameters": None, "headers": {"host": host},
                    "pathParameters": None, "body": None, "stageVariables": None,
                    "path": routed,
                    "requestContext": {"httpMethod": "GET", "resourcePath": "/{p0}",
                                       "path": public, "stage": stage, "domainName": host}})


def test_prefix_when_the_two_paths_are_spelled_differently():
    from chalicelib.web.middleware import path_prefix

    assert path_prefix(_request("/api/search/A%20B", "/search/A B")) == "/api"
    # On a custom domain a different spelling is never taken for a stage.
    assert path_prefix(_request("/api/v1/x%20y", "/api/v1/x y", host="portal.example.com")) == ""
    assert path_prefix(_request("/api/", "/")) == "/api"
    assert path_prefix(_request("/login", "/login", host="portal.example.com")) == ""
    # Whatever is not a plain path is never written into links and cookies.
    assert path_prefix(_request('/a"b/login', "/login")) == ""
