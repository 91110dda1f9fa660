"""Passkeys: register from Preferences, list, remove, sign in without a password on the host
they were made for; every bad body is a clear 4xx, counted, with no session."""
import json
import time

import pytest

from chalicelib.models import AuditEvent, Passkey, Throttle
from chalicelib.models.base import plain_dict
from chalicelib.services import passkeys, sessions
from tests.passkey_support import SoftAuthenticator
from tests.support import Browser, make_user, sent_mail, text


def _register(browser, authenticator, name="Blue laptop", **forge):
    browser.get("/preferences/passkeys")
    token = browser.csrf_token()
    options = browser.post("/preferences/passkeys/options", {"csrf_token": token})
    assert options.status_code == 200, text(options)
    return browser.post("/preferences/passkeys", {
        "csrf_token": token, "name": name,
        "credential": authenticator.create(text(options), **forge)})


def _passkey_sign_in(browser, authenticator, **forge):
    """What static/passkeys.js does on the sign-in page; returns (options, answer)."""
    browser.get("/login")
    token = browser.csrf_token()
    options = browser.post("/login/passkey/options", {"csrf_token": token})
    assert options.status_code == 200, text(options)
    body = authenticator.get(text(options), **forge)
    return body, browser.post("/login/passkey", {"csrf_token": token, "credential": body})


def _error(answer):
    return json.loads(text(answer))["error"]


@pytest.fixture
def rita():
    return make_user("rita@example.com", accounts=[("abc", "C1")], name="Rita")


@pytest.fixture
def key(browser, rita):
    """Rita's passkey, registered on localhost (ABC's host)."""
    authenticator = SoftAuthenticator("http://localhost")
    browser.sign_in("rita@example.com")
    answer = _register(browser, authenticator)
    assert answer.status_code == 200, text(answer)
    assert json.loads(text(answer))["redirect"] == "/preferences/passkeys?notice=added"
    return authenticator


def _fresh(browser, host="localhost"):
    return Browser(browser.client, host=host)


def _ip_failures():
    try:
        return int(Throttle.get("ip#127.0.0.1").failures)
    except Throttle.DoesNotExist:
        return 0


def test_registered_passkey_is_listed_and_e_mailed(browser, key):
    page = text(browser.get("/preferences/passkeys?notice=added"))
    assert "Blue laptop" in page and "Your passkey has been added." in page
    stored = Passkey.get(key.id)
    assert stored.rp_id == "localhost" and stored.company_id == "abc"
    assert stored.user_id == "u-rita-example.com"
    mail = [m for m in sent_mail() if "passkey was added" in m.subject]
    assert [m.destinations["ToAddresses"] for m in mail] == [["rita@example.com"]]


def test_sign_in_with_a_passkey_and_no_password(browser, key):
    other = _fresh(browser)
    _, answer = _passkey_sign_in(other, key)
    assert answer.status_code == 200, text(answer)
    assert json.loads(text(answer)) == {"redirect": "/"}
    assert other.signed_in
    assert "Welcome, Rita" in text(other.get("/"))
    assert Passkey.get(key.id).sign_count == 1 and Passkey.get(key.id).last_used
    actions = [(e.action, plain_dict(e.details)) for e in AuditEvent.query("abc")]
    assert ("sign_in", {"method": "passkey"}) in actions


def test_a_replayed_assertion_is_refused(browser, key):
    body, first = _passkey_sign_in(_fresh(browser), key)
    assert first.status_code == 200
    again = _fresh(browser)
    again.get("/login")
    answer = again.post("/login/passkey", {"credential": body})
    assert answer.status_code == 400
    assert _error(answer) == passkeys.EXPIRED
    assert not again.signed_in and _ip_failures() == 1


def test_an_expired_challenge_is_refused(abc, browser, key):
    browser_two = _fresh(browser)
    browser_two.get("/login")
    options = browser_two.post("/login/passkey/options", {})
    late = sessions.Client("test", "198.51.100.9")

    result = passkeys.sign_in(abc, passkeys.RelyingParty("localhost", "http://localhost"),
                              key.get(text(options)), late,
                              now=time.time() + passkeys.CHALLENGE_SECONDS + 1)
    assert not result.ok and result.status == 400 and result.error == passkeys.EXPIRED
    assert Throttle.get("ip#198.51.100.9").failures == 1
    assert Throttle.get("acct#user#u-rita-example.com").failures == 1


