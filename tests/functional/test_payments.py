"""Pay on account by card and ACH: pages, rules, receipts, administrators.

The app talks to the local emergepay stand-in over HTTP with its real gateway
client (PORTAL_EMERGEPAY_URL); the customer's typing into the hosted fields is
the stand-in's `authorize` (what its iframe posts).
"""
import pytest

from chalicelib.models import AuditEvent, Payment
from chalicelib.models.base import plain_dict
from chalicelib.payments import credentials
from chalicelib.services import tenant
from tests.payment_support import CARD_DECLINED, pay_form_fields, post_lists, review_and_authorize
from tests.support import make_invoice, make_user, sent_mail, text


@pytest.fixture
def rita(abc):
    make_user("rita@example.com", accounts=[("abc", "C1001")])
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=10000, due="2026-10-01")
    make_invoice("abc", "W200", "C1001", "2026-10-01", balance=5000, due="2026-11-01")
    make_invoice("abc", "W300", "C1001", "2026-11-01", balance=2500, due="2026-12-01")


@pytest.fixture
def signed_in(browser, rita, emergepay):
    browser.sign_in("rita@example.com")
    return browser


def payments():
    return list(Payment.query("abc"))


def allocations(payment):
    return {k: int(v) for k, v in plain_dict(payment.allocations).items()}


def test_customer_pays_two_selected_invoices_by_card_once(signed_in, emergepay):
    browser = signed_in
    fields = pay_form_fields(browser, invoice=["W100", "W200"])
    review, fields = review_and_authorize(browser, emergepay, fields)
    assert "You are paying $150.00" in text(review)
    assert "4111" not in text(review)
    answer = post_lists(browser, "/account/pay/confirm", fields)
    assert answer.status_code == 303
    result = browser.get(answer.headers["Location"])
    assert "Thank you for your payment" in text(result)
    assert f"Receipt number {fields['payment_id'].upper()}" in text(result)
    [payment] = payments()
    assert payment.payment_id == fields["payment_id"]
    assert (payment.status, payment.amount_cents, payment.feed_company) == ("approved", 15000, "abc")
    assert allocations(payment) == {"W100": 10000, "W200": 5000}
    assert payment.masked_account.endswith("1111") and payment.gateway_id
    assert list(emergepay.approved_sales()) == [payment.payment_id]
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["rita@example.com"]
    assert payment.payment_id.upper() in mail.subject
    account = text(browser.get("/account"))
    assert "Balance due: <span class=\"amount\">$25.00" in account  # only W300 left


def test_double_submit_and_refresh_charge_once(signed_in, emergepay):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay,
                                     pay_form_fields(browser, invoice=["W100"]))
    first = post_lists(browser, "/account/pay/confirm", fields)
    second = post_lists(browser, "/account/pay/confirm", fields)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(emergepay.approved_sales()) == 1 and len(payments()) == 1
    refreshed = browser.get(first.headers["Location"])
    assert "Thank you" in text(refreshed) and len(emergepay.approved_sales()) == 1
    back = post_lists(browser, "/account/pay", {k: v for k, v in fields.items()
                                                if k != "transaction_token"})
    assert back.status_code == 303 and back.headers["Location"] == first.headers["Location"]
    detail = text(browser.get("/orders/W100"))
    assert "Payment (being applied)" in detail and "$0.00" in detail


def test_amount_is_applied_oldest_first_and_shown_before_paying(signed_in, emergepay):
    browser = signed_in
    review, fields = review_and_authorize(browser, emergepay,
                                          pay_form_fields(browser, amount="120.00"))
    page = text(review)
    assert page.index("Invoice W100") < page.index("Invoice W200")
    assert "$100.00" in page and "$20.00" in page and "W300" not in page
    post_lists(browser, "/account/pay/confirm", fields)
    [payment] = payments()
    assert allocations(payment) == {"W100": 10000, "W200": 2000}
    assert "$55.00" in text(browser.get("/account"))  # 30.00 + 25.00 still due


def test_more_than_the_balance_needs_the_company_setting(signed_in, emergepay, abc):
    browser = signed_in
    refused = post_lists(browser, "/account/pay", pay_form_fields(browser, amount="200.00"))
    assert refused.status_code == 400 and "more than the open balance" in text(refused)
    abc.allow_payment_on_account = True
    abc.save()
    tenant.forget()
    review, fields = review_and_authorize(browser, emergepay,
                                          pay_form_fields(browser, amount="200.00"))
    assert "Credit on account" in text(review) and "$25.00" in text(review)
    post_lists(browser, "/account/pay/confirm", fields)
    [payment] = payments()
    assert payment.amount_cents == 20000 and sum(allocations(payment).values()) == 17500


