"""Chromium on the local stack: a demo customer pays two invoices by card and one by
ACH through the local hosted fields (the emergepay stand-in's iframe).  The receipt
reaches the dev mailbox, the balance drops, the payments are in the ERP feed (the
Payment rows' `feed_company`), and a double click charges once."""
import json
import re
import urllib.request
from decimal import Decimal

import pytest

from infra.local.seed import DEMO_PASSWORD

from .browser_support import assert_accessible, card, erp_feed, local_dynamodb

pytestmark = [pytest.mark.stack, pytest.mark.browser]
MONEY = re.compile(r"\$([\d,]+\.\d\d)")


def cents(text):
    return int(Decimal(MONEY.search(text).group(1).replace(",", "")) * 100)


def paid(result):
    """The payment's amount from its result page: "$X paid by card on …" / "$X by bank account on …"
    (the allocations table below lists each invoice's share)."""
    return cents(re.search(r"\$[\d,]+\.\d{2}(?= (?:paid )?by )", result).group(0))


def stand_in_url(stack):
    return re.search(r"emergepay stand-in\s+(http://127\.0\.0\.1:\d+)", stack["banner"]).group(1)


def gateway_sales(stack):
    with urllib.request.urlopen(f"{stand_in_url(stack)}/_state", timeout=5) as answer:
        return [t for t in json.load(answer)["transactions"]
                if t["transactionType"] in ("CreditSale", "AchSale")]


def payment_rows(stack):
    dynamodb = local_dynamodb(stack)
    items = dynamodb.query(TableName="portal-payments",
                           KeyConditionExpression="company_id = :c",
                           ExpressionAttributeValues={":c": {"S": "abc"}})["Items"]
    return {item["payment_id"]["S"]: item for item in items}


def balance(page, base):
    page.goto(f"{base}/account")
    return cents(page.locator("#balance-heading").inner_text())


def pay(page, base, invoices, method, fill, double_click=False):
    page.goto(f"{base}/account")
    page.locator("main").get_by_role("link", name="Make a payment", exact=True).click()
    page.wait_for_url("**/account/pay")
    assert_accessible(page)
    for invoice_no in invoices:
        page.get_by_label(invoice_no, exact=True).check()
    page.get_by_label("Card" if method == "card" else "Bank account (ACH)").check()
    if method == "ach":
        page.get_by_label("Checking").check()
    page.get_by_label("Billing ZIP code").fill("62704")
    page.get_by_role("button", name="Review payment").click()
    page.wait_for_url("**/account/pay")
    assert page.get_by_role("heading", name=re.compile("You are paying")).is_visible()
    frame = page.frame_locator("iframe")
    fill(frame)
    assert_accessible(page)
    button = page.get_by_role("button", name=re.compile(r"^Pay \$"))
    if double_click:
        button.dblclick()
    else:
        button.click()
    page.wait_for_url(re.compile(r".*/account/pay/[0-9a-f]{24}$"))
    receipt = re.search(r"Receipt number ([0-9A-F]{24})",
                        page.locator("#receipt-heading").inner_text()).group(1)
    return receipt.lower(), page.locator("main").inner_text()




def bank(frame):
    frame.get_by_label("Account holder name").fill("Rita Retail")
    frame.get_by_label("Routing number").fill("021000021")
    frame.get_by_label("Account number").fill("000123456789")


def test_customer_pays_by_card_and_ach_through_the_hosted_fields(stack, chromium):
    base = f"http://localhost:{stack['port']}"
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    errors = []
    context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address or user name").fill("retail@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base}/")

    before = balance(page, base)
    rows = page.locator("table.data tbody tr")
    open_invoices = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert len(open_invoices) >= 3
    sales_before = len(gateway_sales(stack))

    card_receipt, result = pay(page, base, open_invoices[:2], "card", card, double_click=True)
    assert "Thank you for your payment" in result and "Approved" in result
    paid_by_card = paid(result)
    assert balance(page, base) == before - paid_by_card

    ach_receipt, result = pay(page, base, open_invoices[2:3], "ach", bank)
    assert "Pending settlement" in result
    paid_by_ach = paid(result)
    assert balance(page, base) == before - paid_by_card - paid_by_ach

    sales = gateway_sales(stack)
    assert len(sales) == sales_before + 2  # the double click charged once
    assert sorted(s["externalTransactionId"] for s in sales[-2:]) == sorted(
        [card_receipt, ach_receipt])

    rows = payment_rows(stack)
    feed = {item["payment_id"]: item for item in erp_feed(stack, "payments")}
    for receipt, method in ((card_receipt, "card"), (ach_receipt, "ach")):
        assert rows[receipt]["status"]["S"] == "approved"
        assert feed[receipt]["method"] == method and feed[receipt]["status"] == "approved"
        assert feed[receipt]["allocations"] and feed[receipt]["gateway_id"]
        assert feed[receipt]["masked_account"]

    page.goto(f"{base}/dev/mailbox")
    mailbox = page.locator("main").inner_text()
    assert card_receipt.upper() in mailbox and ach_receipt.upper() in mailbox
    assert not [e for e in errors if "favicon" not in e], errors
    context.close()
