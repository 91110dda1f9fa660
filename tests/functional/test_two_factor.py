"""Two-factor sign-in (chalicelib/services/two_factor.py): time steps and replay, enrolment,
the pending sign-in, recovery codes, remembered devices, company policy, the hand-off,
administrators' reset."""
import re
import time

import pyotp
import pytest

from chalicelib.ids import sha256
from chalicelib.models import AuditEvent, Session, Throttle, Token, User
from chalicelib.repositories import companies
from chalicelib.services import two_factor
from tests.handoff_support import exchange, other_host
from tests.support import PASSWORD, Browser, make_customer, make_user, sent_mail, text

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
KEY = re.compile(r'data-key="([A-Z2-7]{32})"')
CODES = re.compile(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>")


def code(secret=SECRET, at=None):
    return pyotp.TOTP(secret).at(time.time() if at is None else at)


def enrolled_user(email="tf@example.com", accounts=(("abc", "C1"),), **kwargs):
    """A login with two-factor on (its secret SECRET) and recovery codes "recovery-code-N"."""
    user = make_user(email, accounts=accounts, **kwargs)
    user.update(actions=[User.totp_secret.set(SECRET), User.recovery_code_hashes.set(
        {two_factor.recovery_hash(user.user_id, f"recoverycode{n}") for n in range(10)})])
    return User.get(user.user_id)


def failures(user_id):
    try:
        return Throttle.get(f"2fa#user#{user_id}").failures
    except Throttle.DoesNotExist:
        return 0


def audit_actions(company_id="abc"):
    return [e.action for e in AuditEvent.query(company_id)]


def set_policy(company_id, policy):
    company = companies.get_company(company_id)
    company.two_factor_policy = policy
    company.save()
    from chalicelib.services import tenant
    tenant.forget()


# ------------------------------------------------------------------ replay (the stored step)


def test_replay_is_refused_by_the_stored_step_with_an_injected_clock(abc):
    user = enrolled_user()
    company = companies.get_company("abc")
    now = 1_790_000_015.0
    first = code(at=now)
    stale_copy = User.get(user.user_id)  # read by a concurrent request before the write
    assert two_factor.check_code(user, company, first, now, "ip").factor == "totp"
    assert User.get(user.user_id).totp_last_step == two_factor.step_at(now)
    # The same code a second later (still inside its step): refused, counted.
    again = two_factor.check_code(User.get(user.user_id), company, first, now + 1, "ip")
    assert not again.ok and again.error == two_factor.REUSED
    # A stale copy of the user (another request read it before the write): the conditional
    # write refuses it all the same.
    stale = two_factor.check_code(stale_copy, company, first, now + 2, "ip")
    assert not stale.ok and stale.error == two_factor.REUSED
    assert failures(user.user_id) == 2
    # The next step's code is fine.
    later = two_factor.check_code(User.get(user.user_id), company, code(at=now + 30), now + 30,
                                  "ip")
    assert later.ok


# ------------------------------------------------------------------ enrolment
def _enrol(browser):
    browser.get("/preferences/two-factor")
    browser.post("/preferences/two-factor/setup", {})
    page = browser.get("/preferences/two-factor")
    secret = KEY.search(text(page)).group(1)
    done = browser.post("/preferences/two-factor/confirm", {"code": code(secret)})
    return secret, done


def test_enrolment_shows_a_qr_code_and_key_confirms_with_a_code_and_shows_codes_once(browser):
    user = make_user("en@example.com", accounts=[("abc", "C1")])
    browser.sign_in("en@example.com")
    intro = text(browser.get("/preferences/two-factor"))
    assert "Set up two-factor sign-in" in intro and "data-key" not in intro
    browser.post("/preferences/two-factor/setup", {})
    page = text(browser.get("/preferences/two-factor"))
    secret = KEY.search(page).group(1)
    assert 'src="data:image/svg+xml' in page  # drawn on the server, no outside service
    assert User.get(user.user_id).totp_secret is None  # not on before a code confirms it

    wrong = browser.post("/preferences/two-factor/confirm", {"code": "000000"})
    assert wrong.status_code == 400 and two_factor.WRONG in text(wrong)
    assert failures(user.user_id) == 1 and User.get(user.user_id).totp_secret is None

    done = browser.post("/preferences/two-factor/confirm", {"code": code(secret)})
    assert done.status_code == 200
    shown = CODES.findall(text(done))
    assert len(shown) == 10
    stored = User.get(user.user_id)
    assert stored.totp_secret == secret and stored.totp_pending_secret is None
    assert stored.recovery_code_hashes == {two_factor.recovery_hash(user.user_id, c)
                                           for c in shown}  # hashes only
    assert not any(c.replace("-", "") in str(stored.recovery_code_hashes) for c in shown)
    assert Session.get(sha256(browser.cookies["portal_session"])).second_factor == "totp"
    again = text(browser.get("/preferences/two-factor"))
    assert "Two-factor sign-in is on" in again and not CODES.findall(again)  # shown once
    assert "two_factor_enabled" in audit_actions()
    told = [m.subject for m in sent_mail() if "en@example.com" in m.destinations["ToAddresses"]]
    assert told == ["Two-factor sign-in was turned on (ABC Appliance Service portal)"]


# ------------------------------------------------------------------ the sign-in
def test_an_enrolled_login_gets_no_session_until_its_code(browser):
    user = enrolled_user()
    answer = browser.sign_in("tf@example.com")
    assert answer.status_code == 303 and answer.headers["Location"] == "/sign-in/two-factor"
    assert not browser.signed_in and "portal_pending" in browser.cookies
    pending = sha256(browser.cookies["portal_pending"])
    assert browser.get("/orders").headers["Location"].startswith("/login")  # no page yet
    challenge = browser.get("/sign-in/two-factor")
    assert challenge.status_code == 200 and 'autocomplete="one-time-code"' in text(challenge)

    wrong = browser.post("/sign-in/two-factor", {"code": "000000"})
    assert wrong.status_code == 400 and two_factor.WRONG in text(wrong)
    assert not browser.signed_in and failures(user.user_id) == 1

    done = browser.post("/sign-in/two-factor", {"code": code()})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert browser.signed_in and "portal_pending" not in browser.cookies
    assert Session.get(sha256(browser.cookies["portal_session"])).second_factor == "totp"
    assert failures(user.user_id) == 0  # a success clears the count
    # The pending sign-in was single use.
    assert Token.get(pending).kind == "sign_in_pending" and Token.get(pending).used_at


def test_the_next_page_asked_for_is_kept_through_the_challenge(browser):
    enrolled_user()
    browser.get("/login")
    browser.post("/login", {"login": "tf@example.com", "password": PASSWORD,
                            "next": "/preferences"})
    done = browser.post("/sign-in/two-factor", {"code": code()})
    assert done.headers["Location"] == "/preferences"


def test_a_reused_code_gives_no_session(browser):
    user = enrolled_user()
    used = code()
    browser.sign_in("tf@example.com")
    assert browser.post("/sign-in/two-factor", {"code": used}).status_code == 303
    browser.post("/logout", {})
    browser.sign_in("tf@example.com")
    again = browser.post("/sign-in/two-factor", {"code": used})
    assert again.status_code == 400 and two_factor.REUSED in text(again)
    assert not browser.signed_in and failures(user.user_id) == 1


def test_an_expired_code_gives_no_session(browser):
    user = enrolled_user()
    browser.sign_in("tf@example.com")
    old = browser.post("/sign-in/two-factor", {"code": code(at=time.time() - 120)})
    assert old.status_code == 400 and two_factor.WRONG in text(old)
    assert not browser.signed_in and failures(user.user_id) == 1


def test_an_expired_pending_sign_in_must_start_again(browser):
    enrolled_user()
    browser.sign_in("tf@example.com")
    token = Token.get(sha256(browser.cookies["portal_pending"]))
    token.update(actions=[Token.expires_at.set(token.created - 1)])
    late = browser.post("/sign-in/two-factor", {"code": code()})
    assert late.status_code == 410 and two_factor.EXPIRED in text(late)
    assert not browser.signed_in and "portal_pending" not in browser.cookies
    assert browser.get("/sign-in/two-factor").status_code == 410


def test_a_recovery_code_signs_in_once(browser):
    user = enrolled_user()
    browser.sign_in("tf@example.com")
    done = browser.post("/sign-in/two-factor", {"code": "RECOVERY-CODE3"})
    assert done.status_code == 303 and browser.signed_in
    assert Session.get(sha256(browser.cookies["portal_session"])).second_factor == "recovery"
    assert len(User.get(user.user_id).recovery_code_hashes) == 9
    browser.post("/logout", {})
    browser.sign_in("tf@example.com")
    twice = browser.post("/sign-in/two-factor", {"code": "recoverycode3"})
    assert twice.status_code == 400 and two_factor.RECOVERY_USED in text(twice)
    assert not browser.signed_in and failures(user.user_id) == 1


def test_wrong_codes_lock_the_login_even_for_a_right_code(browser):
    user = enrolled_user()
    browser.sign_in("tf@example.com")
    for _ in range(two_factor.FAILURE_LIMIT):
        assert browser.post("/sign-in/two-factor", {"code": "000000"}).status_code == 400
    locked = browser.post("/sign-in/two-factor", {"code": code()})
    assert locked.status_code == 429 and two_factor.LOCKED in text(locked)
    assert not browser.signed_in
    assert Throttle.get(f"2fa#user#{user.user_id}").locked_until > time.time()


def test_a_pending_sign_in_works_only_on_its_company(browser, pacific):
    enrolled_user(accounts=[("abc", "C1"), ("pacific", "P1")])
    browser.sign_in("tf@example.com")
    elsewhere = Browser(browser.client, host="pacific.localhost")
    elsewhere.cookies["portal_pending"] = browser.cookies["portal_pending"]
    elsewhere.get("/login")
    answer = elsewhere.post("/sign-in/two-factor", {"code": code()})
    assert answer.status_code == 410 and not elsewhere.signed_in


# ------------------------------------------------------------------ remembered devices
def _sign_in_remembering(browser, at=None):
    browser.sign_in("tf@example.com")
    return browser.post("/sign-in/two-factor", {"code": code(at=at), "remember": "on"})


def test_a_remembered_device_skips_the_code_until_the_password_changes(browser):
    user = enrolled_user()
    _sign_in_remembering(browser)
    device = browser.cookies["portal_device"]
    record = Token.get(sha256(device))  # only its hash is stored, and it expires
    assert record.kind == "device" and record.expires_at - record.created == 30 * 86400
    browser.post("/logout", {})
    answer = browser.sign_in("tf@example.com")
    assert answer.headers["Location"] == "/" and browser.signed_in
    assert Session.get(sha256(browser.cookies["portal_session"])).second_factor == "device"

    browser.get("/preferences")
    changed = browser.post("/change-password", {"current": PASSWORD,
                                                "password": "a brand new passphrase",
                                                "confirm": "a brand new passphrase"})
    assert changed.status_code == 303
    browser.post("/logout", {})
    again = browser.sign_in("tf@example.com", password="a brand new passphrase")
    assert again.headers["Location"] == "/sign-in/two-factor?notice=device"
    assert not browser.signed_in and failures(user.user_id) == 1
    assert "portal_device" not in browser.cookies
    assert two_factor.DEVICE_FORGOTTEN in text(browser.get("/sign-in/two-factor?notice=device"))


def test_a_forged_device_cookie_is_counted_and_asks_for_a_code(browser):
    user = enrolled_user()
    browser.cookies["portal_device"] = "forged-" + "x" * 40
    answer = browser.sign_in("tf@example.com")
    assert answer.headers["Location"] == "/sign-in/two-factor?notice=device"
    assert not browser.signed_in and failures(user.user_id) == 1
    assert "two_factor_failed" in audit_actions()


def test_another_logins_device_is_no_help(browser):
    enrolled_user()
    _sign_in_remembering(browser)
    browser.post("/logout", {})
    other = enrolled_user("other@example.com")
    answer = browser.sign_in("other@example.com")
    assert answer.headers["Location"] == "/sign-in/two-factor"  # asked, not counted
    assert failures(other.user_id) == 0


# ------------------------------------------------------------------ turning it off
def test_turning_it_off_needs_the_password_and_a_code_and_forgets_devices(browser):
    user = enrolled_user()
    _sign_in_remembering(browser, at=time.time() - 30)
    device = browser.cookies["portal_device"]
    browser.get("/preferences/two-factor")
    no_password = browser.post("/preferences/two-factor/disable",
                               {"password": "wrong", "code": code()})
    assert no_password.status_code == 400 and User.get(user.user_id).totp_secret
    no_code = browser.post("/preferences/two-factor/disable",
                           {"password": PASSWORD, "code": "000000"})
    assert no_code.status_code == 400 and User.get(user.user_id).totp_secret
    assert failures(user.user_id) == 2
    off = browser.post("/preferences/two-factor/disable", {"password": PASSWORD, "code": code()})
    assert off.status_code == 303
    stored = User.get(user.user_id)
    assert stored.totp_secret is None and not stored.recovery_code_hashes
    assert stored.device_epoch == 1  # every remembered device revoked
    user = User.get(user.user_id)
    company = companies.get_company("abc")
    assert two_factor.device_state(user, company, device, time.time()) == "invalid"
    assert "two_factor_disabled" in audit_actions()
    told = [m.subject for m in sent_mail() if "tf@example.com" in m.destinations["ToAddresses"]]
    assert "Two-factor sign-in was turned off (ABC Appliance Service portal)" in told


# ------------------------------------------------------------------ company policy
def test_policy_is_saved_in_portal_settings(browser):
    make_user("boss@example.com", admin_of=["abc"])
    browser.sign_in("boss@example.com")
    page = text(browser.get("/admin/settings"))
    assert 'name="two_factor_policy" value="optional" checked' in page
    form = {"oem_label": "OEM", "parts_price_display": "price", "parts_qty_display": "quantity",
            "action": "save"}
    bad = browser.post("/admin/settings", dict(form, two_factor_policy="sometimes"))
    assert bad.status_code == 400 and "Choose who must use two-factor" in text(bad)
    assert companies.get_company("abc").two_factor_policy == "optional"
    assert browser.post("/admin/settings", dict(form, two_factor_policy="everyone")
                        ).status_code == 303
    assert companies.get_company("abc").two_factor_policy == "everyone"


@pytest.mark.parametrize("path", ["/", "/orders", "/preferences", "/admin", "/accounts"])
def test_an_administrator_who_must_enrol_reaches_only_the_set_up(browser, path):
    set_policy("abc", "admins")
    make_user("boss@example.com", admin_of=["abc"])
    answer = browser.sign_in("boss@example.com")
    assert answer.status_code == 303 and browser.signed_in  # the password was right
    blocked = browser.get(path)
    assert blocked.status_code == 303 and blocked.headers["Location"] == "/preferences/two-factor"
    assert "requires two-factor sign-in" in text(browser.get("/preferences/two-factor"))


def test_after_enrolling_the_administrator_goes_on_and_customers_were_never_asked(browser):
    set_policy("abc", "admins")
    make_user("boss@example.com", admin_of=["abc"])
    browser.sign_in("boss@example.com")
    _secret, done = _enrol(browser)
    assert done.status_code == 200 and len(CODES.findall(text(done))) == 10
    assert browser.get("/admin/settings").status_code == 200
    customer = Browser(browser.client)
    make_user("cust@example.com", accounts=[("abc", "C1")])
    customer.sign_in("cust@example.com")
    assert customer.get("/").status_code == 200  # "admins" leaves customers alone


def test_required_for_everyone_sends_customers_to_the_set_up(browser):
    set_policy("abc", "everyone")
    make_user("cust@example.com", accounts=[("abc", "C1")])
    browser.sign_in("cust@example.com")
    assert browser.get("/orders").headers["Location"] == "/preferences/two-factor"


def test_the_admin_api_is_not_asked_for_a_second_factor(api):
    set_policy("abc", "everyone")
    assert api.get("/companies/abc").status == 200


# ------------------------------------------------------------------ the hand-off
@pytest.fixture
def two_companies(browser, pacific):
    user = enrolled_user("bo2@example.com", accounts=[("abc", "C1002"), ("pacific", "P5001")])
    return browser, user


def test_the_hand_off_carries_the_proven_factor(two_companies):
    browser, _user = two_companies
    browser.sign_in("bo2@example.com")
    browser.post("/sign-in/two-factor", {"code": code()})
    target = other_host(browser)
    secret = exchange(browser, target)
    assert Token.get(sha256(secret)).second_factor == "totp"
    done = target.post(f"/handoff/{secret}", {})
    assert done.headers["Location"] == "/" and target.signed_in  # no second prompt
    assert Session.get(sha256(target.cookies["portal_session"])).second_factor == "totp"


def test_a_hand_off_without_the_factor_is_asked_for_it_on_the_target(two_companies):
    browser, _user = two_companies
    browser.sign_in("bo2@example.com")
    browser.post("/sign-in/two-factor", {"code": code()})
    # A sign-in that proved no second factor (e.g. started before the login enrolled).
    Session.get(sha256(browser.cookies["portal_session"])).update(
        actions=[Session.second_factor.remove()])
    target = other_host(browser)
    secret = exchange(browser, target)
    answer = target.post(f"/handoff/{secret}", {})
    assert answer.headers["Location"] == "/sign-in/two-factor"
    assert not target.signed_in and "portal_pending" in target.cookies
    done = target.post("/sign-in/two-factor", {"code": code(at=time.time() + 30)})
    assert done.status_code == 303 and target.signed_in
    # The same browser as on the source: no new-device e-mail after its code either.
    assert "portal_browser" in target.cookies
    assert not [m for m in sent_mail() if m.subject.startswith("New sign-in")]


def test_a_company_that_requires_it_sends_an_unenrolled_hand_off_to_the_set_up(browser, pacific):
    set_policy("pacific", "everyone")
    make_user("bo3@example.com", accounts=[("abc", "C1002"), ("pacific", "P5001")])
    browser.sign_in("bo3@example.com")
    target = other_host(browser)
    secret = exchange(browser, target)
    target.post(f"/handoff/{secret}", {})
    assert target.get("/").headers["Location"] == "/preferences/two-factor"


# ------------------------------------------------------------------ administrators
def _customer_row(company_id, customer_no):


    make_customer(company_id, customer_no, f"Customer {customer_no}")


def test_an_administrator_sees_and_resets_a_logins_two_factor(browser, pacific):
    _customer_row("abc", "C1")
    target = enrolled_user("lost@example.com", accounts=[("abc", "C1")])
    make_user("plain@example.com", accounts=[("abc", "C1")])
    make_user("boss@example.com", admin_of=["abc"])
    browser.sign_in("boss@example.com")
    page = text(browser.get("/admin/customers/C1/logins"))
    assert "lost@example.com" in page and "plain@example.com" in page
    assert page.count("Reset two-factor") == 1
    done = browser.post(f"/admin/customers/C1/logins/{target.user_id}/reset-two-factor", {})
    assert done.status_code == 303
    assert "reset" in text(browser.get(done.headers["Location"]))
    stored = User.get(target.user_id)
    assert stored.totp_secret is None and stored.device_epoch == 1
    event = next(e for e in AuditEvent.query("abc") if e.action == "two_factor_reset")
    assert event.actor == "u-boss-example.com" and event.details["user"] == target.user_id
    mail = [m for m in sent_mail() if "lost@example.com" in m.destinations["ToAddresses"]]
    assert mail and "Two-factor sign-in was reset" in mail[-1].subject


def test_an_administrator_cannot_reset_a_login_outside_the_account(browser, pacific):
    _customer_row("abc", "C1")
    _customer_row("pacific", "P1")
    foreign = enrolled_user("far@example.com", accounts=[("pacific", "P1")])
    make_user("boss@example.com", admin_of=["abc"])
    browser.sign_in("boss@example.com")
    assert browser.post(f"/admin/customers/C1/logins/{foreign.user_id}/reset-two-factor",
                        {}).status_code == 404
    assert browser.get("/admin/customers/P1/logins").status_code == 404
    assert User.get(foreign.user_id).totp_secret == SECRET


def test_a_reset_signs_the_login_out_everywhere_and_forgets_its_devices(browser, pacific):
    """The login's phone (or a thief's browser) stays signed in after a reset unless the
    reset ends its sessions: the next click goes to sign-in, and the device cookie of the
    old set-up does not skip the code of the new one."""
    _customer_row("abc", "C1")
    target = enrolled_user("lost@example.com", accounts=[("abc", "C1")])
    phone = Browser(browser.client)
    phone.sign_in("lost@example.com")
    phone.post("/sign-in/two-factor", {"code": code(), "remember": "on"})
    assert phone.get("/orders").status_code == 200 and "portal_device" in phone.cookies
    make_user("boss@example.com", admin_of=["abc"])
    browser.sign_in("boss@example.com")
    done = browser.post(f"/admin/customers/C1/logins/{target.user_id}/reset-two-factor", {})
    assert done.status_code == 303

    refused = phone.get("/orders")  # the next request of the other session
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/login")
    assert not list(Session.by_user.query(target.user_id))
    event = next(e for e in AuditEvent.query("abc") if e.action == "two_factor_reset")
    assert event.details["sessions_ended"] == "1"
    assert "signed out everywhere" in [
        m for m in sent_mail() if "lost@example.com" in m.destinations["ToAddresses"]][-1].body

    # Set up again (a new phone), then sign in from the browser that kept its device cookie.
    User.get(target.user_id).update(actions=[User.totp_secret.set(SECRET)])
    again = phone.sign_in("lost@example.com")
    assert again.headers["Location"] == "/sign-in/two-factor?notice=device"
    assert phone.get("/orders").headers["Location"].startswith("/login")  # no session


# ------------------------------------------------------------------ new recovery codes
def _signed_in_enrolled(browser):
    user = enrolled_user()
    browser.sign_in("tf@example.com")
    assert browser.post("/sign-in/two-factor", {"code": code()}).status_code == 303
    return user


def test_new_recovery_codes_need_the_password_and_a_code_and_replace_the_old_set(browser):
    user = _signed_in_enrolled(browser)
    page = text(browser.get("/preferences/two-factor"))
    assert 'action="/preferences/two-factor/recovery-codes"' in page
    renew = "/preferences/two-factor/recovery-codes"
    next_code = code(at=time.time() + 30)  # the sign-in used this step's code

    wrong_password = browser.post(renew, {"password": "wrong", "code": next_code})
    assert wrong_password.status_code == 400 and "password is not correct" in text(wrong_password)
    old_code = browser.post(renew, {"password": PASSWORD, "code": "recoverycode1"})
    assert old_code.status_code == 400 and two_factor.NEED_APP_CODE in text(old_code)
    assert failures(user.user_id) == 2 and not CODES.findall(text(old_code))
    assert len(User.get(user.user_id).recovery_code_hashes) == 10  # nothing spent or changed

    done = browser.post(renew, {"password": PASSWORD, "code": next_code})
    assert done.status_code == 200
    shown = CODES.findall(text(done))
    assert len(shown) == 10 and "the old ones no longer work" in text(done)
    stored = User.get(user.user_id)
    assert stored.recovery_code_hashes == {two_factor.recovery_hash(user.user_id, c) for c in shown}
    assert not CODES.findall(text(browser.get("/preferences/two-factor")))  # shown once
    assert "recovery_codes_renewed" in audit_actions()
    mail = [m for m in sent_mail() if "tf@example.com" in m.destinations["ToAddresses"]]
    assert mail and "New recovery codes were made" in mail[-1].subject

    # An old code no longer signs in; a new one does.
    other = Browser(browser.client)
    other.sign_in("tf@example.com")
    refused = other.post("/sign-in/two-factor", {"code": "recoverycode1"})
    assert refused.status_code == 400 and two_factor.RECOVERY_USED in text(refused)
    assert other.post("/sign-in/two-factor", {"code": shown[0]}).status_code == 303


def test_new_recovery_codes_refuse_a_reused_code(browser):
    user = _signed_in_enrolled(browser)
    used = browser.post("/preferences/two-factor/recovery-codes", {"password": PASSWORD, "code": code()})
    assert used.status_code == 400 and two_factor.REUSED in text(used)
    assert User.get(user.user_id).recovery_code_hashes == {
        two_factor.recovery_hash(user.user_id, f"recoverycode{n}") for n in range(10)}  # unchanged


def test_the_preferences_page_says_when_few_recovery_codes_are_left(browser):
    user = _signed_in_enrolled(browser)
    assert 'id="few-codes"' not in text(browser.get("/preferences/two-factor"))
    User.get(user.user_id).update(actions=[User.recovery_code_hashes.set(
        {two_factor.recovery_hash(user.user_id, f"recoverycode{n}") for n in range(3)})])
    assert 'id="few-codes"' not in text(browser.get("/preferences/two-factor"))  # 3 left
    company = companies.get_company("abc")
    assert two_factor.check_code(User.get(user.user_id), company, "recoverycode0", time.time(), "ip").ok
    page = text(browser.get("/preferences/two-factor"))
    assert "Only 2 recovery codes left." in page and 'id="few-codes"' in page
    for n in (1, 2):
        assert two_factor.check_code(User.get(user.user_id), company, f"recoverycode{n}", time.time(), "ip").ok
    assert "No recovery codes left." in text(browser.get("/preferences/two-factor"))