def test_declined_card_charges_nothing_and_keeps_the_balance(signed_in, emergepay):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay,
                                     pay_form_fields(browser, invoice=["W100"]), CARD_DECLINED)
    result = browser.get(post_lists(browser, "/account/pay/confirm", fields).headers["Location"])
    assert "was not made" in text(result) and "Declined" in text(result)
    [payment] = payments()
    assert payment.status == "declined" and payment.unapplied_pk is None
    assert payment.feed_company is None and not emergepay.approved_sales()
    assert "$175.00" in text(browser.get("/account"))


def test_ach_payment_shows_pending_settlement(signed_in, emergepay):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay, pay_form_fields(
        browser, invoice=["W300"], method="ach", account_type="Savings"))
    result = browser.get(post_lists(browser, "/account/pay/confirm", fields).headers["Location"])
    assert "Pending settlement" in text(result)
    [payment] = payments()
    assert (payment.method, payment.account_type, payment.status) == ("ach", "Savings", "approved")
    assert "Pending settlement" in text(browser.get("/account"))
    assert "Pending settlement" in sent_mail()[0].body


def test_bad_input_gets_a_clear_400_and_nothing_is_stored(signed_in, emergepay):
    browser = signed_in
    for fields, message in [
            (pay_form_fields(browser), "Choose the invoices to pay"),
            (pay_form_fields(browser, invoice=["W999"]), "has no open balance"),
            (pay_form_fields(browser, amount="12,34.5x"), "dollars and cents"),
            (pay_form_fields(browser, invoice=["W100"], billing_zip=""), "ZIP"),
            (pay_form_fields(browser, invoice=["W100"], receipt_email="nope"), "e-mail"),
            (pay_form_fields(browser, invoice=["W100"], method="bitcoin"), "Choose how to pay"),
            (pay_form_fields(browser, invoice=["W100"], payment_id="zz"), "out of date")]:
        answer = post_lists(browser, "/account/pay", fields)
        assert answer.status_code == 400, message
        assert message in text(answer)
    assert payments() == []


def test_methods_are_offered_only_with_credentials(browser, rita, emergepay, aws):
    from chalicelib import aws as aws_clients

    aws_clients.client("secretsmanager").delete_secret(
        SecretId=credentials.secret_name("abc", "ach"), ForceDeleteWithoutRecovery=True)
    browser.sign_in("rita@example.com")
    page = text(browser.get("/account/pay"))
    assert 'value="card"' in page and 'value="ach"' not in page
    refused = post_lists(browser, "/account/pay", pay_form_fields(
        browser, invoice=["W100"], method="ach"))
    assert refused.status_code == 400
    aws_clients.client("secretsmanager").delete_secret(
        SecretId=credentials.secret_name("abc", "card"), ForceDeleteWithoutRecovery=True)
    assert "not available" in text(browser.get("/account/pay"))


def test_csp_allows_the_gateway_origin_only_on_the_review_page(signed_in, emergepay):
    browser = signed_in
    form = browser.get("/account/pay")
    assert "127.0.0.1" not in form.headers["Content-Security-Policy"]
    review = post_lists(browser, "/account/pay", pay_form_fields(browser, invoice=["W100"]))
    csp = review.headers["Content-Security-Policy"]
    origin = emergepay_origin(csp)
    assert f"frame-src 'self' {origin}" in csp and origin in csp.split("script-src")[1].split(";")[0]
    assert f'<script src="{origin}/cip-hosted-fields.js"' in text(review)


def emergepay_origin(csp):
    import re

    return re.search(r"frame-src 'self' (http://127\.0\.0\.1:\d+)", csp).group(1)


def test_the_stand_in_url_is_ignored_outside_the_local_stage(monkeypatch):
    from chalicelib.payments import gateway

    monkeypatch.setenv("PORTAL_EMERGEPAY_URL", "http://127.0.0.1:9/virtualterminal/v1")
    monkeypatch.setenv("PORTAL_STAGE", "prod")
    assert gateway.base_url("sandbox") == gateway.SANDBOX_URL
    assert gateway.base_url("production") == gateway.PRODUCTION_URL
    assert gateway.asset_origins() == [gateway.SANDBOX_ASSETS, gateway.PRODUCTION_ASSETS]


