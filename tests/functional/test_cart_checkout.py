"""Cart, checkout (charge to account, card, ACH), parts orders, the ERP feed and status,
administrators' parts orders."""
import re

import pytest

from chalicelib.models import Cart, PartsOrder, Payment
from chalicelib.services import tenant
from tests.api_support import LATER, UPDATED
from tests.parts_support import PARTS, checkout_fields
from tests.payment_support import CARD_DECLINED, post_lists
from tests.support import make_invoice, make_user, page_and_calls, sent_mail, text

TOKEN = re.compile(r'data-transaction-token="([^"]+)"')
PAYMENT_ID = re.compile(r'name="payment_id" value="([0-9a-f]{24})"')


@pytest.fixture
def rita(shop, browser):
    shop.parts_charge_to_account = True
    shop.save()
    tenant.forget()
    browser.sign_in("rita@example.com")
    return browser


def add(browser, part_no, quantity="1"):
    return browser.post("/cart/add", {"part_no": part_no, "quantity": str(quantity)})


def cart_version(browser):
    return re.search(r'name="version" value="(\d+)"', text(browser.get("/cart"))).group(1)


def rita_cart():
    from chalicelib.repositories import parts as parts_repo

    return parts_repo.get_cart("abc", "C1", "u-rita-example.com")


def orders():
    return [o for o in PartsOrder.query("abc")]


def placed():
    return [o for o in orders() if o.status != "awaiting_payment"]


# -------------------------------------------------------------------- cart
def test_cart_add_change_remove_empty_and_the_badge(rita):
    assert add(rita, "W10295370A", 2).status_code == 303
    assert add(rita, "WP8544771").status_code == 303
    assert add(rita, "W10295370A", 1).status_code == 303  # adds to the line
    page = text(rita.get("/cart"))
    assert 'data-cart-count>2<' in page and 'value="3"' in page
    assert "$119.97" in page  # 3 × 39.99 at C1's dealer level
    version = cart_version(rita)
    assert rita.post("/cart/update", {"part_no": "W10295370A", "quantity": "5",
                                      "version": version, "action": "change"}).status_code == 303
    assert 'value="5"' in text(rita.get("/cart"))
    version = cart_version(rita)
    rita.post("/cart/update", {"part_no": "WP8544771", "version": version, "action": "remove"})
    assert 'data-cart-count>1<' in text(rita.get("/cart"))
    version = cart_version(rita)
    rita.post("/cart/update", {"version": version, "action": "empty"})
    assert "Your cart is empty" in text(rita.get("/cart"))


def test_the_cart_survives_sign_out_and_another_device(rita, app):
    add(rita, "W10295370A", 2)
    rita.post("/logout", {})
    from chalice.test import Client

    from tests.support import Browser

    with Client(app, stage_name="local") as client:
        other = Browser(client)
        other.sign_in("rita@example.com")
        assert 'data-cart-count>1<' in text(other.get("/cart"))


def test_one_cart_per_login_and_account(rita, shop, app):
    add(rita, "W10295370A")
    from chalice.test import Client

    from tests.support import Browser

    make_user("bob@example.com", accounts=[("abc", "C1")])
    with Client(app, stage_name="local") as client:
        bob = Browser(client)
        bob.sign_in("bob@example.com")
        assert 'data-cart-count>0<' in text(bob.get("/cart"))


def test_a_stale_cart_in_a_second_tab_is_refused_plainly(rita):
    add(rita, "W10295370A")
    old_version = cart_version(rita)
    add(rita, "WP8544771")  # the other tab
    answer = rita.post("/cart/update", {"part_no": "W10295370A", "quantity": "4",
                                        "version": old_version, "action": "change"})
    assert answer.status_code == 409 and "another tab" in text(answer)
    assert 'value="4"' not in text(rita.get("/cart"))


def test_changed_prices_and_availability_are_told_on_the_cart(rita, erp):
    add(rita, "W10295370A", 2)
    erp.batch("abc", "parts", [dict(PARTS[0], prices={"list": "49.99", "dealer": "42.00"},
                                    qty_available=0, updated_at=LATER)])
    page = text(rita.get("/cart"))
    assert "Price changed from $39.99 to $42.00" in page
    assert "Availability changed: now out of stock" in page
    assert "$84.00" in page
    assert "Price changed" not in text(rita.get("/cart"))  # told once, then remembered


