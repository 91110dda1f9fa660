"""Web access, dealers, portal settings, audit log, SES bounces and the e-mail
confirmation link: each rule as a user or administrator would notice it."""
import json
import re

import pytest

from chalicelib.models import AuditEvent, Company, Contact, Dealer, DealerLink, User, WebAccess
from chalicelib.repositories.keys import account_pk
from tests.support import ADMIN, make_customer, make_user, sent_mail, text


@pytest.fixture
def setup(abc, pacific):
    make_customer("abc", "C1", "Harper Family", emails=["harper@example.com"])
    make_customer("abc", "D1", "Prairie Dealers", emails=["prairie@example.com"])
    make_customer("pacific", "P1", "Harbor Supply", emails=["harper@example.com"])
    Dealer("abc", "DLR1", name="Prairie Appliance Dealers").save()
    Dealer("pacific", "PDL1", name="Pacific Dealer").save()
    make_user(ADMIN, admin_of=["abc", "pacific"], name="Ada Admin")


@pytest.fixture
def admin(browser, setup):
    browser.sign_in(ADMIN)
    return browser


# ------------------------------------------------------------- web access
def test_web_access_editor_saves_type_flags_and_creates_a_user_name_login(admin, app):
    response = admin.post("/admin/customers/C1/web-access", {
        "access_type": "Dealer", "search_all": "on", "page_orders": "on",
        "page_history": "on", "user_name": "C1", "password": "first password 1"})
    assert response.status_code == 303
    web = WebAccess.get(account_pk("abc", "C1"))
    assert web.access_type == "Dealer" and web.search_all
    assert web.pages.as_dict()["orders"] is True and web.pages.as_dict()["equipment"] is False
    from chalice.test import Client

    from tests.support import Browser
    with Client(app, stage_name="local") as raw:
        customer = Browser(raw)
        answer = customer.sign_in("C1", "first password 1")
        assert answer.headers["Location"] == "/change-password"  # forced change
        assert customer.get("/orders").headers["Location"] == "/change-password"


def test_web_access_refuses_bad_input_without_writing(admin):
    response = admin.post("/admin/customers/C1/web-access",
                          {"access_type": "Boss", "user_name": "", "password": ""})
    assert response.status_code == 400
    response = admin.post("/admin/customers/C1/web-access",
                          {"access_type": "Retail", "user_name": "C1", "password": ""})
    assert response.status_code == 400 and "needs both" in text(response)
    response = admin.post("/admin/customers/C1/web-access",
                          {"access_type": "Retail", "user_name": "C1", "password": "short"})
    assert response.status_code == 400 and "First password" in text(response)
    assert WebAccess.count(account_pk("abc", "C1")) == 0


def test_the_first_password_is_not_the_user_name_nor_the_account_number(admin):
    make_customer("abc", "HARPER001", "Harper Again", emails=["again@example.com"])
    for user_name, password in (("harper.family", "Harper.Family"),
                                ("harper.family", "harper001")):
        response = admin.post("/admin/customers/HARPER001/web-access",
                              {"access_type": "Retail", "user_name": user_name,
                               "password": password})
        assert response.status_code == 400 and "must not be your user name" in text(response)
    assert WebAccess.count(account_pk("abc", "HARPER001")) == 0


def test_web_access_is_read_only_when_the_erp_owns_it(admin, abc):
    abc.web_access_owner = "erp"
    abc.save()
    from chalicelib.services import tenant
    tenant.forget()
    body = text(admin.get("/admin/customers/C1/web-access"))
    assert "<fieldset disabled>" in body and "manages web access in its ERP" in body
    response = admin.post("/admin/customers/C1/web-access", {"access_type": "Dealer"})
    assert response.status_code == 400
    assert WebAccess.count(account_pk("abc", "C1")) == 0


def test_user_names_are_unique_per_company(admin):
    admin.post("/admin/customers/C1/web-access", {"access_type": "Retail", "user_name": "shop",
                                                  "password": "first password 1"})
    response = admin.post("/admin/customers/D1/web-access", {
        "access_type": "Retail", "user_name": "shop", "password": "first password 2"})
    assert response.status_code == 400 and "already taken" in text(response)