def test_a_passkey_made_for_another_host_is_refused(app, abc, browser, rita):
    """Registered on abc.localhost, presented on localhost (both ABC's): another RP ID."""
    on_other_host = Browser(browser.client, host="abc.localhost")
    on_other_host.sign_in("rita@example.com")
    authenticator = SoftAuthenticator("http://abc.localhost")
    assert _register(on_other_host, authenticator).status_code == 200
    assert Passkey.get(authenticator.id).rp_id == "abc.localhost"
    # What a forged client would send: signed for its own host, answering this host's challenge.
    here = _fresh(browser)
    _, answer = _passkey_sign_in(here, authenticator, rp_id="abc.localhost",
                                 origin="http://abc.localhost")
    assert answer.status_code == 401 and _error(answer) == passkeys.OTHER_HOST
    assert not here.signed_in
    assert _ip_failures() == 1
    assert Throttle.get("acct#user#u-rita-example.com").failures == 1


def test_a_passkey_of_another_company_is_refused(app, abc, pacific, browser):
    make_user("pat@example.com", accounts=[("abc", "C1"), ("pacific", "P1")])
    on_pacific = Browser(browser.client, host="pacific.localhost")
    on_pacific.sign_in("pat@example.com")
    authenticator = SoftAuthenticator("http://pacific.localhost")
    assert _register(on_pacific, authenticator).status_code == 200
    _, answer = _passkey_sign_in(_fresh(browser), authenticator)  # signed for localhost even
    assert answer.status_code == 401 and _error(answer) == passkeys.OTHER_HOST


def test_an_assertion_signed_for_the_wrong_origin_is_refused(browser, key):
    here = _fresh(browser)
    _, answer = _passkey_sign_in(here, key, origin="http://evil.localhost")
    assert answer.status_code == 401 and _error(answer) == passkeys.NOT_VERIFIED
    assert not here.signed_in


def test_an_unknown_credential_is_refused(browser, rita):
    here = _fresh(browser)
    _, answer = _passkey_sign_in(here, SoftAuthenticator())
    assert answer.status_code == 401 and _error(answer) == passkeys.UNKNOWN
    assert not here.signed_in and _ip_failures() == 1


def test_a_signature_by_another_key_is_refused(browser, key):
    impostor = SoftAuthenticator()
    impostor.credential_id, impostor.user_handle = key.credential_id, key.user_handle
    here = _fresh(browser)
    _, answer = _passkey_sign_in(here, impostor)
    assert answer.status_code == 401 and _error(answer) == passkeys.NOT_VERIFIED
    assert not here.signed_in


GARBAGE = ["", "not json", "{}", "[]", "null", '{"id": 5}',
           '{"id": "x", "response": {"clientDataJSON": "!!!"}}',
           '{"id": "x", "response": {"clientDataJSON": "bm90IGpzb24"}}',
           '{"id": "x", "response": {"clientDataJSON": "eyJjaGFsbGVuZ2UiOiA1fQ"}}',
           "x" * 20_000]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_bodies_get_a_clear_4xx_and_no_session(browser, rita, body):
    here = _fresh(browser)
    here.get("/login")
    answer = here.post("/login/passkey", {"credential": body})
    assert answer.status_code == 400 and _error(answer) == passkeys.NOT_VERIFIED
    assert not here.signed_in and _ip_failures() == 1


def test_a_valid_challenge_with_a_garbage_signature_is_refused(browser, key):
    here = _fresh(browser)
    here.get("/login")
    options = here.post("/login/passkey/options", {})
    forged = json.loads(key.get(text(options)))
    forged["response"]["signature"] = "AAAA"
    forged["response"]["authenticatorData"] = "garbage"
    answer = here.post("/login/passkey", {"credential": json.dumps(forged)})
    assert 400 <= answer.status_code < 500 and "error" in json.loads(text(answer))
    assert not here.signed_in


def test_a_locked_account_cannot_sign_in_with_a_passkey(browser, key):
    attacker = _fresh(browser)
    for _ in range(5):
        attacker.sign_in("rita@example.com", "wrong password here")
    _, answer = _passkey_sign_in(_fresh(browser), key)
    assert answer.status_code == 429
    assert "Too many unsuccessful sign-in attempts" in _error(answer)