def told_again(browser, answer):
    """An order again answers 303 to /cart (Post/Redirect/Get); the cart page it leads to."""
    assert answer.status_code == 303, text(answer)[:2000]
    assert answer.headers["Location"].startswith("/cart?")
    page = browser.get(answer.headers["Location"])
    assert page.status_code == 200
    return answer.headers["Location"], text(page)


def test_order_again_adds_a_past_orders_lines(rita):
    add(rita, "W10295370A", 2)
    rita.post("/checkout", checkout_fields(rita))
    [order] = placed()
    page = text(rita.get(f"/parts-orders/{order.order_id}"))
    assert f'action="/parts-orders/{order.order_id}/again"' in page and 'name="csrf_token"' in page
    assert rita.post(f"/parts-orders/{order.order_id}/again", {}, csrf=False).status_code == 403
    location, page = told_again(rita, rita.post(f"/parts-orders/{order.order_id}/again", {}))
    assert "Added to your cart: W10295370A × 2." in page and 'value="2"' in page
    again = text(rita.get(location))  # the browser's refresh repeats the GET, not the POST
    assert "Added to your cart: W10295370A × 2." in again and 'value="2"' in again
    cart = rita_cart()
    assert [(line.part_no, int(line.quantity)) for line in cart.lines] == [("W10295370A", 2)]


def test_order_again_from_purchase_history_lines(rita):
    make_invoice("abc", "W500", "C1", "2026-10-01",
                 lines=[("W10295370A", "Filter", 3, 3, 4999), ("DE-GONE", "Belt", 1, 1, 1200)])
    history = text(rita.get("/purchases"))
    assert history.count('action="/purchases/again"') == 2  # a button on each line
    assert 'name="part_no" value="W10295370A"' in history and 'name="quantity" value="3"' in history
    _, page = told_again(rita, post_lists(rita, "/purchases/again",
                                          {"part_no": ["W10295370A", "DE-GONE"],
                                           "quantity": ["3", "1"]}))
    assert "Added to your cart: W10295370A × 3." in page
    assert "DE-GONE: Discontinued: it can no longer be ordered." in page
    assert "instead" not in page  # nothing replaces it: nothing offered


def test_order_again_offers_the_replacement_of_a_superseded_part(rita):
    _, page = told_again(rita, post_lists(rita, "/purchases/again",
                                          {"part_no": ["WP-OLD-1"], "quantity": ["2"]}))
    assert "Nothing was added to your cart." in page
    assert "WP-OLD-1: Replaced by WP8544771." in page
    assert "Add WP8544771 × 2 instead" in page
    offered = re.search(r'<form method="post" action="/cart/add".*?</form>', page, re.S).group(0)
    assert 'name="part_no" value="WP8544771"' in offered and 'name="quantity" value="2"' in offered
    assert not rita_cart().lines  # nothing written
    assert add(rita, "WP8544771", 2).status_code == 303  # the offered button
    assert 'data-cart-count>1<' in text(rita.get("/cart"))


def test_order_again_skips_unknown_parts_and_rounds_up_to_packs(rita):
    _, page = told_again(rita, post_lists(rita, "/purchases/again",
                                          {"part_no": ["NO-SUCH-PART", "SCREW-10"],
                                           "quantity": ["1", "15"]}))
    assert "Added to your cart: SCREW-10 × 20." in page  # packs of 10
    assert "NO-SUCH-PART: is no longer in our catalogue." in page
    bad = post_lists(rita, "/purchases/again", {"part_no": ["SCREW-10"], "quantity": ["1.5"]})
    assert bad.status_code == 400 and "whole number" in text(bad)


def test_order_again_into_a_full_line_says_so_after_the_redirect(rita):
    add(rita, "W10295370A", 9999)
    _, page = told_again(rita, post_lists(rita, "/purchases/again",
                                          {"part_no": ["W10295370A"], "quantity": ["1"]}))
    assert "Nothing was added to your cart." in page
    assert "W10295370A: your cart already has the most one order takes." in page


