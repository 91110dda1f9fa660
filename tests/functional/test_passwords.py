"""Changing, forgetting and resetting a password."""
import re

from chalicelib.ids import sha256
from chalicelib.models import Session, Token, User, WebAccess
from chalicelib.repositories.keys import account_pk
from chalicelib.services import passwords
from tests.support import PASSWORD, Browser, make_user, sent_mail, text

NEW = "a brand new sentence 7"


def test_change_password_needs_the_current_one(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    browser.get("/preferences")
    response = browser.post("/change-password", {"current": "not it at all",
                                                 "password": NEW, "confirm": NEW})
    assert response.status_code == 400
    assert "current password is not correct" in text(response)


def test_changing_the_password_mails_the_user_and_ends_other_sessions(app, browser):
    user = make_user("rita@example.com", accounts=[("abc", "C1")])
    other = Browser(browser.client)
    other.sign_in("rita@example.com")
    browser.sign_in("rita@example.com")
    old_id = browser.cookies["portal_session"]
    browser.get("/preferences")
    response = browser.post("/change-password", {"current": PASSWORD, "password": NEW,
                                                 "confirm": NEW})
    assert response.headers["Location"] == "/?notice=password-changed"
    assert browser.cookies["portal_session"] != old_id  # this session got a new id
    assert "Your password has been changed" in text(browser.get("/?notice=password-changed"))
    assert other.get("/").status_code == 303  # the other session ended
    assert passwords.verify(User.get(user.user_id).password_hash, NEW)
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == ["rita@example.com"]
    assert "password was changed" in mail.subject


def test_weak_passwords_are_refused_with_a_reason(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    for candidate, reason in [("short", "at least 8"), ("password123", "too common"),
                              ("x" * 129, "at most 128"), ("rita@example.com", "must not be")]:
        browser.get("/preferences")
        response = browser.post("/change-password", {"current": PASSWORD, "password": candidate,
                                                     "confirm": candidate})
        assert response.status_code == 400 and reason in text(response), candidate


def test_mismatched_confirmation_is_refused(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    browser.get("/preferences")
    response = browser.post("/change-password", {"current": PASSWORD, "password": NEW,
                                                 "confirm": NEW + "x"})
    assert "do not match" in text(response)


def _reset_link():
    body = sent_mail()[-1].body
    return re.search(r"http://localhost(:\d+)?(/reset-password/[\w-]+)", body)


def test_forgot_password_mails_a_single_use_link_on_the_company_domain(browser):
    user = make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.host = "abc.localhost"  # the link uses the primary domain, not this Host
    browser.get("/forgot-password")
    response = browser.post("/forgot-password", {"email": "RITA@example.com"})
    assert "we have sent it a link" in text(response)
    link = _reset_link()
    assert link, sent_mail()[-1].body
    path = link.group(2)
    secret = path.rsplit("/", 1)[1]
    assert len(secret) >= 43
    token = Token.get(sha256(secret))
    assert token.kind == "reset" and token.expires_at - token.created == 3600
    page = browser.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    response = browser.post(path, {"password": NEW, "confirm": NEW})
    assert response.headers["Location"] == "/login?notice=reset"
    assert passwords.verify(User.get(user.user_id).password_hash, NEW)
    browser.get(path)
    again = browser.post(path, {"password": NEW + "!", "confirm": NEW + "!"})
    assert again.status_code == 410 and "expired or has already been used" in text(again)
    assert browser.sign_in("rita@example.com", NEW).status_code == 303


REFUSED = "must not be your user name"


def _user_name_login(user_name, customer_no, **settings):
    """A login as the administrator's credentials form makes it: the user name is the
    account's (WebAccess), signing in as this user."""
    user = make_user(None, user_name=("abc", user_name), accounts=[("abc", customer_no)],
                     **settings)
    WebAccess(account_pk("abc", customer_no), user_name=user_name,
              login_user_id=user.user_id).save()
    return user


def test_the_first_login_change_refuses_the_user_name_and_the_account_number(browser):
    _user_name_login("harper.family", "HARPER001", must_change=True)
    assert browser.sign_in("Harper.Family").headers["Location"] == "/change-password"
    browser.get("/change-password")
    for candidate in ("HARPER.FAMILY", "harper001"):
        response = browser.post("/change-password", {"current": PASSWORD, "password": candidate,
                                                      "confirm": candidate})
        assert response.status_code == 400 and REFUSED in text(response)
    assert browser.get("/orders").headers["Location"] == "/change-password"  # still forced


def test_a_change_refuses_the_user_name(browser):
    _user_name_login("harper.family", "C77")
    browser.sign_in("harper.family")
    browser.get("/change-password")
    response = browser.post("/change-password", {"current": PASSWORD, "password": "Harper.Family",
                                                  "confirm": "Harper.Family"})
    assert response.status_code == 400 and REFUSED in text(response)


def test_a_reset_refuses_the_user_name_and_the_e_mail(browser):
    user = make_user("rita@example.com", accounts=[("abc", "C1")])
    WebAccess(account_pk("abc", "C1"), user_name="rita.kitchen",
              login_user_id=user.user_id).save()
    browser.get("/forgot-password")
    browser.post("/forgot-password", {"email": "rita@example.com"})
    path = _reset_link().group(2)
    browser.get(path)
    for candidate in ("RITA.KITCHEN", "Rita@Example.com"):
        response = browser.post(path, {"password": candidate, "confirm": candidate})
        assert response.status_code == 400 and REFUSED in text(response)
    assert passwords.verify(User.get(user.user_id).password_hash, PASSWORD)


def test_a_reset_link_expires_after_an_hour(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/forgot-password")
    browser.post("/forgot-password", {"email": "rita@example.com"})
    path = _reset_link().group(2)
    token = Token.get(sha256(path.rsplit("/", 1)[1]))
    token.expires_at = token.created  # an hour has passed
    token.save()
    response = browser.get(path)
    assert response.status_code == 410
    assert "Ask for a new link" in text(response)


def test_a_reset_ends_every_session_of_the_user(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    signed_in = Browser(browser.client)
    signed_in.sign_in("rita@example.com")
    browser.get("/forgot-password")
    browser.post("/forgot-password", {"email": "rita@example.com"})
    path = _reset_link().group(2)
    browser.get(path)
    browser.post(path, {"password": NEW, "confirm": NEW})
    assert signed_in.get("/").status_code == 303
    assert Session.count("anything") == 0


def test_an_unknown_address_gets_the_same_answer_and_no_mail(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/forgot-password")
    known = browser.post("/forgot-password", {"email": "rita@example.com"})
    count = len(sent_mail())
    browser.get("/forgot-password")
    unknown = browser.post("/forgot-password", {"email": "nobody@example.com"})
    assert unknown.status_code == known.status_code == 200
    assert re.sub(r'value="[^"]+"|nonce="[^"]+"', "", text(unknown)) == \
        re.sub(r'value="[^"]+"|nonce="[^"]+"', "", text(known))
    assert len(sent_mail()) == count


def test_an_unknown_reset_token_gets_a_clear_page(browser):
    response = browser.get("/reset-password/made-up-token")
    assert response.status_code == 410
    assert "Ask for a new link" in text(response)
