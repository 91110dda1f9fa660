"""One login across companies: the switcher, hand-off tokens, several hosts per company."""
from urllib.parse import parse_qsl, urlsplit

import pytest

from chalicelib.ids import sha256
from chalicelib.models import Membership, Session, Token, User
from chalicelib.repositories import companies
from chalicelib.repositories.keys import account_pk
from chalicelib.services import handoff
from tests.handoff_support import CODE_URL, continue_url, exchange, other_host, path_of, switch_company
from tests.support import Browser, make_user, sent_mail, text


@pytest.fixture
def both(browser, pacific):
    make_user("bo@example.com", accounts=[("abc", "C1002"), ("pacific", "P5001")], name="Bo Both")
    browser.sign_in("bo@example.com")
    return browser


def _handoff_secret(both):
    """A code issued in `both`'s browser; its pacific host's cookies kept on `both.pacific`."""
    both.pacific = other_host(both)
    return exchange(both, both.pacific)


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
    pacific = other_host(both)  # the same browser on the other company's host
    secret = exchange(both, pacific)
    token = Token.get(sha256(secret))  # only the hash is stored
    assert token.kind == "handoff" and token.company_id == "pacific"
    assert token.expires_at - token.created == 60
    assert token.state_hash == sha256(pacific.cookies["portal_handoff"])
    state_cookie = [c for c in _set_cookies(other_host(both), "/switch-company/start?from=abc")
                    if c.startswith("portal_handoff=")][0]
    assert "HttpOnly" in state_cookie and "SameSite=Lax" in state_cookie

    form = pacific.get(f"/handoff/{secret}")
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    body = text(form)
    assert f'action="/handoff/{secret}"' in body and "<script nonce=" in body
    assert Token.get(sha256(secret)).used_at is None  # GET changes nothing
    done = pacific.post(f"/handoff/{secret}", {})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "portal_handoff" not in pacific.cookies  # the state is spent
    home = text(pacific.get("/"))
    assert "Welcome, Bo Both" in home and "#P5001" in home
    # A new session there, not the ABC one.
    assert pacific.cookies["portal_session"] != both.cookies["portal_session"]
    assert Session.get(sha256(pacific.cookies["portal_session"])).company_id == "pacific"
    # ...and back again.
    back = pacific.post("/switch-company", {"company_id": "abc"})
    assert continue_url(back) == "http://localhost/switch-company/start?from=pacific"


def _set_cookies(browser, path):
    values = browser.get(path).headers.get("Set-Cookie") or []
    return values if isinstance(values, list) else [values]


def test_a_code_minted_in_one_browser_signs_nobody_in_from_another(app, both):
    """Login CSRF: the attacker (a two-company login) completes the first steps in their own
    browser and sends the victim the /handoff/<code> link."""
    from chalice.test import Client

    secret = _handoff_secret(both)
    with Client(app, stage_name="local") as other_client:  # the victim's own browser
        victim = Browser(other_client, host="pacific.localhost")
        page = victim.get(f"/handoff/{secret}")
        assert page.status_code == 410 and "<script nonce=" not in text(page)
        assert victim.post(f"/handoff/{secret}", {}).status_code == 410
        # ...nor with a switch of its own started in that browser (another state).
        assert victim.get("/switch-company/start?from=abc").status_code == 302
        assert "portal_handoff" in victim.cookies
        assert victim.post(f"/handoff/{secret}", {}).status_code == 410
        assert not victim.signed_in
        assert "Welcome" not in text(victim.get("/"))
    assert Token.get(sha256(secret)).used_at is None  # refusals do not spend the code
    # The browser that started the switch still completes it.
    assert both.pacific.post(f"/handoff/{secret}", {}).status_code == 303