def test_the_cart_tells_only_what_is_true_whatever_the_address_says(rita):
    """The address carries part numbers and quantities only: a line the cart does not hold is
    not told as added, and a reason is read from the catalogue, never from the address."""
    add(rita, "W10295370A", 2)
    page = text(rita.get("/cart?ordered=SCREW-10*5&ordered=W10295370A*2&not_added=Free+money*1"
                         "&not_added=W10295370A*1&ordered=bad&not_added=SCREW-10*x"
                         "&ordered=SCREW-10*%C2%B2&not_added=*1&ordered=W10295370A*0"))
    assert "Added to your cart: W10295370A × 2." in page and "SCREW-10 ×" not in page
    assert "Free money: is no longer in our catalogue." in page
    assert "W10295370A: your cart" not in page  # it could be added: it was not skipped


# ------------------------------------------------------ charge to account
def test_charge_to_account_places_one_order_and_sends_the_confirmation(rita):
    add(rita, "W10295370A", 2)
    add(rita, "WP8544771", 1)
    fields = checkout_fields(rita, notes="Leave at the back door")
    first = rita.post("/checkout", fields)
    second = rita.post("/checkout", fields)  # double click / refresh
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [order] = placed()
    assert order.status == "placed" and order.payment_method == "account"
    assert order.total_cents == 2 * 3999 + 7120
    assert order.po_number == "PO-77" and order.notes == "Leave at the back door"
    assert dict(order.ship_to.as_dict())["location_id"] == "MAIN"
    page = text(rita.get(first.headers["Location"]))
    assert "Thank you: your order" in page and "Placed" in page
    assert "Your cart is empty" in text(rita.get("/cart"))
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["rita@example.com"]
    assert order.order_id.upper() in mail.subject and "ABC Appliance Service" in mail.subject
    assert order.order_id in text(rita.get("/parts-orders"))


def test_charge_to_account_needs_the_company_and_the_erp(rita, shop, browser):
    shop.parts_charge_to_account = False
    shop.save()
    tenant.forget()
    add(rita, "W10295370A")
    answer = rita.post("/checkout", checkout_fields(rita))
    assert answer.status_code == 400 and "Online ordering is not available" in text(answer)
    assert orders() == []


def test_checkout_bad_input_is_refused_and_nothing_is_written(rita, shop):
    add(rita, "W10295370A")
    shop.parts_po_required = True
    shop.save()
    tenant.forget()
    for change, message in (({"po_number": ""}, "PO number"),
                            ({"po_number": "<script>"}, "PO number"),
                            ({"delivery": "ship:NOPE"}, "Choose where"),
                            ({"delivery": "pickup:XXX"}, "Choose where"),
                            ({"notes": "x" * 1001}, "Notes"),
                            ({"method": "cash"}, "Choose how to pay"),
                            ({"order_id": "not-an-id"}, "out of date")):
        answer = rita.post("/checkout", checkout_fields(rita, **change))
        assert answer.status_code == 400, change
        assert message in text(answer), (change, text(answer)[:3000])
    assert orders() == []
    answer = rita.post("/checkout", checkout_fields(rita, delivery="pickup:SEA"))
    assert answer.status_code == 303
    assert placed()[0].pickup_branch == "SEA"


def test_a_price_change_after_the_checkout_page_is_shown_needs_a_new_look(rita, erp):
    add(rita, "W10295370A")
    fields = checkout_fields(rita)
    erp.batch("abc", "parts", [dict(PARTS[0], prices={"list": "49.99", "dealer": "44.00"},
                                    updated_at=LATER)])
    answer = rita.post("/checkout", fields)
    assert answer.status_code == 409
    assert "Price changed from $39.99 to $44.00" in text(answer)
    assert orders() == []
    assert rita.post("/checkout", checkout_fields(rita)).status_code == 303
    assert placed()[0].total_cents == 4400


def test_a_cart_changed_in_another_tab_during_checkout_is_refused(rita):
    add(rita, "W10295370A")
    fields = checkout_fields(rita)
    add(rita, "WP8544771")
    answer = rita.post("/checkout", fields)
    assert answer.status_code == 409 and "Your cart changed" in text(answer)
    assert orders() == []


def test_discontinued_since_added_blocks_checkout(rita, erp):
    add(rita, "W10295370A")
    erp.batch("abc", "parts", [dict(PARTS[0], discontinued=True, updated_at=LATER)])
    assert "Discontinued" in text(rita.get("/cart"))
    # the checkout page offers no form now; a form sent anyway is refused
    answer = rita.post("/checkout", {"order_id": "0" * 24, "cart_version": "1",
                                     "delivery": "ship:MAIN", "method": "account",
                                     "po_number": "", "notes": ""})
    assert answer.status_code in (400, 409) and orders() == []


