"""Auto-generated credentials on add invoice (README "Admin API")."""
import re
import time
from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.models import AuditEvent, LoginName, User
from chalicelib.repositories.keys import name_login
from chalicelib.services import credentials_email
from tests.api_support import LATER, customer, invoice
from tests.support import make_user, sent_mail, text


def _turn_on(api, **settings):
    answer = api.patch("/companies/abc", dict({"auto_credentials": True}, **settings))
    assert answer.status == 200, answer


def test_new_invoice_creates_a_login_and_emails_the_primary_contact(api, browser):
    _turn_on(api, generated_password_days=10)
    contacts = [{"contact_id": "1", "email": "not-an-address"},
                {"contact_id": "2", "email": "ap@example.com"},
                {"contact_id": "3", "email": "owner@example.com", "primary": True}]
    api.batch("abc", "customers", [customer(contacts=contacts)])
    before = len(sent_mail())
    answer = api.batch("abc", "invoices", [invoice("W500", "C1")])
    assert answer.outcomes() == ["created"] and answer.json["results"][0]["warnings"] == []

    mails = sent_mail()[before:]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.destinations["ToAddresses"] == ["owner@example.com"]
    assert "ABC Appliance Service" in mail.subject
    assert "User name: C1" in mail.body and "Password: W500" in mail.body
    assert "http://localhost" in mail.body and "Rita&#39;s Kitchen" in mail.body  # HTML part

    user = User.get(LoginName.get(name_login("abc", "C1")).user_id)
    assert user.must_change_password is True
    days = (user.generated_password_expires_at - clock.utcnow()) / timedelta(days=1)
    assert 9.9 < days <= 10

    response = browser.sign_in("C1", "W500")
    assert response.headers["Location"] == "/change-password"
    assert browser.get("/orders").headers.get("Location") == "/change-password"
    browser.get("/change-password")
    changed = browser.post("/change-password", {"current": "W500", "password": "my own words 42",
                                                "confirm": "my own words 42"})
    assert changed.status_code == 303
    assert "W500" in text(browser.get("/orders"))


def test_only_the_first_invoice_of_a_customer_without_a_login_does_it(api):
    _turn_on(api)
    api.batch("abc", "customers", [customer()])
    api.batch("abc", "invoices", [invoice("W500", "C1")])
    count = len(sent_mail())
    api.batch("abc", "invoices", [invoice("W501", "C1"), invoice("W500", "C1", updated_at=LATER,
                                                                 status="Ready")])
    assert len(sent_mail()) == count  # a login exists now; updates never send

    make_user("rita@example.com", accounts=[("abc", "C7")])  # signs in by e-mail already
    api.batch("abc", "invoices", [invoice("W700", "C7")])
    assert len(sent_mail()) == count
    assert not LoginName.count(name_login("abc", "C7"))


def test_off_by_default(api):
    api.batch("abc", "customers", [customer()])
    api.batch("abc", "invoices", [invoice()])
    assert sent_mail() == [] and not LoginName.count(name_login("abc", "C1"))


def test_no_valid_contact_email_is_a_warning_not_a_failure(api):
    _turn_on(api)
    api.batch("abc", "customers", [customer(contacts=[{"contact_id": "1", "email": "nope"}])])
    result = api.batch("abc", "invoices", [invoice()]).json["results"][0]
    assert result["outcome"] == "created"
    assert "no valid contact e-mail" in result["warnings"][0]
    assert sent_mail() == []
    assert any(e.action == "credentials_not_sent" for e in AuditEvent.query("abc"))


def test_the_company_format_is_used(api):
    fmt = ("Welcome {{ customer_name }}!\n\nSign in at {{ portal_url }} as {{ user_name }} "
           "with {{ password }}.\n\nCall us: 555-0100 ({{ company_name }})")
    _turn_on(api, credentials_email_format=fmt)
    api.batch("abc", "customers", [customer()])
    api.batch("abc", "invoices", [invoice()])
    body = sent_mail()[-1].body  # moto keeps the HTML part
    assert "Welcome Rita&#39;s Kitchen!" in body and "as C1 with W500." in body
    assert "Call us: 555-0100 (ABC Appliance Service)" in body


