"""One login across companies: the switcher, hand-off tokens, several hosts per company."""
import re

import pytest

from chalicelib.ids import sha256
from chalicelib.models import Membership, Session, Token
from chalicelib.repositories import companies
from chalicelib.repositories.keys import account_pk
from chalicelib.services import handoff
from tests.support import Browser, make_user, sent_mail, text

HANDOFF_URL = re.compile(r"^http://pacific\.localhost/handoff/([A-Za-z0-9_-]{43})$")


@pytest.fixture
def both(browser, pacific):
    make_user("bo@example.com", accounts=[("abc", "C1002"), ("pacific", "P5001")], name="Bo Both")
    browser.sign_in("bo@example.com")
    return browser


def _switch(browser, company_id="pacific"):
    return browser.post("/switch-company", {"company_id": company_id})


def _handoff_secret(answer):
    """The switching page links (and moves on) to the other company's hand-off URL."""
    assert answer.status_code == 200 and answer.headers["Referrer-Policy"] == "no-referrer"
    url = re.search(r'<a id="continue" href="([^"]+)"', text(answer)).group(1)
    return HANDOFF_URL.match(url).group(1)


def _other_host(browser, host="pacific.localhost"):
    return Browser(browser.client, host=host)


def test_a_login_with_accounts_in_two_companies_sees_the_switcher(both):
    home = text(both.get("/"))
    assert "Switch company" in home
    assert 'name="company_id" value="pacific"' in home and "Pacific Distribution" in home
    assert 'name="company_id" value="abc"' not in home  # not the company it is on


def test_a_login_with_one_company_sees_no_switcher(browser, pacific):
    make_user("one@example.com", accounts=[("abc", "C1")])
    browser.sign_in("one@example.com")
    assert "Switch company" not in text(browser.get("/"))


def test_switching_signs_in_on_the_other_domain_without_a_password(both):
    secret = _handoff_secret(_switch(both))
    token = Token.get(sha256(secret))  # only the hash is stored
    assert token.kind == "handoff" and token.company_id == "pacific"
    assert token.expires_at - token.created == 60

    pacific = _other_host(both)
    form = pacific.get(f"/handoff/{secret}")
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    body = text(form)
    assert f'action="/handoff/{secret}"' in body and "<script nonce=" in body
    assert Token.get(sha256(secret)).used_at is None  # GET changes nothing
    done = pacific.post(f"/handoff/{secret}", {})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = text(pacific.get("/"))
    assert "Welcome, Bo Both" in home and "#P5001" in home
    # A new session there, not the ABC one.
    assert pacific.cookies["portal_session"] != both.cookies["portal_session"]
    assert Session.get(sha256(pacific.cookies["portal_session"])).company_id == "pacific"
    # ...and back again.
    back = pacific.post("/switch-company", {"company_id": "abc"})
    assert 'href="http://localhost/handoff/' in text(back)


def test_a_hand_off_token_works_once(both):
    secret = _handoff_secret(_switch(both))
    first = _other_host(both)
    first.get(f"/handoff/{secret}")
    assert first.post(f"/handoff/{secret}", {}).status_code == 303
    second = _other_host(both)
    assert second.get(f"/handoff/{secret}").status_code == 410
    again = second.post(f"/handoff/{secret}", {})
    assert again.status_code == 410 and "no longer valid" in text(again)
    assert not second.signed_in


def test_an_expired_hand_off_token_is_refused(both):
    secret = _handoff_secret(_switch(both))
    token = Token.get(sha256(secret))
    token.update(actions=[Token.expires_at.set(token.created - 1)])  # 61 s later
    pacific = _other_host(both)
    assert pacific.get(f"/handoff/{secret}").status_code == 410
    assert pacific.post(f"/handoff/{secret}", {}).status_code == 410
    assert not pacific.signed_in
    assert handoff.complete(companies.get_company("pacific"), secret, token.created + 61,
                            "ip") is None


def test_a_token_for_one_company_does_not_sign_in_on_another(both):
    secret = _handoff_secret(_switch(both))
    abc_again = _other_host(both, host="abc.localhost")  # ABC's second host
    abc_again.get("/login")
    assert abc_again.post(f"/handoff/{secret}", {}).status_code == 410
    assert not abc_again.signed_in


def test_no_switch_to_a_company_the_login_has_no_account_in(browser, pacific):
    make_user("one@example.com", accounts=[("abc", "C1")])
    browser.sign_in("one@example.com")
    assert _switch(browser).status_code == 404
    assert _switch(browser, "abc").status_code == 404  # nor to the company it is on


def test_a_token_of_a_login_whose_account_there_was_deactivated_is_refused(both):
    secret = _handoff_secret(_switch(both))
    membership = Membership.get("u-bo-example.com", account_pk("pacific", "P5001"))
    membership.update(actions=[Membership.status.set("inactive")])
    pacific = _other_host(both)
    pacific.get("/login")
    assert pacific.post(f"/handoff/{secret}", {}).status_code == 410
    assert not pacific.signed_in


def test_signed_in_as_someone_else_the_hand_off_asks_first(both):
    make_user("sue@example.com", accounts=[("pacific", "P5002")])
    pacific = _other_host(both)
    pacific.sign_in("sue@example.com")
    secret = _handoff_secret(_switch(both))
    page = text(pacific.get(f"/handoff/{secret}"))
    assert "You are signed in here as" in page and "<script nonce=" not in page
    assert pacific.post(f"/handoff/{secret}", {}).status_code == 303
    assert "#P5001" in text(pacific.get("/"))


def test_signing_in_where_the_login_has_no_active_account_gets_the_generic_message(browser, pacific):
    make_user("abc-only@example.com", accounts=[("abc", "C1")])
    user = make_user("lapsed@example.com", accounts=[("pacific", "P1")])
    Membership.get(user.user_id, account_pk("pacific", "P1")).update(
        actions=[Membership.status.set("inactive")])
    on_pacific = _other_host(browser)
    for login in ("abc-only@example.com", "lapsed@example.com"):
        answer = on_pacific.sign_in(login)
        assert answer.status_code == 401
        assert "The e-mail address, user name or password is not correct." in text(answer)


def test_every_host_of_a_company_serves_it_and_e_mails_use_the_primary(browser, abc):
    second = _other_host(browser, host="abc.localhost:8000")
    assert "Sign in to ABC Appliance Service" in text(second.get("/login"))
    make_user("mail@example.com", accounts=[("abc", "C1")])
    second.get("/forgot-password")
    second.post("/forgot-password", {"email": "mail@example.com"})
    body = str(sent_mail()[-1].body)
    assert "http://localhost/reset-password/" in body  # the primary, not the Host header
    assert "abc.localhost" not in body