# ----------------------------------------------------------- card and ACH
def _pay(browser, stand_in, method="card", card=None, **overrides):
    fields = checkout_fields(browser, method=method, **overrides)
    review = browser.post("/checkout", fields)
    assert review.status_code == 200, text(review)[:3000]
    body = text(review)
    token = TOKEN.search(body).group(1)
    payment_id = PAYMENT_ID.search(body).group(1)
    from tests.payment_support import ACH_OK, CARD_OK

    status, _ = stand_in.authorize(token, dict(card or (CARD_OK if method == "card" else ACH_OK)))
    assert status == 200
    amount = re.search(r'name="amount" value="([^"]+)"', body).group(1)
    return {"order_id": fields["order_id"], "payment_id": payment_id,
            "transaction_token": token, "amount": amount}, body


def test_card_checkout_places_the_order_once_with_one_charge(rita, emergepay):
    add(rita, "W10295370A", 2)
    confirm, review = _pay(rita, emergepay)
    assert "You are paying $79.98" in review
    assert orders()[0].status == "awaiting_payment" and placed() == []
    first = rita.post("/checkout/confirm", confirm)
    second = rita.post("/checkout/confirm", confirm)  # double click
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [order] = placed()
    [payment] = list(Payment.query("abc"))
    assert len(emergepay.approved_sales()) == 1
    assert payment.status == "approved" and payment.parts_order_id == order.order_id
    assert payment.allocations.as_dict() == {} and payment.unapplied_pk is None
    assert order.payment_id == payment.payment_id and order.payment_method == "card"
    page = text(rita.get(first.headers["Location"]))
    assert "Thank you: your order" in page and "ending 1111" in page
    mails = sent_mail()
    subjects = sorted(m.subject for m in mails)
    assert any("Parts order" in s for s in subjects) and any("receipt" in s.lower()
                                                             for s in subjects)
    assert len(mails) == 2


def test_a_parts_payment_does_not_lower_the_account_balance(rita, emergepay):
    make_invoice("abc", "W700", "C1", "2026-10-01", balance=10000)
    add(rita, "W10295370A", 1)
    confirm, _ = _pay(rita, emergepay)
    rita.post("/checkout/confirm", confirm)
    assert len(placed()) == 1
    assert "Balance due: <span class=\"amount\">$100.00" in text(rita.get("/account"))


def test_a_declined_card_orders_nothing_and_keeps_the_cart(rita, emergepay):
    add(rita, "W10295370A", 1)
    confirm, _ = _pay(rita, emergepay, card=CARD_DECLINED)
    answer = rita.post("/checkout/confirm", confirm)
    assert answer.status_code == 402 and "Nothing was ordered" in text(answer)
    assert placed() == [] and not emergepay.approved_sales()
    assert 'data-cart-count>1<' in text(rita.get("/cart"))


def test_ach_checkout_is_placed_when_pending_settlement(rita, emergepay):
    add(rita, "W10295370A", 1)
    confirm, _ = _pay(rita, emergepay, method="ach")
    answer = rita.post("/checkout/confirm", confirm)
    assert answer.status_code == 303
    [order] = placed()
    page = text(rita.get(answer.headers["Location"]))
    assert "Pending settlement" in page and order.payment_method == "ach"


def test_a_stale_review_in_another_tab_cannot_charge(rita, emergepay):
    add(rita, "W10295370A", 1)
    fields = checkout_fields(rita, method="card")
    first = text(rita.post("/checkout", fields))
    second = text(rita.post("/checkout", fields))  # reviewed again (back, refresh)
    old_id = PAYMENT_ID.search(first).group(1)
    assert PAYMENT_ID.search(second).group(1) != old_id
    token = TOKEN.search(first).group(1)
    from tests.payment_support import CARD_OK

    emergepay.authorize(token, dict(CARD_OK))
    answer = rita.post("/checkout/confirm", {"order_id": fields["order_id"],
                                             "payment_id": old_id, "transaction_token": token,
                                             "amount": "39.99"})
    assert answer.status_code == 409 and not emergepay.approved_sales()
    assert placed() == []