def test_a_code_issued_for_a_state_the_browser_does_not_hold_is_refused(both):
    """A victim signed in on the source, lured to the attacker's authorize URL: the code
    goes to the victim's browser, which holds no matching state, so it signs in nobody."""
    attacker = other_host(both)
    authorize = attacker.get("/switch-company/start?from=abc").headers["Location"]
    query = dict(parse_qsl(urlsplit(authorize).query))
    both.get(path_of(authorize))
    secret = CODE_URL.match(continue_url(
        both.post("/switch-company/authorize", query))).group(1)
    victim_pacific = other_host(both)
    victim_pacific.get("/switch-company/start?from=abc")  # a state, but not that one
    assert victim_pacific.post(f"/handoff/{secret}", {}).status_code == 410


def test_the_source_issues_codes_only_for_a_state_hash_and_a_switchable_target(both):
    both.get("/")
    good = "0" * 64
    assert both.post("/switch-company/authorize",
                     {"state": "not-a-hash", "target": "pacific"}).status_code == 404
    assert both.post("/switch-company/authorize",
                     {"state": good, "target": "abc"}).status_code == 404
    assert both.post("/switch-company/authorize",
                     {"state": good, "target": "nowhere"}).status_code == 404
    signed_out = other_host(both, host="localhost")
    answer = signed_out.get(f"/switch-company/authorize?state={good}&target=pacific")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")
    assert other_host(both).get("/switch-company/start?from=nowhere").status_code == 404
    assert other_host(both).get("/switch-company/start?from=pacific").status_code == 404


def test_a_hand_off_code_works_once(both):
    secret = _handoff_secret(both)
    first = both.pacific
    first.get(f"/handoff/{secret}")
    assert first.post(f"/handoff/{secret}", {}).status_code == 303
    # The same browser again (a new state for the replay: the old one was spent).
    first.get("/switch-company/start?from=abc")
    assert first.get(f"/handoff/{secret}").status_code == 410
    again = first.post(f"/handoff/{secret}", {})
    assert again.status_code == 410 and "no longer valid" in text(again)


def test_an_expired_hand_off_code_is_refused(both):
    secret = _handoff_secret(both)
    token = Token.get(sha256(secret))
    token.update(actions=[Token.expires_at.set(token.created - 1)])  # 61 s later
    pacific = both.pacific
    assert pacific.get(f"/handoff/{secret}").status_code == 410
    assert pacific.post(f"/handoff/{secret}", {}).status_code == 410
    assert not pacific.signed_in
    assert handoff.complete(companies.get_company("pacific"), secret,
                            pacific.cookies["portal_handoff"], token.created + 61, "ip") is None


def test_a_code_for_one_company_does_not_sign_in_on_another(both):
    secret = _handoff_secret(both)
    abc_again = other_host(both, host="abc.localhost")  # ABC's second host
    abc_again.cookies["portal_handoff"] = both.pacific.cookies["portal_handoff"]
    abc_again.get("/login")
    assert abc_again.post(f"/handoff/{secret}", {}).status_code == 410
    assert not abc_again.signed_in


def test_no_switch_to_a_company_the_login_has_no_account_in(browser, pacific):
    make_user("one@example.com", accounts=[("abc", "C1")])
    browser.sign_in("one@example.com")
    assert switch_company(browser).status_code == 404
    assert switch_company(browser, "abc").status_code == 404  # nor to the company it is on


def test_a_code_of_a_login_whose_account_there_was_deactivated_is_refused(both):
    secret = _handoff_secret(both)
    membership = Membership.get("u-bo-example.com", account_pk("pacific", "P5001"))
    membership.update(actions=[Membership.status.set("inactive")])
    assert both.pacific.post(f"/handoff/{secret}", {}).status_code == 410
    assert not both.pacific.signed_in


def test_signed_in_as_someone_else_the_hand_off_asks_first(both):
    make_user("sue@example.com", accounts=[("pacific", "P5002")])
    pacific = other_host(both)
    pacific.sign_in("sue@example.com")
    secret = exchange(both, pacific)
    page = text(pacific.get(f"/handoff/{secret}"))
    assert "You are signed in here as" in page and "<script nonce=" not in page
    sue_session = pacific.cookies["portal_session"]
    assert pacific.post(f"/handoff/{secret}", {}).status_code == 303
    assert "#P5001" in text(pacific.get("/"))
    assert Session.count(sha256(sue_session)) == 0  # the sign-in it replaced ended


