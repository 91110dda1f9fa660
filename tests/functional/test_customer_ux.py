"""What a customer notices: the home dashboard, forms that keep what was typed,
branded error pages and payment result pages that say plainly what happened."""
import re
from datetime import date, timedelta

import pytest

from chalicelib import dynamo_metrics
from chalicelib.models import LedgerEntry, Payment
from chalicelib.repositories.keys import account_pk
from tests.payment_support import ACH_OK, CARD_DECLINED, pay_form_fields, post_lists, review_and_authorize
from tests.support import NOW, make_invoice, make_user, set_pages, text

LINES = [("WP100", "Door gasket for washer", 2, 0, 2500), ("WP200", "Drain pump", 1, 1, 8000)]


def days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def main_text(response) -> str:
    """The page's <main>, tags dropped and spaces folded (what a reader sees)."""
    body = text(response)
    main = body[body.index("<main"):body.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


@pytest.fixture
def rita(browser, abc):
    make_user("rita@example.com", accounts=[("abc", "C1001")], name="Rita Retail")
    return browser


def signed_in(browser):
    browser.sign_in("rita@example.com")
    return browser


# ------------------------------------------------------------------ dashboard
def test_home_shows_what_is_owed_ready_and_waiting(rita):
    make_invoice("abc", "W1", "C1001", days(-50), status="Scheduled", balance=10000,
                 due=days(-20))
    make_invoice("abc", "W2", "C1001", days(-10), status="Ready", balance=5000, due=days(12))
    make_invoice("abc", "W3", "C1001", days(-5), status="Awaiting parts", lines=LINES,
                 balance=0)
    make_invoice("abc", "W4", "C1001", days(-90), state="closed", status="Completed", balance=0)
    make_invoice("abc", "X1", "C2002", days(-3), status="Ready")  # someone else's
    LedgerEntry(account_pk("abc", "C1001"), f"{days(-30)}#e1", kind="payment", reference="W0",
                amount_cents=-4200, entry_date=days(-30), erp_updated_at=NOW).save()
    page = main_text(signed_in(rita).get("/"))
    assert "Balance due $150.00" in page
    assert "$100.00 is past due" in page
    assert "Next due date:" in page
    assert re.search(r'<a class="button" href="/account/pay">Pay now</a>', text(rita.last))
    # Open orders by status, what can be picked up first; only this account's.
    assert "Open orders 3 Ready for pickup 1 Awaiting parts 1 Scheduled 1" in page
    assert 'href="/orders?status=Ready"' in text(rita.last)
    assert "Back-ordered parts 1 line 2 × WP100 Door gasket for washer Invoice W3" in page
    assert "Last payment $42.00" in page and "Recorded by ABC Appliance Service" in page


def test_a_payment_made_here_is_the_last_payment_until_the_erp_applies_it(rita):
    make_invoice("abc", "W1", "C1001", days(-10), balance=10000, due=days(20))
    LedgerEntry(account_pk("abc", "C1001"), f"{days(-30)}#e1", kind="payment", reference="W0",
                amount_cents=-4200, entry_date=days(-30), erp_updated_at=NOW).save()
    from chalicelib import clock
    Payment("abc", "p1", customer_no="C1001", customer_pk=account_pk("abc", "C1001"),
            user_id="u", method="card", status="approved", amount_cents=3000,
            allocations={"W1": 3000}, unapplied_pk=account_pk("abc", "C1001"),
            created_at=clock.utcnow(), updated_at=clock.utcnow()).save()
    page = main_text(signed_in(rita).get("/"))
    assert "Balance due $70.00" in page
    assert "Last payment $30.00" in page and "Paid here by card" in page


def test_home_without_payments_or_balance_offers_no_pay_now(rita, abc):
    set_pages(abc, payments=False)
    make_invoice("abc", "W1", "C1001", days(-10), balance=10000, due=days(20))
    page = text(signed_in(rita).get("/"))
    assert "Pay now" not in page and "/account/pay" not in page
    assert "Order parts" not in page and "Request service" not in page  # not in the menu


def test_home_costs_the_same_dynamodb_calls_for_few_and_many_orders(rita):
    make_invoice("abc", "W1", "C1001", days(-10), balance=10000, due=days(20))
    signed_in(rita).get("/")
    dynamo_metrics.start()
    rita.get("/")
    few = [op for op, _ in dynamo_metrics.current().operations]
    for n in range(150):
        make_invoice("abc", f"Z{n:03d}", "C1001", days(-n), status="Ready", lines=LINES,
                     due=days(30 - n))
    dynamo_metrics.start()
    page = main_text(rita.get("/"))
    many = [op for op, _ in dynamo_metrics.current().operations]
    # The request's own reads (session, user, account...) and 5 for the dashboard.
    assert few == many and len(few) <= 10, (few, many)
    assert "Open orders 151 Ready for pickup 150" in page


# ------------------------------------------------------------ forms keep input
def assert_field_error(page: str, input_id: str, message: str):
    """The input is marked invalid and described by a message printed next to it."""
    tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag, tag
    assert f'aria-describedby="{input_id}-error' in tag, tag
    assert re.search(rf'<p class="field-error" id="{input_id}-error">[^<]*{re.escape(message)}',
                     page), page


@pytest.mark.parametrize("path, title", [("/orders", "Current Orders"), ("/history", "History"),
                                         ("/account/history", "Account History"),
                                         ("/purchases", "Purchase History")])
def test_a_from_date_after_the_to_date_shows_the_same_form_with_the_dates(rita, path, title):
    response = signed_in(rita).get(f"{path}?from=2026-11-02&to=2026-11-01")
    page = text(response)
    assert response.status_code == 400
    assert f"<h1>{title}</h1>" in page
    assert 'value="2026-11-02"' in page and 'value="2026-11-01"' in page
    assert_field_error(page, "f-from", "The From date must be on or before the To date.")
    assert 'aria-label="Main"' in page and 'href="/orders"' in page  # the menu is still there


def test_a_bad_date_keeps_the_other_search_fields(rita):
    page = text(signed_in(rita).get("/orders?po=PO-7&from=2026-13-45&status=Ready"))
    assert rita.last.status_code == 400
    assert 'value="PO-7"' in page and "<option selected>Ready</option>" in page
    assert_field_error(page, "f-from", "From date: use a date like 2026-11-23.")


def test_too_long_a_search_is_marked_on_its_field(rita):
    page = text(signed_in(rita).get("/purchases?q=" + "x" * 61))
    assert rita.last.status_code == 400 and 'value="' + "x" * 61 + '"' in page
    assert_field_error(page, "f-q", "at most 60 characters")


def test_a_wrong_current_password_on_preferences_stays_on_preferences(rita):
    signed_in(rita).get("/preferences")
    response = rita.post("/change-password", {"current": "nope", "password": "a new sentence here",
                                              "confirm": "a new sentence here",
                                              "return_to": "preferences"})
    page = text(response)
    assert response.status_code == 400 and "<h1>Preferences</h1>" in page
    assert_field_error(page, "current", "Your current password is not correct.")
    response = rita.post("/change-password", {"current": "correct horse battery",
                                              "password": "a new sentence here",
                                              "confirm": "another sentence"})
    assert "<h1>Change your password</h1>" in text(response)
    assert_field_error(text(response), "confirm", "do not match")


def test_an_error_page_keeps_the_company_and_the_menu(rita):
    response = signed_in(rita).get("/orders/NO-SUCH-INVOICE")
    page = text(response)
    assert response.status_code == 404 and "Page not found" in page
    assert 'aria-label="Main"' in page and 'href="/account"' in page
    assert 'name="csrf_token" value=""' not in page  # its Sign out button works


# ------------------------------------------------------------------ payments
@pytest.fixture
def payer(rita, emergepay):
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=10000, due="2026-10-01")
    make_invoice("abc", "W200", "C1001", "2026-10-01", balance=5000, due="2026-11-01")
    return signed_in(rita)


