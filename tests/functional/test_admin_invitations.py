"""Invitations: the dialog, sending, re-inviting, existing logins, SES failures,
accepting the link, and inactivation ending the customer's session at once."""
import re

import pytest

from chalicelib.models import AuditEvent, Membership, Token, User
from chalicelib.repositories.keys import account_pk
from tests.support import ADMIN, make_customer, make_user, sent_mail, text

LINK = re.compile(r"http://localhost(?::\d+)?(/invite/[A-Za-z0-9_-]+)")


@pytest.fixture
def setup(abc, pacific):
    make_customer("abc", "C1", "Harper Family",
                  emails=["harper@example.com", "bad-address", "", "spam@example.com"])
    make_customer("pacific", "P1", "Harbor Supply", emails=["supply@example.com"])
    from chalicelib.models import Contact
    contact = Contact.get(account_pk("abc", "C1"), "c3")
    contact.update(actions=[Contact.email_bounced.set(True),
                            Contact.bounce_reason.set("complaint: abuse")])
    make_user(ADMIN, admin_of=["abc", "pacific"], name="Ada Admin")


@pytest.fixture
def admin(browser, setup):
    browser.sign_in(ADMIN)
    return browser


def invite(browser, contact_id="c0", customer="C1", partial=False):
    data = {"contact_id": contact_id}
    if partial:
        data["partial"] = "1"
    return browser.post(f"/admin/customers/{customer}/invite", data)


def last_link():
    mail = sent_mail()[-1]
    return LINK.search(mail.body).group(1)


def status_of(browser, customer="C1"):
    body = text(browser.get(f"/admin/customers?retrieve=1&number={customer}"))
    return re.search(r'<tr data-row-menu="\w+" data-portal-status="(\w+)"', body).group(1)


def test_dialog_lists_every_contact_and_disables_invalid_ones(admin):
    body = text(admin.get("/admin/customers/C1/invite"))
    assert "harper@example.com" in body
    assert "Not a valid e-mail address" in body
    assert "No e-mail address" in body
    assert "Marked as spam by the recipient" in body
    assert body.count(" disabled aria-describedby") == 3


def test_partial_dialog_is_a_fragment(admin):
    body = text(admin.get("/admin/customers/C1/invite?partial=1"))
    assert "<html" not in body and 'id="admin-dialog-title"' in body


def test_invalid_contact_cannot_be_invited_even_by_a_crafted_form(admin):
    assert invite(admin, "c1").status_code == 400
    assert invite(admin, "c3").status_code == 400
    assert invite(admin, "nope").status_code == 400
    assert sent_mail() == []


def test_invitation_sends_a_branded_email_with_a_seven_day_link(admin):
    response = invite(admin)
    assert response.status_code == 200 and "Invitation sent to harper@example.com" in text(response)
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == ["harper@example.com"]
    assert mail.source == "ABC Appliance Service <no-reply@localhost>"
    assert "ABC Appliance Service invites you" in mail.subject
    assert "#1f4e79" in mail.body  # brand colour in the HTML part
    assert "7 days" in mail.body
    assert status_of(admin) == "invited"
    body = text(admin.get("/admin/customers?retrieve=1&number=C1"))
    assert 'data-label="Last invited"></td>' not in body
    events = [e.action for e in AuditEvent.query("abc")]
    assert "invitation_sent" in events


def test_reinvite_sends_a_new_link_and_the_old_one_stops_working(admin, app):
    invite(admin)
    first = last_link()
    invite(admin)
    second = last_link()
    assert first != second
    assert admin.get(first).status_code == 410
    assert "newer invitation replaced" in text(admin.last)
    assert admin.get(second).status_code == 200


def test_mail_queue_failure_is_shown_and_not_recorded(admin, abc):
    from chalicelib import aws, config
    sqs = aws.client("sqs")  # the queue is gone: SQS refuses the e-mail
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=config.mail_queue_name())["QueueUrl"])
    response = invite(admin)
    assert response.status_code == 400
    assert "could not be sent" in text(response)
    assert status_of(admin) == "not_invited"
    assert list(Membership.by_account.query(account_pk("abc", "C1"))) == []
    from chalicelib import aws  # a test-side look at the whole table (boto3, not the app)
    assert aws.client("dynamodb").scan(TableName=Token.Meta.table_name)["Count"] == 0


def accept(client, path, name="Harper", password="a long new password"):
    client.get(path)
    return client.post(path, {"name": name, "password": password, "confirm": password})