def test_signing_in_where_the_login_has_no_active_account_gets_the_generic_message(browser, pacific):
    make_user("abc-only@example.com", accounts=[("abc", "C1")])
    user = make_user("lapsed@example.com", accounts=[("pacific", "P1")])
    Membership.get(user.user_id, account_pk("pacific", "P1")).update(
        actions=[Membership.status.set("inactive")])
    on_pacific = other_host(browser)
    answer = on_pacific.sign_in("abc-only@example.com")  # another company's login
    assert answer.status_code == 401
    assert "The e-mail address, user name or password is not correct." in text(answer)
    # An account an administrator inactivated: after the right password, the login is told
    # why (docs/security.md); a wrong password still gets the generic answer.
    answer = on_pacific.sign_in("lapsed@example.com")
    assert answer.status_code == 403
    assert "Your portal access for Pacific Distribution is turned off" in text(answer)
    answer = on_pacific.sign_in("lapsed@example.com", "not the password")
    assert answer.status_code == 401 and "turned off" not in text(answer)


def test_every_host_of_a_company_serves_it_and_e_mails_use_the_primary(browser, abc):
    second = other_host(browser, host="abc.localhost:8000")
    assert "Sign in to ABC Appliance Service" in text(second.get("/login"))
    make_user("mail@example.com", accounts=[("abc", "C1")])
    second.get("/forgot-password")
    second.post("/forgot-password", {"email": "mail@example.com"})
    body = str(sent_mail()[-1].body)
    assert "http://localhost/reset-password/" in body  # the primary, not the Host header
    assert "abc.localhost" not in body


# ------------------------------------------------------------------ device details and the new-device e-mail
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _new_device_mail(to="bo@example.com"):
    return [m for m in sent_mail()
            if m.subject.startswith("New sign-in") and to in m.destinations["ToAddresses"]]


def test_a_hand_off_session_records_the_browser_and_ip_for_the_sessions_page(both):
    pacific = other_host(both)
    secret = exchange(both, pacific)
    done = pacific.post(f"/handoff/{secret}", {}, headers={"User-Agent": FIREFOX_LINUX})
    assert done.status_code == 303
    stored = Session.get(sha256(pacific.cookies["portal_session"]))
    assert stored.user_agent == FIREFOX_LINUX and stored.source_ip == "127.0.0.1"
    page = text(pacific.get("/preferences/sessions"))
    row = page[page.index("Firefox on Linux"):]
    assert "Firefox on Linux <strong>(this browser)</strong>" in page
    assert "127.0.0.1" in row[:row.index("</tr>")]


def test_switching_from_a_known_browser_is_not_a_new_device(both):
    """The first switch to another host sees no device cookie there, but the source vouches
    for its browser: the same device, no e-mail."""
    assert "portal_browser" in both.cookies and _new_device_mail() == []  # the baseline
    pacific = other_host(both)
    pacific.post(f"/handoff/{exchange(both, pacific)}", {})
    assert pacific.signed_in and "portal_browser" in pacific.cookies
    assert _new_device_mail() == []
    assert len(User.get("u-bo-example.com").known_devices) == 2  # known there from now on


def test_a_hand_off_from_a_new_device_sends_the_new_device_e_mail(both, app):
    """A session in a browser never seen (a copied session cookie, say) switching company:
    told like a password sign-in from a new device."""
    from chalice.test import Client

    with Client(app, stage_name="local") as other_client:
        stranger = Browser(other_client, host="localhost")
        stranger.cookies["portal_session"] = both.cookies["portal_session"]
        assert "Welcome, Bo Both" in text(stranger.get("/"))
        pacific = other_host(stranger)
        secret = exchange(stranger, pacific)
        done = pacific.post(f"/handoff/{secret}", {}, headers={"User-Agent": FIREFOX_LINUX})
        assert done.status_code == 303 and pacific.signed_in
    mails = _new_device_mail()
    assert len(mails) == 1 and "Firefox on Linux" in str(mails[0].body)
    assert "Pacific Distribution" in mails[0].subject