def test_another_customers_payment_is_not_found(signed_in, emergepay):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay,
                                     pay_form_fields(browser, invoice=["W100"]))
    location = post_lists(browser, "/account/pay/confirm", fields).headers["Location"]
    make_user("other@example.com", accounts=[("abc", "C1002")])
    browser.post("/logout", {})
    browser.sign_in("other@example.com")
    assert browser.get(location).status_code == 404
    # and its id cannot be reused to pay on the other account
    again = post_lists(browser, "/account/pay/confirm", fields)
    assert again.status_code == 404 and len(payments()) == 1


def test_pay_entry_on_account_page_and_menu(signed_in):
    page = text(signed_in.get("/account"))
    assert 'href="/account/pay"' in page and "Make a Payment" in page


# ------------------------------------------------------------- administrators
@pytest.fixture
def paid(signed_in, emergepay):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay,
                                     pay_form_fields(browser, invoice=["W100", "W200"]))
    post_lists(browser, "/account/pay/confirm", fields)
    browser.post("/logout", {})
    [payment] = payments()
    return payment


@pytest.fixture
def admin(browser, paid):
    make_user("ada@example.com", admin_of=["abc"])
    browser.sign_in("ada@example.com")
    return browser


def test_administrators_list_and_filter_payments(admin, paid):
    listing = text(admin.get("/admin/payments"))
    assert paid.payment_id.upper() in listing and "C1001" in listing
    assert paid.payment_id.upper() not in text(admin.get("/admin/payments?status=declined"))
    assert paid.payment_id.upper() not in text(admin.get("/admin/payments?method=ach"))
    assert paid.payment_id.upper() not in text(admin.get("/admin/payments?customer=C9"))
    assert paid.payment_id.upper() in text(admin.get("/admin/payments?customer=c1001&method=card"))
    assert paid.payment_id.upper() not in text(admin.get("/admin/payments?to=2020-01-01"))
    assert admin.get("/admin/payments?from=yesterday").status_code == 400
    assert paid.gateway_id in text(admin.get(f"/admin/payments/{paid.payment_id}"))


def test_reviews_nobody_confirmed_are_not_listed_as_payments(browser, paid, emergepay):
    browser.sign_in("rita@example.com")
    review_and_authorize(browser, emergepay, pay_form_fields(browser, invoice=["W300"]))
    browser.post("/logout", {})
    [reviewed] = [p for p in payments() if p.status == "reviewed"]
    make_user("ada@example.com", admin_of=["abc"])
    browser.sign_in("ada@example.com")
    listing = text(browser.get("/admin/payments"))
    assert paid.payment_id.upper() in listing and reviewed.payment_id.upper() not in listing


def test_customers_cannot_see_the_payments_list(signed_in):
    assert signed_in.get("/admin/payments").status_code == 404


def test_void_before_settlement_is_audited_and_fed_to_the_erp(admin, paid, emergepay):
    answer = admin.post(f"/admin/payments/{paid.payment_id}/void", {})
    assert "voided" in text(admin.get(answer.headers["Location"]))
    voided = Payment.get("abc", paid.payment_id)
    assert voided.status == "voided" and voided.feed_company == "abc"
    assert voided.unapplied_pk is None and not emergepay.approved_sales()
    [event] = [e for e in AuditEvent.query("abc") if e.action == "payment_void"]
    assert event.details["payment_id"] == paid.payment_id


def test_settled_payment_is_refunded_once_not_voided(admin, paid, emergepay):
    emergepay.control({"settle": True})
    answer = admin.post(f"/admin/payments/{paid.payment_id}/void", {})
    assert "refund it instead" in text(admin.get(answer.headers["Location"]))
    assert Payment.get("abc", paid.payment_id).status == "approved"
    detail = text(admin.get(f"/admin/payments/{paid.payment_id}"))
    import re

    refund_id = re.search(r'name="refund_id" value="([0-9a-f]{24})"', detail).group(1)
    form = {"refund_id": refund_id, "amount": "40.00"}
    admin.post(f"/admin/payments/{paid.payment_id}/refund", form)
    admin.get(f"/admin/payments/{paid.payment_id}")
    admin.post(f"/admin/payments/{paid.payment_id}/refund", form)  # double submit
    refund = Payment.get("abc", refund_id)
    assert (refund.kind, refund.status, refund.amount_cents) == ("refund", "approved", -4000)
    assert refund.feed_company == "abc" and refund.refund_of == paid.payment_id
    from chalicelib.services.feeds import payment_item

    assert payment_item(refund)["kind"] == "refund" and payment_item(refund)["amount"] == "-40.00"
    assert Payment.get("abc", paid.payment_id).refunded_cents == 4000
    refunds = [r for r in emergepay.state() if r["transactionType"] == "CreditReturn"]
    assert len(refunds) == 1
    too_much = admin.post(f"/admin/payments/{paid.payment_id}/refund",
                          {"refund_id": refund_id[:-6] + "abcdef", "amount": "500.00"})
    assert "Refund between" in text(admin.get(too_much.headers["Location"]))
    audited = [e.action for e in AuditEvent.query("abc")]
    assert audited.count("payment_refund") == 2  # a refused amount is not a refund attempt