def test_too_large_an_amount_says_so_and_keeps_the_form(payer):
    fields = pay_form_fields(payer, amount="99999999999", billing_zip="62704")
    response = post_lists(payer, "/account/pay", fields)
    page = text(response)
    assert response.status_code == 400
    assert 'value="99999999999"' in page and 'value="62704"' in page
    assert_field_error(page, "amount", "That amount is too large")
    assert 'aria-describedby="amount-error amount-help"' in page
    assert "Enter the amount in dollars and cents" not in page
    assert not list(Payment.query("abc"))


def test_a_bad_billing_zip_is_marked_and_the_ticked_invoices_stay_ticked(payer):
    fields = pay_form_fields(payer, invoice=["W200"], billing_zip="!")
    response = post_lists(payer, "/account/pay", fields)
    page = text(response)
    assert response.status_code == 400
    assert_field_error(page, "billing_zip", "Enter the billing ZIP code")
    assert re.search(r'value="W200" id="inv-W200"[^>]* checked', page)
    assert not re.search(r'value="W100" id="inv-W100"[^>]* checked', page)


def test_invoice_numbers_sit_in_the_cell_of_their_check_box(payer):
    page = text(payer.get("/account/pay"))
    assert re.search(r'<td data-label="Pay" class="pay-check"><input type="checkbox" '
                     r'name="invoice" value="W100" id="inv-W100"[^>]*> '
                     r'<label for="inv-W100">W100</label></td>', page)


def test_a_declined_payment_says_nothing_was_charged(payer, emergepay):
    _, fields = review_and_authorize(payer, emergepay,
                                     pay_form_fields(payer, invoice=["W100"]), CARD_DECLINED)
    result = payer.get(post_lists(payer, "/account/pay/confirm", fields).headers["Location"])
    page = main_text(result)
    assert "Your payment was not made" in page and "Nothing was charged" in page
    assert "Try another card or bank account" in page
    assert "Receipt number" not in page and "Receipt e-mailed" not in page
    assert "Declined Declined" not in page and "receipt" not in page.lower()


def test_an_approved_payment_names_its_receipt_and_where_it_was_sent(payer, emergepay):
    _, fields = review_and_authorize(payer, emergepay, pay_form_fields(payer, invoice=["W100"]))
    result = payer.get(post_lists(payer, "/account/pay/confirm", fields).headers["Location"])
    page = main_text(result)
    assert "Thank you for your payment" in page
    assert f"Receipt number {fields['payment_id'].upper()}" in page
    assert re.search(r"(We e-mailed a receipt to|A receipt is on its way to) rita@example.com",
                     page)


def test_a_bank_payment_is_pending_settlement(payer, emergepay):
    _, fields = review_and_authorize(payer, emergepay, pay_form_fields(
        payer, invoice=["W200"], method="ach", account_type="Checking"), ACH_OK)
    result = payer.get(post_lists(payer, "/account/pay/confirm", fields).headers["Location"])
    page = main_text(result)
    assert "your bank payment is pending settlement" in page
    assert "Bank payments take a few business days to settle" in page