def test_link_delivery_sends_a_set_password_link_instead(api, browser):
    _turn_on(api, credentials_delivery="link")
    api.batch("abc", "customers", [customer()])
    api.batch("abc", "invoices", [invoice()])
    body = sent_mail()[-1].body
    assert "Password: W500" not in body
    link = re.search(r"http://localhost(:\d+)?(/reset-password/[\w-]+)", body)
    assert link, body
    user = User.get(LoginName.get(name_login("abc", "C1")).user_id)
    assert user.password_hash is None and user.must_change_password is False
    assert browser.sign_in("C1", "W500").status_code == 401
    browser.get(link.group(2))
    browser.post(link.group(2), {"password": "a long new secret", "confirm": "a long new secret"})
    assert browser.sign_in("C1", "a long new secret").status_code == 303


@pytest.mark.parametrize("text_,problem", [
    ("{{ first_name }}", "first_name"), ("{% if %}", "syntax"),
    ("{{ password.__class__.__mro__ }}", "attribute access (.)"), ("{{ cycler }}", "cycler"),
    ("{{ 'x' * 1000000000 }}", "arithmetic"), ("{{ range(9) }}", "range"),
    ("{% for c in password %}{{ c }}{% endfor %}", "{% for %} is not allowed"),
    ("{{ password|upper }}", "filters (|)"), ("{{ password[0] }}", "not allowed"),
    ("{% set x = 1 %}", "{% set %} is not allowed"), ("{% if password.x %}{% endif %}", "an if"),
    ("{% if password %}{% for c in password %}{% endfor %}{% endif %}", "{% for %}"),
    ("{% if password %}a{% else %}{{ 'x' }}{% endif %}", "literals"),
    ("{% macro m() %}{% endmacro %}", "{% macro %}"), ("{% include 'x' %}", "{% include %}"),
])
def test_validate_format_names_the_problem(text_, problem):
    assert problem in credentials_email.validate_format(text_)


def test_four_nested_loops_are_refused_fast():
    loops = "".join("{%% for %s in user_name * 40 %%}" % v for v in "abcd")
    text_ = loops + "x" + "{% endfor %}" * 4  # 40**4 lines if it ever rendered
    started = time.perf_counter()
    problem = credentials_email.validate_format(text_)
    assert time.perf_counter() - started < 0.5
    assert problem and "{% for %} is not allowed" in problem


def test_if_else_and_placeholders_are_allowed_and_render():
    fmt = ("Hi {{ customer_name }}{% if password %}, password {{ password }}"
           "{% elif not user_name %}!{% else %}, use the link{% endif %}.")
    assert credentials_email.validate_format(fmt) is None
    values = dict.fromkeys(credentials_email.PLACEHOLDERS, "")
    render = credentials_email._render_format
    assert render(fmt, dict(values, customer_name="Rita", user_name="C1")) == \
        "Hi Rita, use the link."
    assert render(fmt, dict(values, customer_name="Rita", password="W1")) == \
        "Hi Rita, password W1."
    assert render(fmt, dict(values, customer_name="Rita")) == "Hi Rita!."


def test_validate_format_accepts_every_placeholder():
    fmt = " ".join("{{ %s }}" % p for p in credentials_email.PLACEHOLDERS) + " free text"
    assert credentials_email.validate_format(fmt) is None


def test_render_escapes_html_and_keeps_text(abc):
    abc.credentials_email_format = "Hi {{ customer_name }}\n\nPassword: {{ password }}"
    subject, text_, html = credentials_email.render(abc, "<b>Bold</b> & Co", "C1", "W1")
    assert "Hi <b>Bold</b> & Co" in text_
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html and "<b>Bold" not in html
    assert subject == "Your ABC Appliance Service customer portal sign-in"


def test_primary_email_prefers_the_marked_contact():
    class C:
        def __init__(self, email, primary=False, email_bounced=False):
            self.email, self.primary, self.email_bounced = email, primary, email_bounced
    assert credentials_email.primary_email([C("a@x.io"), C("b@x.io", True)]) == "b@x.io"
    assert credentials_email.primary_email([C("bad"), C("c@x.io")]) == "c@x.io"
    assert credentials_email.primary_email([C("bad", True), C("c@x.io")]) == "c@x.io"
    assert credentials_email.primary_email([C("d@x.io", True, True)]) is None

