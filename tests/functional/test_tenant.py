from chalicelib import dynamo_metrics
from tests.support import text


def test_login_page_shows_the_company_of_the_host(browser, pacific):
    assert "Sign in to ABC Appliance Service" in text(browser.get("/login"))
    browser.host = "pacific.localhost:8000"
    page = text(browser.get("/login"))
    assert "Sign in to Pacific Distribution" in page
    assert "#0b6e4f" in page  # Pacific's own colour


def test_host_port_and_case_are_ignored(browser):
    browser.host = "ABC.LocalHost:8000"
    response = browser.get("/login")
    assert response.status_code == 200
    assert "ABC Appliance Service" in text(response)


def test_unknown_host_gets_a_plain_404_that_names_no_company(browser, pacific):
    browser.host = "evil.example.com"
    response = browser.get("/login")
    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert "ABC" not in page and "Pacific" not in page


def test_the_company_of_a_host_is_cached_between_requests(browser):
    browser.get("/login")
    dynamo_metrics.start()
    browser.get("/login")
    tables = [table for _, table in dynamo_metrics.current().operations]
    assert not any(t.endswith(("domains", "companies")) for t in tables)


def test_unknown_path_gets_the_branded_404_page(browser):
    response = browser.get("/no/such/page")
    assert response.status_code == 404
    assert "ABC Appliance Service" in text(response)
    assert "Traceback" not in text(response)