def test_passkey_failures_count_towards_the_lock(browser, key):
    impostor = SoftAuthenticator()
    impostor.credential_id = key.credential_id
    for _ in range(5):
        _passkey_sign_in(_fresh(browser), impostor)
    assert Throttle.get("acct#user#u-rita-example.com").locked_until > 0
    _, answer = _passkey_sign_in(_fresh(browser), key)  # the real key, now locked out
    assert answer.status_code == 429


def test_a_removed_passkey_no_longer_signs_in_and_the_removal_is_e_mailed(browser, key):
    page = text(browser.get("/preferences/passkeys"))
    ref = passkeys.passkey_ref(Passkey.get(key.id))
    assert f"/preferences/passkeys/{ref}/remove" in page
    answer = browser.post(f"/preferences/passkeys/{ref}/remove", {})
    assert answer.headers["Location"] == "/preferences/passkeys?notice=removed"
    assert "Blue laptop" not in text(browser.get("/preferences/passkeys"))
    assert any("passkey was removed" in m.subject for m in sent_mail())
    _, answer = _passkey_sign_in(_fresh(browser), key)
    assert answer.status_code == 401 and _error(answer) == passkeys.UNKNOWN


def test_someone_elses_passkey_cannot_be_removed(browser, key):
    ref = passkeys.passkey_ref(Passkey.get(key.id))
    make_user("mallory@example.com", accounts=[("abc", "C2")])
    mallory = _fresh(browser)
    mallory.sign_in("mallory@example.com")
    mallory.get("/preferences/passkeys")
    assert mallory.post(f"/preferences/passkeys/{ref}/remove", {}).status_code == 404
    assert Passkey.get(key.id)


def test_registration_signed_for_another_host_is_refused(browser, rita):
    browser.sign_in("rita@example.com")
    answer = _register(browser, SoftAuthenticator(), rp_id="pacific.localhost")
    assert answer.status_code == 400 and _error(answer) == passkeys.NOT_VERIFIED
    assert list(Passkey.by_user.query("u-rita-example.com")) == []


def test_registration_needs_user_verification(browser, rita):
    browser.sign_in("rita@example.com")
    answer = _register(browser, SoftAuthenticator(user_verified=False))
    assert answer.status_code == 400
    assert list(Passkey.by_user.query("u-rita-example.com")) == []


def test_a_registration_challenge_is_single_use(browser, rita):
    browser.sign_in("rita@example.com")
    browser.get("/preferences/passkeys")
    options = text(browser.post("/preferences/passkeys/options", {}))
    first, second = SoftAuthenticator(), SoftAuthenticator()
    assert browser.post("/preferences/passkeys", {"name": "a",
                                                  "credential": first.create(options)}).status_code == 200
    again = browser.post("/preferences/passkeys", {"name": "b", "credential": second.create(options)})
    assert again.status_code == 400 and _error(again) == passkeys.EXPIRED


def test_passkey_pages_need_a_session(browser):
    assert browser.get("/preferences/passkeys").headers["Location"].startswith("/login")


def test_verify_assertion_checks_the_expected_login(abc, browser, key):
    """The service a second-factor step calls: this passkey, for this login, on this host."""
    make_user("pat@example.com", accounts=[("abc", "C3")])
    rp = passkeys.RelyingParty("localhost", "http://localhost")
    body = key.get(passkeys.sign_in_options(abc, rp, time.time()))
    with pytest.raises(passkeys.PasskeyRefused):
        passkeys.verify_assertion(abc, rp, passkeys.read_assertion(body),
                                  time.time(), expected_user_id="u-pat-example.com")
    body = key.get(passkeys.sign_in_options(abc, rp, time.time()))
    found = passkeys.verify_assertion(abc, rp, passkeys.read_assertion(body),
                                      time.time(),
                                      expected_user_id="u-rita-example.com")
    assert found.credential_id == key.id


# ------------------------------------------------------------------ a passkey as the second factor
def _with_totp(user_id):
    """Turn two-factor on for a login (its secret as enrolment stores it)."""
    from chalicelib.models import User

    User(user_id).update(actions=[User.totp_secret.set("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")])


def _two_factor_failures(user_id):
    try:
        return int(Throttle.get(f"2fa#user#{user_id}").failures)
    except Throttle.DoesNotExist:
        return 0