def test_another_accounts_order_id_is_not_found(rita, app, emergepay):
    add(rita, "W10295370A", 1)
    rita.post("/checkout", checkout_fields(rita))
    [order] = placed()
    from chalice.test import Client

    from tests.support import Browser

    with Client(app, stage_name="local") as client:
        sue = Browser(client)
        sue.sign_in("sue@example.com")
        assert sue.get(f"/parts-orders/{order.order_id}").status_code == 404
        assert sue.post(f"/parts-orders/{order.order_id}/again", {}).status_code == 404
        assert sue.post("/checkout/confirm", {"order_id": order.order_id,
                                              "payment_id": "0" * 24}).status_code == 404
        assert order.order_id not in text(sue.get("/parts-orders"))


# ---------------------------------------------------------- ERP and admin
def test_the_erp_feed_returns_the_order_once_with_payment_and_ship_to(rita, erp, emergepay):
    add(rita, "W10295370A", 2)
    confirm, _ = _pay(rita, emergepay)
    rita.post("/checkout/confirm", confirm)
    rita.post("/checkout/confirm", confirm)
    items = erp.get("/companies/abc/feeds/parts-orders").json["items"]
    [item] = items
    [order] = placed()
    assert item["order_id"] == order.order_id and item["total"] == "79.98"
    assert item["payment"] == {"method": "card", "payment_id": order.payment_id}
    assert item["ship_to"]["location_id"] == "MAIN" and item["po_number"] == "PO-77"
    assert item["lines"] == [{"part_no": "W10295370A", "description": "Refrigerator water filter",
                              "quantity": 2, "unit": "EA", "price": "39.99",
                              "extension": "79.98"}]
    payments_feed = erp.get("/companies/abc/feeds/payments").json["items"]
    assert [p["parts_order_id"] for p in payments_feed] == [order.order_id]
    assert erp.post("/companies/abc/feeds/parts-orders/ack",
                    {"ids": [order.order_id]}).json["acknowledged"] == [order.order_id]
    assert erp.get("/companies/abc/feeds/parts-orders").json["items"] == []


def test_an_order_awaiting_payment_is_not_in_the_feed_or_the_list(rita, erp, emergepay):
    add(rita, "W10295370A", 1)
    _pay(rita, emergepay)
    assert orders() and not placed()
    assert erp.get("/companies/abc/feeds/parts-orders").json["items"] == []
    assert "No parts orders yet" in text(rita.get("/parts-orders"))


def test_erp_status_push_received_picking_shipped_backordered_invoiced(rita, erp):
    add(rita, "W10295370A", 2)
    rita.post("/checkout", checkout_fields(rita))
    [order] = placed()
    make_invoice("abc", "INV-9", "C1", "2026-11-22")

    def push(status, at, **fields):
        record = dict({"order_id": order.order_id, "status": status, "updated_at": at}, **fields)
        return erp.batch("abc", "parts-order-status", [record]).json["results"][0]

    assert push("received", "2026-11-21T10:00:00Z")["outcome"] == "updated"
    assert push("picking", "2026-11-21T11:00:00Z")["outcome"] == "updated"
    assert push("received", "2026-11-21T10:30:00Z")["outcome"] == "skipped_stale"
    bad = push("shipped", "2026-11-21T12:00:00Z")
    assert bad["outcome"] == "rejected"
    assert push("shipped", "2026-11-21T12:00:00Z", carrier="UPS",
                tracking_no="1Z999")["outcome"] == "updated"
    assert push("backordered", "2026-11-21T13:00:00Z", backordered_lines=[
        {"part_no": "W10295370A", "qty": 1}])["outcome"] == "updated"
    assert push("invoiced", "2026-11-22T09:00:00Z", invoice_no="INV-9")["outcome"] == "updated"
    assert erp.batch("abc", "parts-order-status", [{
        "order_id": "0" * 24, "status": "received",
        "updated_at": UPDATED}]).json["results"][0]["outcome"] == "rejected"
    page = text(rita.get(f"/parts-orders/{order.order_id}"))
    assert "Invoiced" in page and "UPS" in page and "1Z999" in page
    assert 'href="/orders/INV-9"' in page
    assert "Shipped" in page and "Picking" in page


