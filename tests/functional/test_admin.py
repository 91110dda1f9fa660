"""Dealer Administration: who may enter, Select Dealer, retrieve and filter customers."""
import pytest

from tests.support import ADMIN, make_customer, make_user, text


@pytest.fixture
def customers(abc, pacific):
    make_customer("abc", "C1", "Harper Family", emails=["harper@example.com", "bad-address"])
    make_customer("abc", "C2", "Harbor Diner", city="Chatham", emails=["diner@example.com"])
    make_customer("abc", "C2", "Harbor Diner", location="SHED", location_name="Storage shed",
                  city="Rochester")
    make_customer("abc", "C3", "Greenway Apartments", erp_active=False)
    make_customer("pacific", "P1", "Harbor Supply", emails=["supply@example.com"])


@pytest.fixture
def admin_browser(browser, customers):
    make_user(ADMIN, admin_of=["abc", "pacific"], name="Ada Admin")
    browser.sign_in(ADMIN)
    return browser


def rows(response):
    body = text(response)
    return body.count('<tr data-row-menu=')


def test_customer_user_gets_404_on_every_admin_page(browser, customers):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    for path in ("/admin", "/admin/customers", "/admin/customers?retrieve=1",
                 "/admin/customers/C1/invite", "/admin/settings", "/admin/audit",
                 "/admin/dealers", "/admin/customers/C1/web-access"):
        assert browser.get(path).status_code == 404, path


def test_anonymous_is_sent_to_sign_in(browser, customers):
    response = browser.get("/admin/customers")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/admin/customers")


def test_admin_of_another_company_gets_404_on_this_host(browser, customers):
    make_user("pat@pacific.example", admin_of=["pacific"])
    browser.host = "pacific.localhost"
    browser.sign_in("pat@pacific.example")
    assert browser.get("/admin/customers").status_code == 200
    browser.host = "localhost"  # the session is bound to pacific's host anyway
    assert browser.get("/admin/customers").status_code in (303, 404)


def test_retrieve_lists_one_row_per_location_with_a_name_prefix(admin_browser):
    response = admin_browser.get("/admin/customers?retrieve=1&name=HAR")
    assert response.status_code == 200
    body = text(response)
    assert rows(response) == 3  # Harbor Diner (2 locations) + Harper Family
    assert "Storage shed" in body and "Greenway" not in body
    assert "Harbor Supply" not in body  # pacific's customer


def test_nothing_is_read_before_retrieve(admin_browser):
    body = text(admin_browser.get("/admin/customers"))
    assert "press “Retrieve”" in body and rows(admin_browser.last) == 0


def test_post_retrieve_filters_are_case_insensitive_and_combine(admin_browser):
    assert rows(admin_browser.get("/admin/customers?retrieve=1&city=rochester")) == 1
    assert rows(admin_browser.get("/admin/customers?retrieve=1&cname=DINER")) == 2
    assert rows(admin_browser.get("/admin/customers?retrieve=1&erp=no")) == 1
    assert rows(admin_browser.get("/admin/customers?retrieve=1&number=c2&location=shed")) == 1
    assert rows(admin_browser.get("/admin/customers?retrieve=1&status=not_invited")) == 4
    assert rows(admin_browser.get("/admin/customers?retrieve=1&status=invited")) == 0


def test_contact_email_count_column(admin_browser):
    body = text(admin_browser.get("/admin/customers?retrieve=1&number=C1"))
    assert '<td data-label="Contact e-mails" class="num">2</td>' in body


def test_filters_run_over_the_whole_set_and_page(admin_browser, abc):
    for n in range(130):
        make_customer("abc", f"K{n:03}", f"Kettle Co {n:03}", city="Decatur" if n % 2 else "Peoria")
    first = admin_browser.get("/admin/customers?retrieve=1&name=kettle&city=decatur")
    assert rows(first) == 65  # every match, not only the first 100 retrieved rows
    everyone = admin_browser.get("/admin/customers?retrieve=1&name=kettle")
    assert rows(everyone) == 100 and 'rel="next"' in text(everyone)
    import re
    after = re.search(r'after=([^"&]+)', text(everyone)).group(1)
    second = admin_browser.get(f"/admin/customers?retrieve=1&name=kettle&after={after}")
    assert rows(second) == 30


def test_a_cursor_of_another_company_is_refused(admin_browser):
    from chalicelib.repositories import paging
    foreign = paging.encode({"company_id": {"S": "pacific"}, "name_key": {"S": "x"},
                             "pk": {"S": "pacific#P1"}, "location_id": {"S": "MAIN"}})
    assert admin_browser.get(f"/admin/customers?retrieve=1&after={foreign}").status_code == 400


def test_select_dealer_switches_the_managed_company(admin_browser):
    body = text(admin_browser.get("/admin/customers"))
    assert 'name="company_id"' in body and "Pacific Distribution" in body
    response = admin_browser.post("/admin/select-dealer", {"company_id": "pacific"})
    assert response.status_code == 303
    body = text(admin_browser.get("/admin/customers?retrieve=1&name=har"))
    assert "Harbor Supply" in body and "Harper Family" not in body


def test_select_dealer_refuses_a_company_not_managed(browser, customers, aws):
    from tests.support import make_company
    make_company("other", "Other Co", ["other.localhost"])
    make_user(ADMIN, admin_of=["abc"])
    browser.sign_in(ADMIN)
    assert browser.post("/admin/select-dealer", {"company_id": "other"}).status_code == 404
    assert browser.post("/admin/select-dealer", {"company_id": "pacific"}).status_code == 404


def test_single_company_admin_has_it_chosen_automatically(browser, customers):
    make_user(ADMIN, admin_of=["abc"])
    browser.sign_in(ADMIN)
    body = text(browser.get("/admin/customers"))
    assert 'name="company_id"' not in body and "ABC Appliance Service" in body


def test_admin_rights_removed_take_effect_at_once(admin_browser):
    from chalicelib.models import User
    user = User.get("u-" + ADMIN.replace("@", "-"))
    user.update(actions=[User.admin_company_ids.set({"pacific"})])
    assert admin_browser.get("/admin/customers").status_code == 404