def _second_factor(browser, authenticator, **forge):
    """Password first, then what static/passkeys.js does on /sign-in/two-factor."""
    answer = browser.sign_in("rita@example.com")
    assert answer.headers["Location"] == "/sign-in/two-factor"
    challenge = browser.get("/sign-in/two-factor")
    assert "Use a passkey instead" in text(challenge)
    token = browser.csrf_token()
    options = browser.post("/sign-in/two-factor/passkey/options", {"csrf_token": token})
    assert options.status_code == 200, text(options)
    allowed = [c["id"] for c in json.loads(text(options))["allowCredentials"]]
    body = authenticator.get(text(options), **forge)
    return allowed, body, browser.post("/sign-in/two-factor/passkey", {"csrf_token": token, "credential": body})


def test_a_passkey_proves_the_second_factor_after_the_password(browser, key):
    from chalicelib.ids import sha256
    from chalicelib.models import Session

    _with_totp("u-rita-example.com")
    other = _fresh(browser)
    allowed, _, answer = _second_factor(other, key)
    assert allowed == [key.id]  # only her passkeys of this host are offered
    assert answer.status_code == 200, text(answer)
    assert json.loads(text(answer))["redirect"] == "/"
    assert other.signed_in and "portal_pending" not in other.cookies
    assert Session.get(sha256(other.cookies["portal_session"])).second_factor == "passkey"
    assert _two_factor_failures("u-rita-example.com") == 0


def test_a_login_without_a_passkey_here_is_not_offered_one(browser, rita):
    _with_totp(rita.user_id)
    browser.sign_in("rita@example.com")
    assert "Use a passkey instead" not in text(browser.get("/sign-in/two-factor"))


def test_a_second_factor_passkey_of_another_login_is_refused_and_counted(app, abc, browser, key):
    _with_totp("u-rita-example.com")
    make_user("pat@example.com", accounts=[("abc", "C3")])
    pats = SoftAuthenticator("http://localhost")
    pat = _fresh(browser)
    pat.sign_in("pat@example.com")
    assert _register(pat, pats).status_code == 200
    rita = _fresh(browser)
    _, _, answer = _second_factor(rita, pats)  # Pat's passkey, at Rita's challenge
    assert answer.status_code == 401 and _error(answer) == passkeys.NOT_VERIFIED
    assert not rita.signed_in and _two_factor_failures("u-rita-example.com") == 1


def test_a_second_factor_passkey_for_another_host_or_replayed_is_refused(browser, key):
    _with_totp("u-rita-example.com")
    other = _fresh(browser)
    _, _, answer = _second_factor(other, key, rp_id="portal.pacific.example")
    assert answer.status_code == 401 and _error(answer) == passkeys.NOT_VERIFIED
    _, _, answer = _second_factor(other, key, origin="https://evil.example")
    assert answer.status_code == 401 and _error(answer) == passkeys.NOT_VERIFIED
    assert not other.signed_in and _two_factor_failures("u-rita-example.com") == 2

    _, body, answer = _second_factor(other, key)
    assert answer.status_code == 200, text(answer)
    replay = _fresh(browser)
    replay.sign_in("rita@example.com")
    replay.get("/sign-in/two-factor")
    again = replay.post("/sign-in/two-factor/passkey", {"credential": body})
    assert again.status_code == 400 and _error(again) == passkeys.EXPIRED
    assert not replay.signed_in and _two_factor_failures("u-rita-example.com") == 1  # cleared, then 1


def test_a_second_factor_passkey_needs_a_pending_sign_in(browser, key):
    other = _fresh(browser)
    other.get("/login")
    token = other.csrf_token()
    options = other.post("/sign-in/two-factor/passkey/options", {"csrf_token": token})
    assert options.status_code == 410
    answer = other.post("/sign-in/two-factor/passkey", {"csrf_token": token, "credential": "{}"})
    assert answer.status_code == 410 and not other.signed_in


def test_a_wrong_code_keeps_the_passkey_on_offer(browser, key):
    _with_totp("u-rita-example.com")
    other = _fresh(browser)
    other.sign_in("rita@example.com")
    other.get("/sign-in/two-factor")
    wrong = other.post("/sign-in/two-factor", {"code": "000000"})
    assert wrong.status_code == 400 and "Use a passkey instead" in text(wrong)