def test_administrators_list_filter_and_open_parts_orders(rita, app):
    add(rita, "W10295370A", 1)
    rita.post("/checkout", checkout_fields(rita, po_number="PO-ADMIN"))
    [order] = placed()
    make_user("ada@example.com", admin_of=["abc"])
    from chalice.test import Client

    from tests.support import Browser

    with Client(app, stage_name="local") as client:
        ada = Browser(client)
        ada.sign_in("ada@example.com")
        page = text(ada.get("/admin/parts-orders"))
        assert "PO-ADMIN" in page and "Not yet picked up" in page
        assert "PO-ADMIN" in text(ada.get("/admin/parts-orders?customer=c1&status=placed"))
        assert "PO-ADMIN" not in text(ada.get("/admin/parts-orders?customer=C2"))
        assert "PO-ADMIN" not in text(ada.get("/admin/parts-orders?status=shipped"))
        assert "PO-ADMIN" not in text(ada.get("/admin/parts-orders?from=2099-01-01"))
        detail = ada.get(f"/admin/parts-orders/{order.order_id}")
        assert detail.status_code == 200 and "W10295370A" in text(detail)
        assert ada.get("/admin/parts-orders/" + "f" * 24).status_code == 404
        assert rita.get("/admin/parts-orders").status_code == 404


def test_the_cart_row_is_one_item_per_login_and_account(rita):
    add(rita, "W10295370A")
    [cart] = list(Cart.query("abc#C1"))
    assert cart.cart_id == "u-rita-example.com" and len(cart.lines) == 1


# ------------------------------------------- reconciler and housekeeping
def _service(stand_in, **overrides):
    from chalicelib.services.payments import PaymentService
    from tests.payment_support import in_process_gateway

    return PaymentService(gateway_for=in_process_gateway(stand_in), **overrides)


def _paid_but_not_placed(browser, stand_in, company):
    """The confirm request got the gateway's approval and died before placing the order."""
    from chalicelib.repositories import parts as parts_repo
    from chalicelib.services.payments import parse_cents

    confirm, _ = _pay(browser, stand_in)
    order = parts_repo.get_order("abc", confirm["order_id"])
    assert parts_repo.start_paying(order, confirm["payment_id"])

    def crash(_company, _payment):
        raise RuntimeError("the Lambda timed out here")

    payment = _service(stand_in, on_order_paid=crash).pay(
        company, "C1", confirm["payment_id"], confirm["transaction_token"], parse_cents(confirm["amount"]))
    assert payment.status == "approved"
    return confirm


def test_the_reconciler_places_an_order_paid_but_not_placed(rita, shop, erp, emergepay):
    add(rita, "W10295370A", 2)
    confirm = _paid_but_not_placed(rita, emergepay, shop)
    assert placed() == [] and erp.get("/companies/abc/feeds/parts-orders").json["items"] == []
    summary = _service(emergepay).reconcile(shop)  # the scheduled job, nobody visits a page
    assert summary["orders_placed"] == 1
    [order] = placed()
    assert order.order_id == confirm["order_id"] and order.status == "placed"
    assert [i["order_id"] for i in erp.get("/companies/abc/feeds/parts-orders").json["items"]] == [
        order.order_id]
    assert any("Parts order" in m.subject for m in sent_mail())  # the confirmation
    assert 'data-cart-count>0<' in text(rita.get("/cart"))  # the cart it came from is emptied
    assert _service(emergepay).reconcile(shop)["orders_placed"] == 0  # once
    assert len(emergepay.approved_sales()) == 1


def test_housekeeping_expires_unpaid_orders_after_a_day_and_never_a_paid_one(rita, shop, app,
                                                                             emergepay):
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.repositories import parts as parts_repo

    add(rita, "W10295370A", 1)
    unpaid, _ = _pay(rita, emergepay)  # reviewed, then the customer walked away
    soon = _service(emergepay, now=lambda: clock.utcnow() + timedelta(hours=23))
    assert soon.reconcile(shop)["orders_expired"] == 0  # less than a day: left alone
    paid = _paid_but_not_placed(rita, emergepay, shop)  # a second checkout, paid, not placed
    later = _service(emergepay, now=lambda: clock.utcnow() + timedelta(hours=25))
    summary = later.reconcile(shop)
    assert (summary["orders_expired"], summary["orders_placed"]) == (1, 1)
    assert parts_repo.get_order("abc", unpaid["order_id"]).status == "expired"
    assert parts_repo.get_order("abc", paid["order_id"]).status == "placed"  # never lost
    assert later.reconcile(shop)["orders_expired"] == 0  # it left the reconciler's index
    # The expired order cannot be paid any more: nothing is charged.
    answer = rita.post("/checkout/confirm", unpaid)
    assert answer.status_code == 303 or "Nothing more was charged" in text(answer)
    assert len(emergepay.approved_sales()) == 1
    assert "Expired: never paid" in text(rita.get(f"/parts-orders/{unpaid['order_id']}"))
    listing = text(rita.get("/parts-orders"))
    assert paid["order_id"].upper() in listing.upper() and unpaid["order_id"] not in listing


