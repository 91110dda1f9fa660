"""The request context: a signed-in page reads its session, then one BatchGetItem for the
user, membership, bill-to, web access and dealer codes; at most 4 DynamoDB calls a page;
an administrator's or the ERP's change applies to the very next request; and every page
answers a bad cursor the same way."""
import pytest

from chalicelib.models import Customer, Dealer, WebAccess
from chalicelib.repositories import accounts, dealers, users
from chalicelib.repositories.keys import account_pk
from chalicelib.services import portal_access
from chalicelib.web.guards import OUT_OF_DATE_LINK
from tests.support import NOW, calls_of, link_dealer, make_invoice, make_user, set_pages, text

UPDATED = "2026-11-20T10:00:00Z"


def customer_rows(customer_no, name):
    rows = [Customer(account_pk("abc", customer_no), location, company_id="abc",
                     customer_no=customer_no, name=name,
                     name_key=f"{name.lower()}#{customer_no}#{location}",
                     location_name=label, city="Springfield")
            for location, label in (("MAIN", "Main office"), ("LAKE", "Lake house"))]
    for row in accounts.with_location_list(rows):  # as the ERP import writes them
        row.save()


@pytest.fixture
def rita(browser, abc):
    """A retail customer with open and closed invoices, signed in."""
    set_pages(abc, open_parts=True, search_all=True)
    make_user("rita@example.com", accounts=[("abc", "C1")])
    WebAccess(account_pk("abc", "C1"), access_type="Retail", search_all=True).save()
    customer_rows("C1", "Rita's Kitchen")
    make_invoice("abc", "W1", "C1", "2026-11-01", dealer="DLR1",
                 lines=[("WP1", "Gasket", 2, 1, 2500)])
    make_invoice("abc", "W2", "C1", "2026-10-01", state="closed", status="Completed",
                 dealer="DLR1")
    browser.sign_in("rita@example.com")
    return browser


@pytest.fixture
def dan(app, abc):
    """A sub-dealer account linked to dealer record DLR1, signed in on its own client."""
    from chalice.test import Client

    from tests.support import Browser

    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    customer_rows("D1", "Dan's Dealership")
    link_dealer("abc", "DLR1", "D1")
    with Client(app, stage_name="local") as client:
        dealer = Browser(client, host="localhost")
        dealer.sign_in("dan@example.com")
        yield dealer


# Every customer and dealer page keeps to the budget: the session, the request context's
# one BatchGetItem (which also reads the account's AR totals and its reservation item with
# the unapplied portal payments, repositories/request_context.py), and at most two reads
# of the page's own (README "Customer pages (`bench/pages.py`)").
CUSTOMER_PAGES = ["/", "/account", "/account/history", "/account/pay", "/orders", "/history",
                  "/orders/W1", "/open-parts", "/purchases", "/equipment", "/search/W1"]
DEALER_PAGES = ["/dealer/orders", "/dealer/history", "/dealer/customers/C1",
                "/dealer/orders/W1"]


@pytest.mark.parametrize("path", CUSTOMER_PAGES)
def test_customer_pages_cost_at_most_four_dynamodb_calls(rita, path):
    calls_of(rita, path)  # warm: the tenant cache
    operations = calls_of(rita, path)
    assert len(operations) <= 4, operations
    assert [op for op, _table in operations[:2]] == ["GetItem", "BatchGetItem"]


@pytest.mark.parametrize("path", DEALER_PAGES)
def test_dealer_pages_cost_at_most_four_dynamodb_calls(rita, dan, path):
    calls_of(dan, path)
    operations = calls_of(dan, path)
    assert len(operations) <= 4, operations


def test_statements_page_costs_at_most_four_dynamodb_calls(rita):
    """Session, context (with the AR totals: open credits and the past statements' list), one
    ledger Query (the period, its opening balance and what came after), the open invoices."""
    calls_of(rita, "/statements")  # an item from before the statements' list stores it once
    operations = calls_of(rita, "/statements")
    assert len(operations) <= 4, operations
    assert ("Query", "portal-payments") not in operations  # the portal payments came with the context
    assert ("Query", "statements") not in operations


@pytest.mark.parametrize("path", ["/", "/account", "/account/pay", "/account/history", "/orders",
                                  "/orders/W1"])
def test_balance_pages_with_unapplied_portal_payments_keep_to_the_budget(rita, path):
    """A payment made here and not yet applied by the ERP is read with the request context
    (the account's reservation item), not by a Query of its own."""
    from chalicelib import clock
    from chalicelib.models import Payment, PaymentReservations
    from chalicelib.repositories import payments as payments_repo

    now = clock.utcnow()
    payment = Payment("abc", "0" * 12 + "paidhere0001", customer_no="C1", customer_pk="abc#C1",
                      user_id="u", method="card", status="reviewed", amount_cents=1000,
                      allocations={"W1": 1000}, kind="payment", created_at=now, updated_at=now)
    assert payments_repo.create_reviewed(payment)
    holds = payments_repo.read_holds("abc", "C1")
    assert payments_repo.reserve_and_confirm(payment, holds, "token") == payments_repo.RESERVED
    assert PaymentReservations.get("abc#C1").version == 1
    calls_of(rita, path)
    operations = calls_of(rita, path)
    assert len(operations) <= 4, operations
    assert ("Query", "portal-payments") not in operations
    if path == "/account":
        assert "Payments being processed" in text(rita.last)
    if path == "/orders/W1":
        assert "Payment (processing)" in text(rita.last)