def test_feed_items_carry_what_the_erp_needs(paid):
    item = Payment.get("abc", paid.payment_id)
    assert item.feed_company == "abc"
    assert {"customer_no": item.customer_no, "method": item.method, "status": item.status} == \
        {"customer_no": "C1001", "method": "card", "status": "approved"}
    assert allocations(item) == {"W100": 10000, "W200": 5000}
    assert item.masked_account and item.gateway_id


def test_payments_follow_the_selected_dealer(browser, paid, pacific):
    make_user("ada@example.com", admin_of=["abc", "pacific"])
    browser.sign_in("ada@example.com")
    assert paid.payment_id.upper() in text(browser.get("/admin/payments"))
    browser.post("/admin/select-dealer", {"company_id": "pacific"})
    assert paid.payment_id.upper() not in text(browser.get("/admin/payments"))
    assert browser.get(f"/admin/payments/{paid.payment_id}").status_code == 404
    voided = browser.post(f"/admin/payments/{paid.payment_id}/void", {})
    assert voided.status_code == 404 and Payment.get("abc", paid.payment_id).status == "approved"


@pytest.mark.parametrize("posted", ["1.00", "99999.00"])
def test_confirm_charges_the_reviewed_amount_or_refuses(signed_in, emergepay, abc, posted):
    """Issue 13: review $2.00, then a confirm posting another amount (tampered form)."""
    abc.allow_payment_on_account = True
    abc.save()
    tenant.forget()
    browser = signed_in
    review, fields = review_and_authorize(browser, emergepay,
                                          pay_form_fields(browser, amount="2.00"))
    assert "You are paying $2.00" in text(review)
    refused = post_lists(browser, "/account/pay/confirm", dict(fields, amount=posted))
    assert refused.status_code == 400
    assert f"The amount sent (${float(posted):,.2f}) is not the amount you reviewed ($2.00)" \
        in text(refused) and "Nothing was charged" in text(refused)
    assert not emergepay.approved_sales()
    without_amount = {k: v for k, v in fields.items() if k not in ("amount", "invoice")}
    paid = post_lists(browser, "/account/pay/confirm", dict(without_amount, invoice=["W300"]))
    assert paid.status_code == 303
    [payment] = payments()
    assert payment.status == "approved" and payment.amount_cents == 200
    assert [record["_cents"] for record in emergepay.approved_sales().values()] == [200]
    assert allocations(payment) == {"W100": 200}  # as reviewed, not the posted invoice


def test_a_refused_concurrent_payment_says_so_plainly(signed_in, emergepay):
    browser = signed_in
    _, first = review_and_authorize(browser, emergepay, pay_form_fields(browser, invoice=["W100"]))
    _, second = review_and_authorize(browser, emergepay, pay_form_fields(browser, invoice=["W100"]))
    assert post_lists(browser, "/account/pay/confirm", first).status_code == 303
    refused = post_lists(browser, "/account/pay/confirm", second)
    assert refused.status_code == 409
    assert "Another payment on this account is already in progress or was just made for " \
        "invoice W100" in text(refused) and "Nothing was charged." in text(refused)
    assert len(emergepay.approved_sales()) == 1


@pytest.mark.parametrize("status, shown", [(429, "Thank you for your payment"),
                                           (503, "Thank you for your payment"),
                                           (500, "We are confirming your payment")])
def test_gateway_faults_during_checkout_tell_the_customer_and_charge_once(
        signed_in, emergepay, status, shown):
    browser = signed_in
    _, fields = review_and_authorize(browser, emergepay, pay_form_fields(browser, invoice=["W100"]))
    emergepay.control({"fail": {"status": status, "count": 1, "path": "checkout"}})
    answer = post_lists(browser, "/account/pay/confirm", fields)
    assert answer.status_code == 303
    assert shown in text(browser.get(answer.headers["Location"]))
    again = post_lists(browser, "/account/pay/confirm", fields)  # the customer retries
    assert again.headers["Location"] == answer.headers["Location"]
    assert len(emergepay.approved_sales()) <= 1
    [payment] = payments()
    assert payment.status in ("approved", "pending")
    assert (payment.status == "approved") == bool(emergepay.approved_sales())