def test_an_expired_order_whose_own_payment_turns_out_approved_is_placed(rita, shop, emergepay):
    from chalicelib.models import Payment
    from chalicelib.repositories import parts as parts_repo
    from chalicelib.repositories import payments as payments_repo
    from chalicelib.services import parts_orders
    from chalicelib.services.payments import parse_cents

    add(rita, "W10295370A", 1)
    confirm, _ = _pay(rita, emergepay)
    order = parts_repo.get_order("abc", confirm["order_id"])
    assert parts_repo.start_paying(order, confirm["payment_id"])
    assert parts_repo.expire(parts_repo.get_order("abc", confirm["order_id"]), order.created_at)
    payment = _service(emergepay, on_order_paid=lambda *_: None).pay(
        shop, "C1", confirm["payment_id"], confirm["transaction_token"], parse_cents(confirm["amount"]))
    assert payment.status == "approved"  # e.g. a gateway answer that came very late
    assert parts_orders.place_paid(shop, payments_repo.get("abc", payment.payment_id))
    assert parts_repo.get_order("abc", confirm["order_id"]).status == "placed"
    assert Payment.get("abc", payment.payment_id).parts_order_id == confirm["order_id"]


def test_the_administrators_list_is_bounded_by_dates_and_refuses_bad_ones(rita, shop, app,
                                                                          emergepay):
    add(rita, "W10295370A", 1)
    rita.post("/checkout", checkout_fields(rita, po_number="PO-DAY"))
    add(rita, "W10295370A", 1)
    _pay(rita, emergepay, po_number="PO-UNPAID")  # awaiting payment: not listed
    make_user("ada@example.com", admin_of=["abc"])
    from chalice.test import Client

    from chalicelib import clock
    from tests.support import Browser

    today = clock.utcnow().astimezone(clock.zone(shop.time_zone)).date()  # the company's day
    with Client(app, stage_name="local") as client:
        ada = Browser(client)
        ada.sign_in("ada@example.com")
        page = text(ada.get(f"/admin/parts-orders?from={today}&to={today}"))
        assert "PO-DAY" in page and "PO-UNPAID" not in page
        assert "PO-DAY" not in text(ada.get("/admin/parts-orders?to=2026-01-01"))
        bad = ada.get("/admin/parts-orders?from=2026-13-45")
        assert bad.status_code == 400 and "use a date like" in text(bad)
        swapped = ada.get("/admin/parts-orders?from=2026-11-30&to=2026-11-01")
        assert swapped.status_code == 400 and "on or before the To date" in text(swapped)
        assert ada.get("/admin/parts-orders?after=not-a-cursor").status_code == 400


def test_the_cart_and_checkout_pages_read_the_cart_with_the_request_context(rita):
    """The cart and the bill-to row come with the request context's BatchGetItem; the pages
    then read only the parts (1 BatchGetItem): 3 DynamoDB calls each."""
    add(rita, "W10295370A", 2)
    for path in ("/cart", "/checkout"):
        rita.get(path)
        answer, operations = page_and_calls(rita, path)
        page = text(answer)
        assert 'data-cart-count>1<' in page and "W10295370A" in page
        assert not [op for op in operations if op[1] in ("portal-carts", "portal-customers")], (path, operations)
        assert len(operations) <= 4, (path, operations)


def test_every_page_shows_the_cart_badge_within_four_calls_and_no_cart_read_of_its_own(rita):
    """The badge comes with the request context's BatchGetItem (repositories/request_context.py)."""
    add(rita, "W10295370A", 2)
    add(rita, "WP8544771")
    for path in ("/", "/orders", "/parts", "/account"):
        rita.get(path)  # tenant and theme caches warm
        answer, operations = page_and_calls(rita, path)
        assert 'data-cart-count>2<' in text(answer), path
        assert not [op for op in operations if op[1] == "portal-carts"], (path, operations)
        assert len(operations) <= 4, (path, operations)
