"""Sign-in and sessions: every number of README "Security at a glance"."""
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher
from chalice.test import Client

from chalicelib import dynamo_metrics
from chalicelib.ids import sha256
from chalicelib.models import Session, Throttle, User
from chalicelib.services import passwords
from tests.support import NOW, PASSWORD, Browser, make_user, text


def _normalise(page):
    page = re.sub(r'value="[^"]{20,}"', 'value="X"', page)
    return re.sub(r"nonce=\"[^\"]+\"", 'nonce="X"', page)


def test_customer_signs_in_and_sees_the_branded_home_page_with_menu(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")], name="Rita")
    response = browser.sign_in("Rita@Example.com")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = text(browser.get("/"))
    assert "Welcome, Rita" in home and "ABC Appliance Service" in home
    assert 'href="/orders"' in home and 'href="/history"' in home
    assert 'href="/parts"' not in home  # parts lookup is off for a new company


def test_customer_signs_in_with_a_user_name(browser):
    make_user(None, user_name=("abc", "C77"), accounts=[("abc", "C77")])
    assert browser.sign_in("c77").status_code == 303
    assert browser.get("/").status_code == 200


def test_pages_need_a_session_and_come_back_after_sign_in(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    response = browser.get("/preferences")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/preferences"
    browser.get(response.headers["Location"])
    response = browser.post("/login", {"login": "rita@example.com", "password": PASSWORD,
                                       "next": "/preferences"})
    assert response.headers["Location"] == "/preferences"


def test_sign_in_never_redirects_to_another_site(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/login")
    response = browser.post("/login", {"login": "rita@example.com", "password": PASSWORD,
                                       "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/"


HOSTILE_NEXT = [
    "/%09/evil.example",  # a TAB: browsers drop it and go to //evil.example
    "\t/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0d%0a/evil.example",
    "//evil",
    "///evil",
    "/orders//evil",
    "/\\evil",
    "/%5cevil",
    "/%5Cevil",
    "https://evil",
    "http:/evil",
    "evil.example",
    "/%2F%2Fevil",
    "/%2f%2fevil",
    "/%252F%252Fevil",  # not a route either way
    "/orders%2Fevil",
    "/no-such-page",
    "/api/v1/tokens",  # routed, but not a page of this host
    "/static/x/y.css",
    "/orders?x=%09",
    "/orders#//evil",
    "/" + "a" * 600,
]


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_next_accepts_only_a_routed_path_of_this_host(signed_in_browser, value):
    answer = signed_in_browser.get(f"/login?{urlencode({'next': value})}")
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("value", ["/preferences", "/orders/W10025", "/orders?status=open",
                                   "/dealer/customers/C1", "/account/history"])
def test_next_keeps_a_path_the_app_routes(signed_in_browser, value):
    answer = signed_in_browser.get(f"/login?{urlencode({'next': value})}")
    assert answer.headers["Location"] == value


@pytest.fixture
def signed_in_browser(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    return browser


def test_unknown_user_and_wrong_password_get_the_same_answer_and_the_same_work(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    answers = []
    for login in ("rita@example.com", "nobody@example.com"):
        Throttle("ip#127.0.0.1").delete()  # both attempts start from the same counters
        browser.get("/login")
        dynamo_metrics.start()
        response = browser.post("/login", {"login": login, "password": "wrong password!"})
        operations = [op for op, _ in dynamo_metrics.current().operations]
        page = _normalise(text(response)).replace(login, "LOGIN")
        answers.append((response.status_code, page, operations))
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
    assert "not correct" in answers[0][1]


def test_a_valid_login_without_access_to_this_company_is_refused(browser, pacific):
    make_user("pat@example.com", accounts=[("pacific", "P1")])
    response = browser.sign_in("pat@example.com")
    assert response.status_code == 401
    browser.host = "pacific.localhost"
    assert browser.sign_in("pat@example.com").status_code == 303


def _session_cookie(headers):
    """The session's Set-Cookie (sign-in also sets the device cookie, chalicelib/web/cookies.py)."""
    values = headers["Set-Cookie"]
    return next(v for v in ([values] if isinstance(values, str) else values)
                if "portal_session=" in v)


def test_session_cookie_is_httponly_samesite_and_new_at_each_sign_in(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    first = _session_cookie(browser.sign_in("rita@example.com").headers)
    assert "HttpOnly" in first and "SameSite=Lax" in first
    first_id = browser.cookies["portal_session"]
    assert len(first_id) >= 43  # 256 bits, URL-safe base64
    browser.post("/logout", {})
    browser.sign_in("rita@example.com")
    assert browser.cookies["portal_session"] != first_id


def test_outside_local_cookies_are_secure_host_prefixed_and_hsts_is_sent(app, abc):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    with Client(app, stage_name="prod") as client:  # the prod stage's environment
        response = Browser(client).sign_in("rita@example.com")
    cookie = _session_cookie(response.headers)
    assert cookie.startswith("__Host-portal_session=") and "Secure" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_only_the_hash_of_the_session_id_is_stored(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    session_id = browser.cookies["portal_session"]
    assert Session.get(sha256(session_id)).user_id == "u-rita-example.com"
    assert Session.count(session_id) == 0


def _age_session(browser, *, idle=None, age=None):
    session = Session.get(sha256(browser.cookies["portal_session"]))
    if idle is not None:
        session.last_seen -= idle
    if age is not None:
        session.created -= age
    session.save()


def test_a_session_idle_for_30_minutes_ends(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    _age_session(browser, idle=29 * 60)
    assert browser.get("/").status_code == 200
    _age_session(browser, idle=30 * 60 + 1)
    assert browser.get("/").status_code == 303


def test_a_session_ends_after_12_hours_even_when_active(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    _age_session(browser, age=12 * 3600 - 60)
    assert browser.get("/").status_code == 200
    _age_session(browser, age=61)
    assert browser.get("/").status_code == 303


def test_sign_out_revokes_the_session(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    session_id = browser.cookies["portal_session"]
    assert browser.post("/logout", {}).status_code == 303
    browser.cookies["portal_session"] = session_id  # replaying the old cookie
    assert browser.get("/").status_code == 303
    assert Session.count(sha256(session_id)) == 0


def test_a_session_of_one_company_does_not_open_another(browser, pacific):
    make_user("bo@example.com", accounts=[("abc", "C1"), ("pacific", "P1")])
    browser.sign_in("bo@example.com")
    browser.host = "pacific.localhost"
    assert browser.get("/").status_code == 303


def test_an_account_locks_after_five_failures_with_a_generic_message(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    for _ in range(5):
        assert browser.sign_in("rita@example.com", "wrong password!").status_code == 401
    locked = browser.sign_in("rita@example.com")  # even the right password
    assert locked.status_code == 429
    assert "Too many unsuccessful sign-in attempts" in text(locked)
    counter = Throttle.get("acct#user#u-rita-example.com")
    assert counter.failures == 5 and counter.locked_until > NOW.timestamp()
    assert counter.expires > counter.locked_until  # DynamoDB TTL cleans it up
    # the same lock for a name that does not exist: no user enumeration
    for _ in range(5):
        browser.sign_in("ghost@example.com", "wrong password!")
    assert browser.sign_in("ghost@example.com", "wrong password!").status_code == 429


def test_the_lock_is_the_logins_across_companies_and_names(browser, pacific):
    """5 failed guesses in 15 minutes in total, wherever they are made."""
    user = make_user("bo@example.com", accounts=[("abc", "C1"), ("pacific", "P1")],
                     user_name=("pacific", "bo.both"))
    on_pacific = Browser(browser.client, host="pacific.localhost")
    for _ in range(2):
        assert browser.sign_in("bo@example.com", "wrong password!").status_code == 401
        assert on_pacific.sign_in("bo@example.com", "wrong password!").status_code == 401
    assert on_pacific.sign_in("BO.BOTH", "wrong password!").status_code == 401  # the 5th
    for where, login in ((browser, "bo@example.com"), (on_pacific, "bo@example.com"),
                         (on_pacific, "bo.both")):
        assert where.sign_in(login).status_code == 429  # even the right password
    assert Throttle.get(f"acct#user#{user.user_id}").failures == 5


def test_a_new_sign_in_revokes_the_session_the_browser_had(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    make_user("sue@example.com", accounts=[("abc", "C2")])
    browser.sign_in("rita@example.com")
    old_cookie = browser.cookies["portal_session"]
    answer = browser.post("/login", {"login": "sue@example.com", "password": PASSWORD})
    assert answer.status_code == 303 and browser.cookies["portal_session"] != old_cookie
    assert Session.count(sha256(old_cookie)) == 0  # deleted on the server
    replay = Browser(browser.client)
    replay.cookies["portal_session"] = old_cookie
    assert replay.get("/orders").headers["Location"] == "/login?next=/orders"
    assert "Welcome" in text(browser.get("/"))  # the new one works


def test_the_lock_ends_after_its_time(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    for _ in range(5):
        browser.sign_in("rita@example.com", "wrong password!")
    counter = Throttle.get("acct#user#u-rita-example.com")
    counter.locked_until = 1
    counter.window_ends = 1
    counter.save()
    assert browser.sign_in("rita@example.com").status_code == 303
    assert Throttle.count("acct#user#u-rita-example.com") == 0  # success clears the counter


def test_source_ip_is_throttled_from_api_gateway_not_x_forwarded_for(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    for n in range(30):
        browser.sign_in(f"guess{n}@example.com", "wrong password!",)
    response = browser.post("/login", {"login": "rita@example.com", "password": PASSWORD},
                            headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 429
    assert Throttle.get("ip#127.0.0.1").failures == 30
    assert Throttle.count("ip#203.0.113.9") == 0


def test_passwords_are_hashed_with_argon2id_at_least_19_mib_t2_p1(browser):
    user = make_user("rita@example.com", accounts=[("abc", "C1")])
    stored = User.get(user.user_id).password_hash
    assert stored.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1


def test_an_old_weaker_hash_is_rehashed_at_sign_in(browser):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user = make_user("rita@example.com", accounts=[("abc", "C1")], password_hash=weak)
    assert browser.sign_in("rita@example.com").status_code == 303
    stored = User.get(user.user_id).password_hash
    assert stored != weak and not passwords.needs_rehash(stored)


def test_a_generated_first_password_leads_only_to_the_change_form(browser):
    make_user(None, user_name=("abc", "C1005"), accounts=[("abc", "C1005")], password="W10050",
              must_change=True, generated_expires=NOW + timedelta(days=3650))
    response = browser.sign_in("C1005", "W10050")
    assert response.headers["Location"] == "/change-password"
    for path in ("/", "/preferences", "/orders"):
        assert browser.get(path).headers.get("Location") == "/change-password"
    browser.get("/change-password")
    response = browser.post("/change-password", {"current": "W10050", "password": "my own words 42",
                                                 "confirm": "my own words 42"})
    assert response.status_code == 303
    assert browser.get("/").status_code == 200


def test_an_expired_generated_password_is_refused(browser):
    make_user(None, user_name=("abc", "C9"), accounts=[("abc", "C9")], password="W1",
              must_change=True, generated_expires=NOW - timedelta(days=1))
    response = browser.sign_in("C9", "W1")
    assert response.status_code == 401
    assert "temporary password has expired" in text(response)


# Every cookie the portal sets: (set, clear, name, lifetime in seconds).
COOKIE_KINDS = [
    ("session_cookie", "clear_session_cookie", "portal_session", 12 * 60 * 60),
    ("csrf_cookie", None, "portal_csrf", 2 * 60 * 60),
    ("handoff_state_cookie", "clear_handoff_state_cookie", "portal_handoff", 5 * 60),
    ("pending_cookie", "clear_pending_cookie", "portal_pending", 5 * 60),
    ("device_cookie", "clear_device_cookie", "portal_device", 30 * 24 * 60 * 60),
    ("browser_cookie", None, "portal_browser", 400 * 24 * 60 * 60),
]


@pytest.mark.parametrize("set_name, clear_name, base, seconds", COOKIE_KINDS)
@pytest.mark.parametrize("stage, prefix, name_prefix, path, secure", [
    ("local", "", "", "/", ""),
    ("prod", "", "__Host-", "/", "; Secure"),
    ("prod", "/api", "__Secure-", "/api", "; Secure"),  # API Gateway's own URL: the stage's path
])
def test_every_cookie_has_the_same_attributes(monkeypatch, set_name, clear_name, base, seconds,
                                              stage, prefix, name_prefix, path, secure):
    from chalicelib.web import cookies

    monkeypatch.setenv("PORTAL_STAGE", stage)
    name = name_prefix + base
    assert getattr(cookies, set_name)("v4lue", prefix) == (
        f"{name}=v4lue; Path={path}; HttpOnly; SameSite=Lax; Max-Age={seconds}{secure}")
    if clear_name:
        assert getattr(cookies, clear_name)(prefix) == (
            f"{name}=; Path={path}; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    assert cookies.read({"cookie": f"other=1; {name}=v4lue"}, getattr(cookies, f"{set_name[:-7]}_name")(prefix)) == "v4lue"