def test_a_signed_in_request_reads_the_session_then_one_batch_for_everything_else(rita):
    rita.get("/history")
    operations = calls_of(rita, "/history")
    session, context = operations[0], operations[1]
    assert session == ("GetItem", "portal-sessions")
    assert context[0] == "BatchGetItem"
    # The location filter came with the bill-to: no Query of the customer's rows.
    assert ("Query", "portal-customers") not in operations
    assert "Lake house" in text(rita.last)


def test_inactivating_the_account_refuses_the_very_next_request(rita, abc):
    assert rita.get("/orders").status_code == 200
    admin = make_user("ada@example.com", admin_of=["abc"])
    portal_access.set_portal_access(abc, "C1", False, admin, "127.0.0.1", NOW.timestamp())
    response = rita.get("/orders")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert not rita.signed_in


def test_an_inactive_membership_alone_refuses_the_next_request(rita):
    membership = users.get_membership_by_pk("u-rita-example.com", "abc#C1")
    users.set_membership_status(membership, "inactive")
    assert rita.get("/history").status_code == 303


def test_an_inactive_user_is_refused_on_the_next_request(rita):
    user = users.get_user("u-rita-example.com")
    users.update_user(user, active=False)
    response = rita.get("/orders")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_a_web_access_change_applies_on_the_very_next_request(rita, abc):
    admin = make_user("ada@example.com", admin_of=["abc"])
    assert rita.get("/search").status_code == 200
    form = portal_access.WebAccessForm(access_type="Retail", search_all=False,
                                       pages={"history": False})
    assert portal_access.save_web_access(abc, "C1", form, admin, "127.0.0.1",
                                         NOW.timestamp()) is None
    assert rita.get("/search").status_code == 404
    assert rita.get("/history").status_code == 404
    assert 'href="/history"' not in text(rita.get("/orders"))


def test_dealer_links_by_the_administrator_apply_on_the_next_request(rita, dan):
    assert "W1" in text(dan.get("/dealer/orders"))
    dealer = dealers.get("abc", "DLR1")
    dealers.unlink(dealer, "D1")
    assert dan.get("/dealer/orders").status_code == 404
    dealers.link(dealer, "D1")
    assert "W1" in text(dan.get("/dealer/orders"))


def test_dealer_links_pushed_by_the_erp_apply_on_the_next_request(rita, dan, api):
    record = {"dealer_code": "DLR1", "name": "Dealer DLR1", "linked_customer_nos": ["D2"],
              "updated_at": UPDATED}
    assert api.batch("abc", "dealers", [record]).outcomes() == ["updated"]
    assert dan.get("/dealer/orders").status_code == 404
    relinked = dict(record, linked_customer_nos=["D1", "D2"], updated_at="2026-11-21T10:00:00Z")
    assert api.batch("abc", "dealers", [relinked]).outcomes() == ["updated"]
    assert "W1" in text(dan.get("/dealer/orders"))
    assert Dealer.get("abc", "DLR1").linked_customer_nos == ["D1", "D2"]


LIST_PAGES = ["/orders", "/history", "/open-parts", "/account", "/account/history",
              "/purchases"]


@pytest.mark.parametrize("path", LIST_PAGES)
def test_a_bad_cursor_gets_the_same_branded_400_on_every_customer_list(rita, path):
    response = rita.get(f"{path}?after=bm90LWEtY3Vyc29y")
    assert response.status_code == 400
    page = text(response)
    assert OUT_OF_DATE_LINK in page
    assert 'href="/orders"' in page  # the signed-in menu is kept on the error page


@pytest.mark.parametrize("path", ["/dealer/orders", "/dealer/history"])
def test_a_bad_cursor_gets_the_same_400_on_the_dealer_lists(rita, dan, path):
    response = dan.get(f"{path}?after=bm90LWEtY3Vyc29y")
    assert response.status_code == 400 and OUT_OF_DATE_LINK in text(response)


def test_an_edited_opening_balance_is_an_out_of_date_link(rita):
    response = rita.get("/account/history?opening=twelve")
    assert response.status_code == 400 and OUT_OF_DATE_LINK in text(response)


@pytest.mark.parametrize("path", ["/admin/customers?retrieve=1&after=bm90LWEtY3Vyc29y",
                                  "/admin/dealers?after=bm90LWEtY3Vyc29y",
                                  "/admin/audit?after=bm90LWEtY3Vyc29y",
                                  "/admin/payments?after=bm90LWEtY3Vyc29y"])
def test_a_bad_cursor_gets_the_same_400_on_the_admin_lists(browser, abc, path):
    make_user("ada@example.com", admin_of=["abc"])
    browser.sign_in("ada@example.com")
    response = browser.get(path)
    assert response.status_code == 400 and OUT_OF_DATE_LINK in text(response)