def test_accepting_sets_password_activates_confirms_and_signs_in(admin, app, abc):
    from chalice.test import Client

    from tests.support import Browser
    invite(admin)
    path = last_link()
    with Client(app, stage_name="local") as raw:
        customer = Browser(raw)
        page = customer.get(path)
        assert page.headers["Referrer-Policy"] == "no-referrer"
        response = accept(customer, path)
        assert response.status_code == 303 and customer.signed_in
        assert "Welcome" in text(customer.get("/?notice=welcome"))
        assert customer.get("/orders").status_code == 200
        # used once only
        assert customer.get(path).status_code == 410
        assert "already been accepted" in text(customer.last)
    assert status_of(admin) == "confirmed"
    user = User.get(Membership.by_account.query(account_pk("abc", "C1")).next().user_id)
    assert user.email_confirmed_at is not None and user.name == "Harper"


def test_accept_refuses_a_weak_password_and_keeps_the_link(admin, app):
    invite(admin)
    path = last_link()
    response = accept(admin, path, password="short")
    assert response.status_code == 400
    assert admin.get(path).status_code == 200


def test_accept_refuses_the_accounts_user_name_or_the_e_mail_as_password(admin, app):
    from chalicelib.models import WebAccess

    WebAccess(account_pk("abc", "C1"), user_name="harper.family").save()
    invite(admin)
    path = last_link()
    for password in ("HARPER.FAMILY", "Harper@Example.com"):
        response = accept(admin, path, password=password)
        assert response.status_code == 400 and "must not be your user name" in text(response)
    assert admin.get(path).status_code == 200  # the link still works


def test_expired_and_unknown_links_get_a_clear_page(admin, app, monkeypatch):
    invite(admin)
    path = last_link()
    from chalicelib import clock
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + 8 * 24 * 3600)
    response = admin.get(path)
    assert response.status_code == 410 and "expired" in text(response)
    monkeypatch.setattr(clock, "now", real)
    response = admin.get("/invite/not-a-real-token")
    assert response.status_code == 410 and "not valid" in text(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_existing_login_gets_the_account_added_and_a_short_email(admin):
    make_user("harper@example.com", accounts=[("pacific", "P1")], name="Harper")
    response = invite(admin)
    assert response.status_code == 200 and "already had a portal login" in text(response)
    mail = sent_mail()[-1]
    assert "added an account" in mail.subject
    assert Membership.get("u-harper-example.com", account_pk("abc", "C1")).status == "active"
    assert status_of(admin) == "activated"


def test_inactivate_ends_the_customers_session_at_once_and_reactivate_restores(admin, app):
    from chalice.test import Client

    from tests.support import Browser
    make_user("rita@example.com", accounts=[("abc", "C1")])
    with Client(app, stage_name="local") as raw:
        customer = Browser(raw)
        customer.sign_in("rita@example.com")
        assert customer.get("/orders").status_code == 200
        assert admin.post("/admin/customers/C1/inactivate", {}).status_code == 200
        assert status_of(admin) == "inactive"
        response = customer.get("/orders")
        assert response.status_code == 303 and response.headers["Location"].startswith("/login")
        refused = customer.sign_in("rita@example.com")  # the right password: told why
        assert refused.status_code == 403 and "is turned off" in text(refused)
        admin.post("/admin/customers/C1/reactivate", {})
        assert status_of(admin) == "activated"
        assert customer.sign_in("rita@example.com").status_code == 303


def test_an_admin_cannot_act_on_another_companys_customer(admin):
    # P1 belongs to pacific; the admin is working on abc (and administers pacific too).
    for path in ("/admin/customers/P1/invite", "/admin/customers/P1/inactivate",
                 "/admin/customers/P1/web-access"):
        assert admin.get(path).status_code == 404, path
    assert admin.post("/admin/customers/P1/invite", {"contact_id": "c0"}).status_code == 404
    assert admin.post("/admin/customers/P1/inactivate", {}).status_code == 404
    assert admin.post("/admin/customers/P1/reactivate", {}).status_code == 404
    assert admin.post("/admin/customers/P1/web-access",
                      {"access_type": "Dealer"}).status_code == 404
    assert admin.get("/admin/customers/P1/credentials").status_code == 404
    assert admin.post("/admin/customers/P1/credentials", {
        "action": "send", "to": "supply@example.com", "user_name": "P1",
        "password": "first password 1"}).status_code == 404
    # A customer number of this company with another company's contact id: nothing sent.
    assert admin.post("/admin/customers/C1/invite", {"contact_id": "../P1"}).status_code == 400
    assert sent_mail() == []
    from chalicelib.models import WebAccess
    assert WebAccess.count(account_pk("pacific", "P1")) == 0


def test_the_audit_records_who_invited(admin):
    invite(admin)
    event = [e for e in AuditEvent.query("abc") if e.action == "invitation_sent"][0]
    assert event.actor == "u-" + ADMIN.replace("@", "-")
    assert event.details["customer_no"] == "C1"


def test_access_dialog_lists_logins(admin):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    response = admin.get("/admin/customers/C1/inactivate?partial=1")
    assert response.status_code == 200, text(response)[:3000]
    assert "Logins: 1" in text(response)