# ---------------------------------------------------------------- dealers
def test_dealer_list_and_link_with_a_warning_for_retail_accounts(admin):
    body = text(admin.get("/admin/dealers"))
    assert "DLR1" in body and "PDL1" not in body
    body = text(admin.get("/admin/dealers/DLR1?find=prairie"))
    assert "Prairie Dealers" in body
    response = admin.post("/admin/dealers/DLR1/link", {"customer_no": "D1"})
    assert response.status_code == 303
    body = text(admin.get(response.headers["Location"]))
    assert "access type Retail" in body and "will not see the dealer pages" in body
    assert DealerLink.count(account_pk("abc", "D1")) == 1
    assert Dealer.get("abc", "DLR1").linked_customer_nos == ["D1"]
    admin.post("/admin/customers/D1/web-access", {"access_type": "Dealer"})
    body = text(admin.get("/admin/dealers/DLR1"))
    assert "access type Dealer" in body
    admin.post("/admin/dealers/DLR1/unlink", {"customer_no": "D1"})
    assert DealerLink.count(account_pk("abc", "D1")) == 0


def test_dealer_links_stay_inside_the_managed_company(admin):
    assert admin.get("/admin/dealers/PDL1").status_code == 404
    assert admin.post("/admin/dealers/PDL1/link", {"customer_no": "P1"}).status_code == 404
    response = admin.post("/admin/dealers/DLR1/link", {"customer_no": "P1"})  # pacific's
    assert response.status_code == 400
    assert DealerLink.count(account_pk("abc", "P1")) == 0
    assert "Harbor Supply" not in text(admin.get("/admin/dealers/DLR1?find=harbor"))


# --------------------------------------------------------------- settings
def test_settings_change_what_customers_see(admin, app):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    response = admin.post("/admin/settings", {
        "action": "save", "page_orders": "on", "page_account": "on",
        "parts_price_display": "hide", "parts_qty_display": "in_stock",
        "oem_label": "Partner", "service_request_url": "https://service.example/new"})
    assert response.status_code == 303
    company = Company.get("abc")
    assert company.pages.as_dict()["history"] is False and company.oem_label == "Partner"
    assert company.parts_price_display == "hide" and company.parts_qty_display == "in_stock"
    from chalice.test import Client

    from tests.support import Browser
    with Client(app, stage_name="local") as raw:
        customer = Browser(raw)
        customer.sign_in("rita@example.com")
        home = text(customer.get("/"))
        assert 'href="/orders"' in home and 'href="/history"' not in home
        assert customer.get("/history").status_code == 404
    assert any(e.action == "settings_changed" for e in AuditEvent.query("abc"))


def test_settings_refuse_bad_values(admin):
    for bad in ({"oem_label": ""}, {"service_request_url": "javascript:alert(1)"},
                {"parts_price_display": "free"}):
        form = dict({"action": "save", "oem_label": "OEM", "parts_price_display": "price",
                     "parts_qty_display": "quantity"}, **bad)
        assert admin.post("/admin/settings", form).status_code == 400, bad
    assert Company.get("abc").oem_label == "OEM"


def test_settings_of_the_selected_company_only(admin):
    admin.post("/admin/select-dealer", {"company_id": "pacific"})
    admin.post("/admin/settings", {"action": "save", "oem_label": "Pacific OEM",
                                   "parts_price_display": "price",
                                   "parts_qty_display": "quantity"})
    assert Company.get("pacific").oem_label == "Pacific OEM"
    assert Company.get("abc").oem_label == "OEM"


# -------------------------------------------------------------- audit log
def what(label):
    return f'<td data-label="What">{label}</td>'


