"""Dealer Administration rules a customer or administrator notices: the
invoice-number first password, the "access turned off" sign-in answer, readable audit
entries with the client's IP, and the company's name on the e-mails it sends."""
import re
from email.utils import parseaddr

import pytest

from chalicelib.models import Membership
from chalicelib.repositories import audit
from chalicelib.repositories.keys import account_pk
from tests.support import ADMIN, PASSWORD, Browser, make_customer, make_user, sent_mail, text


@pytest.fixture
def setup(abc, pacific):
    make_customer("abc", "C1", "Harper Family", emails=["harper@example.com"])
    make_user(ADMIN, admin_of=["abc", "pacific"], name="Ada Admin")


@pytest.fixture
def admin(browser, setup):
    browser.sign_in(ADMIN)
    return browser


def customer_client(app):
    from chalice.test import Client

    return Client(app, stage_name="local")


# ------------------------------------------------------ first passwords
def test_credentials_email_accepts_the_invoice_number_as_first_password(admin, app, abc):
    response = admin.post("/admin/customers/C1/credentials", {
        "action": "send", "to": "harper@example.com", "user_name": "C1",
        "password": "W10060"})
    assert response.status_code == 303, text(response)
    mail = sent_mail()[-1]
    assert "W10060" in mail.body
    assert parseaddr(mail.source)[0] == "ABC Appliance Service"  # From: the company's name
    with customer_client(app) as raw:
        customer = Browser(raw)
        answer = customer.sign_in("C1", "W10060")
        assert answer.headers["Location"] == "/change-password"  # forced change
        assert customer.get("/orders").headers["Location"] == "/change-password"
        # The customer's own choice keeps the full policy.
        customer.get("/change-password")
        refused = customer.post("/change-password", {
            "current": "W10060", "password": "W10061x", "confirm": "W10061x"})
        assert refused.status_code == 400 and "Use at least 8 characters" in text(refused)
        done = customer.post("/change-password", {
            "current": "W10060", "password": "harper's own choice",
            "confirm": "harper's own choice"})
        assert done.status_code == 303 and done.headers["Location"] != "/change-password"


def test_first_passwords_still_refuse_short_and_identifying_values(admin):
    for password, message in (("W1006", "Use at least 6 characters"),
                              ("c1", "Use at least 6 characters")):
        response = admin.post("/admin/customers/C1/credentials", {
            "action": "send", "to": "harper@example.com", "user_name": "C1",
            "password": password})
        assert response.status_code == 400 and message in text(response)
    response = admin.post("/admin/customers/C1/credentials", {
        "action": "send", "to": "harper@example.com", "user_name": "harper1",
        "password": "Harper1"})
    assert response.status_code == 400 and "must not be your user name" in text(response)
    assert sent_mail() == []


# -------------------------------------------------- access turned off
def _inactivated_customer(admin):
    make_user("harper@example.com", accounts=[("abc", "C1")], name="Harper")
    response = admin.post("/admin/customers/C1/inactivate", {})
    assert response.status_code == 200
    assert Membership.get("u-harper-example.com", account_pk("abc", "C1")).status == "inactive"


def test_an_inactivated_user_is_told_access_is_off_after_the_right_password(admin, app, abc):
    abc.support_phone = "(555) 010-2000"
    abc.save()
    from chalicelib.services import tenant
    tenant.forget()
    _inactivated_customer(admin)
    with customer_client(app) as raw:
        customer = Browser(raw)
        answer = customer.sign_in("harper@example.com", PASSWORD)
        assert answer.status_code == 403
        assert ("Your portal access for ABC Appliance Service is turned off; "
                "call (555) 010-2000.") in text(answer)
        assert not customer.signed_in


def test_a_wrong_password_of_an_inactivated_user_still_says_wrong_password(admin, app):
    _inactivated_customer(admin)
    with customer_client(app) as raw:
        answer = Browser(raw).sign_in("harper@example.com", "not the password")
        assert answer.status_code == 401
        body = text(answer)
        assert "password is not correct" in body and "turned off" not in body


# ------------------------------------------------------------ audit log
def what(label):
    return f'<td data-label="What">{label}</td>'


def audit_rows(body):
    return re.findall(r"<tr>\s*(.*?)</tr>", body, re.S)


def test_audit_entries_read_as_words_and_carry_the_clients_ip(admin, app):
    with customer_client(app) as raw:
        other = Browser(raw)
        other.sign_in(ADMIN)
        other.post("/logout", {})
    audit.record("abc", "company_switch", actor="u-admin-example.com", to="pacific")
    body = text(admin.get("/admin/audit"))
    assert what("Switched company") in body and what("company_switch") not in body
    [signed_out] = [row for row in audit_rows(body) if what("Signed out") in row]
    assert '<td data-label="From IP">127.0.0.1</td>' in signed_out
    assert what("Switched company") in text(admin.get("/admin/audit?action=company_switch"))