def test_audit_log_shows_admin_actions_and_security_events_with_filters(admin, app):
    admin.post("/admin/customers/C1/invite", {"contact_id": "c0"})
    from chalice.test import Client

    from tests.support import Browser
    with Client(app, stage_name="local") as raw:
        Browser(raw).sign_in(ADMIN, "wrong password")
    body = text(admin.get("/admin/audit"))
    assert all(what(label) in body for label in ("Invitation sent", "Signed in",
                                                 "Sign-in failed"))
    assert ">C1</td>" in body  # the customer it was done to
    body = text(admin.get("/admin/audit?action=invitation_sent"))
    assert what("Invitation sent") in body and what("Sign-in failed") not in body
    body = text(admin.get(f"/admin/audit?person={ADMIN}&action=sign_in"))
    assert what("Signed in") in body and what("Invitation sent") not in body
    body = text(admin.get("/admin/audit?person=nobody@example.com"))
    assert "No portal login is called" in body
    assert admin.get("/admin/audit?from=2020-01-01&to=2020-01-02").status_code == 200
    assert "Nothing was recorded" in text(admin.last)
    assert admin.get("/admin/audit?from=2020-02-01&to=2020-01-02").status_code == 400


def test_lock_is_audited(browser, setup):
    for _ in range(5):
        browser.sign_in(ADMIN, "wrong password")
    actions = [e.action for e in AuditEvent.query("abc")]
    assert actions.count("sign_in_failed") == 5 and "account_locked" in actions


def test_audit_of_one_company_is_not_shown_to_another(admin):
    admin.post("/admin/customers/C1/invite", {"contact_id": "c0"})
    admin.post("/admin/select-dealer", {"company_id": "pacific"})
    assert what("Invitation sent") not in text(admin.get("/admin/audit"))


# ------------------------------------------------------------ SES bounces
BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
               "bouncedRecipients": [{"emailAddress": "Harper@Example.com", "action": "failed",
                                      "status": "5.1.1",
                                      "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
               "timestamp": "2026-11-20T14:59:38.237Z", "feedbackId": "0000-1",
               "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"},
    "mail": {"timestamp": "2026-11-20T14:59:37.000Z", "source": "no-reply@localhost",
             "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/localhost",
             "messageId": "0000-msg", "destination": ["harper@example.com"]},
}
COMPLAINT = {
    "notificationType": "Complaint",
    "complaint": {"complainedRecipients": [{"emailAddress": "prairie@example.com"}],
                  "timestamp": "2026-11-20T15:01:00.000Z", "feedbackId": "0000-2",
                  "complaintFeedbackType": "abuse"},
    "mail": {"timestamp": "2026-11-20T15:00:00.000Z", "source": "no-reply@localhost",
             "messageId": "0000-msg2", "destination": ["prairie@example.com"]},
}


def sns(app, notification):
    from chalice.test import Client
    with Client(app, stage_name="local") as client:
        event = client.events.generate_sns_event(message=json.dumps(notification),
                                                 subject="Amazon SES Email Event Notification")
        client.lambda_.invoke("ses_notifications", event)


def test_permanent_bounce_marks_the_contact_in_every_company(admin, app):
    sns(app, BOUNCE)
    assert Contact.get(account_pk("abc", "C1"), "c0").email_bounced
    assert Contact.get(account_pk("pacific", "P1"), "c0").email_bounced
    body = text(admin.get("/admin/customers?retrieve=1&bounced=yes"))
    assert "Harper Family" in body and "Prairie" not in body
    body = text(admin.get("/admin/customers/C1/invite"))
    assert "E-mail to this address bounced" in body
    assert any(e.action == "email_bounced" for e in AuditEvent.query("abc"))


def test_complaint_marks_and_transient_bounce_does_not(admin, app):
    sns(app, COMPLAINT)
    assert Contact.get(account_pk("abc", "D1"), "c0").email_bounced
    transient = json.loads(json.dumps(BOUNCE))
    transient["bounce"]["bounceType"] = "Transient"
    sns(app, transient)
    assert not Contact.get(account_pk("abc", "C1"), "c0").email_bounced
    assert "Marked as spam" in text(admin.get("/admin/customers/D1/invite"))


def test_garbage_notifications_are_ignored(app, setup):
    from chalicelib.services import bounces
    assert bounces.handle("not json", 0) == []
    assert bounces.handle("[1, 2]", 0) == []
    assert bounces.handle(json.dumps({"notificationType": "Delivery"}), 0) == []


# ----------------------------------------------------- e-mail confirmation
def test_a_login_created_another_way_confirms_its_email_by_link(browser, setup):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    assert "Send a confirmation link" in text(browser.get("/preferences"))
    browser.post("/preferences/confirm-email", {})
    mail = sent_mail()[-1]
    assert "Confirm your e-mail" in mail.subject
    path = re.search(r"http://localhost(?::\d+)?(/confirm-email/[A-Za-z0-9_-]+)", mail.body).group(1)
    page = browser.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert User.get("u-rita-example.com").email_confirmed_at is None  # GET changes nothing
    assert browser.post(path, {}).status_code == 200
    assert User.get("u-rita-example.com").email_confirmed_at is not None
    assert browser.post(path, {}).status_code == 410  # single use


# ------------------------------------------------------------ e-mail look
@pytest.mark.parametrize("template", ["invitation", "company_added", "email_confirmation",
                                      "password_reset", "password_changed"])
def test_every_email_is_branded_in_html_and_text(abc, template):
    from chalicelib import email as mail
    abc.theme.logo_key = "abc/logo.png"
    user = User("u1", email="x@example.com", name="Xavier")
    mail.send(abc, "x@example.com", template, user=user, name="Xavier",
              link="http://localhost/x", valid_for="7 days")
    sent = sent_mail()[-1]
    assert "ABC Appliance Service" in sent.subject or "ABC Appliance Service" in sent.body
    assert "#1f4e79" in sent.body and "#f2a900" in sent.body and "abc/logo.png" in sent.body
    from chalicelib.templating import render
    assert "ABC Appliance Service" in render(f"emails/{template}.txt", company=abc, user=user,
                                             name="Xavier", link="l", valid_for="7 days",
                                             portal_url="http://localhost/")


# ---------------------------------------------------- credentials e-mail
def test_send_credentials_sets_a_first_password_and_emails_the_format(admin, app, abc):
    abc.credentials_email_format = ("Dear {{ customer_name }}, sign in at {{ portal_url }} "
                                    "as {{ user_name }} with {{ password }}.")
    abc.save()
    from chalicelib.services import tenant
    tenant.forget()
    body = text(admin.get("/admin/customers/C1/credentials"))
    assert "harper@example.com" in body
    preview = admin.post("/admin/customers/C1/credentials", {
        "action": "preview", "to": "harper@example.com", "user_name": "C1",
        "password": "first password 9"})
    assert "Dear Harper Family, sign in at http://localhost/ as C1 with first password 9" \
        in text(preview)
    assert sent_mail() == []  # a preview sends nothing
    response = admin.post("/admin/customers/C1/credentials", {
        "action": "send", "to": "harper@example.com", "user_name": "C1",
        "password": "first password 9"})
    assert response.status_code == 303
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == ["harper@example.com"]
    assert "first password 9" in mail.body
    from chalice.test import Client

    from tests.support import Browser
    with Client(app, stage_name="local") as raw:
        answer = Browser(raw).sign_in("C1", "first password 9")
        assert answer.headers["Location"] == "/change-password"
    assert any(e.action == "credentials_sent" for e in AuditEvent.query("abc"))


def test_send_credentials_only_to_the_customers_own_contacts(admin):
    response = admin.post("/admin/customers/C1/credentials", {
        "action": "send", "to": "attacker@example.com", "user_name": "C1",
        "password": "first password 9"})
    assert response.status_code == 400 and sent_mail() == []
    assert WebAccess.count(account_pk("abc", "C1")) == 0


def test_settings_preview_and_refusal_of_unknown_placeholders(admin):
    form = {"oem_label": "OEM", "parts_price_display": "price", "parts_qty_display": "quantity"}
    response = admin.post("/admin/settings", dict(form, action="preview",
                          credentials_email_format="Hi {{ customer_name }}: {{ password }}"))
    assert response.status_code == 200 and "Hi Sample Customer: W10085" in text(response)
    response = admin.post("/admin/settings", dict(form, action="save",
                          credentials_email_format="Hi {{ secret_key }}"))
    assert response.status_code == 400 and "Credentials e-mail format" in text(response)
    assert Company.get("abc").credentials_email_format is None
