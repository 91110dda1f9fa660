"""/preferences/sessions: every live session of the login, sign out one or all others; the
e-mails on a sign-in from a new device and on a change of password, two-factor or passkeys."""
import time

import pytest

from chalicelib import email as mail
from chalicelib.models import Session, User
from chalicelib.services import security_notices, sessions
from tests.support import PASSWORD, Browser, make_user, sent_mail, text

CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


def _sign_in(browser, login, user_agent, password=PASSWORD):
    browser.get("/login", headers={"User-Agent": user_agent})
    answer = browser.post("/login", {"login": login, "password": password},
                          headers={"User-Agent": user_agent})
    assert answer.status_code == 303, text(answer)
    return browser


@pytest.fixture
def rita(abc):
    return make_user("rita@example.com", accounts=[("abc", "C1")], name="Rita")


@pytest.fixture
def three(browser, rita):
    """Rita signed in from three browsers; `browser` is the Chrome one."""
    _sign_in(browser, "rita@example.com", CHROME_WINDOWS)
    firefox = _sign_in(Browser(browser.client), "rita@example.com", FIREFOX_LINUX)
    iphone = _sign_in(Browser(browser.client), "rita@example.com", SAFARI_IPHONE)
    return browser, firefox, iphone


def _refs(page):
    import re

    return re.findall(r'action="/preferences/sessions/([0-9a-f]+)/sign-out"', page)


def test_every_session_of_the_login_is_listed_with_device_ip_and_times(three):
    browser, _, _ = three
    page = text(browser.get("/preferences/sessions"))
    assert "Chrome on Windows</td>" not in page  # this browser is marked
    assert "Chrome on Windows <strong>(this browser)</strong>" in page
    assert "Firefox on Linux" in page and "Safari on iPhone" in page
    assert page.count("127.0.0.1") == 3 and page.count("ABC Appliance Service</td>") == 3
    assert len(_refs(page)) == 3 and "Sign out everywhere else" in page
    import re

    for column in ("Signed in", "Last seen"):
        assert len(re.findall(rf'data-label="{column}">\d{{4}}-\d\d-\d\d \d\d:\d\d UTC<', page)) == 3


def test_ending_one_session_signs_that_browser_out_on_its_next_click(three):
    browser, firefox, iphone = three
    assert firefox.get("/").status_code == 200
    listed = sessions.active_for_user("u-rita-example.com", None, time.time())
    ref = next(s.ref for s in listed if s.device == "Firefox on Linux")
    answer = browser.post(f"/preferences/sessions/{ref}/sign-out", {})
    assert answer.headers["Location"] == "/preferences/sessions?notice=ended"
    assert "Firefox on Linux" not in text(browser.get("/preferences/sessions"))
    refused = firefox.get("/orders")
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/login")
    assert iphone.get("/").status_code == 200 and browser.get("/").status_code == 200


def test_sign_out_everywhere_else_keeps_only_this_browser(three):
    browser, firefox, iphone = three
    answer = browser.post("/preferences/sessions/sign-out-others", {})
    assert answer.headers["Location"] == "/preferences/sessions?notice=others-ended"
    page = text(browser.get("/preferences/sessions?notice=others-ended"))
    assert "Every other session has been signed out." in page and len(_refs(page)) == 1
    for other in (firefox, iphone):
        assert other.get("/").headers["Location"].startswith("/login")
    assert browser.get("/").status_code == 200


def test_signing_out_this_browser_from_the_list_is_a_sign_out(three):
    browser, _, _ = three
    mine = next(s.ref for s in sessions.active_for_user("u-rita-example.com", None, time.time())
                if s.device == "Chrome on Windows")
    answer = browser.post(f"/preferences/sessions/{mine}/sign-out", {})
    assert answer.headers["Location"] == "/login?notice=signed-out" and not browser.signed_in


def test_another_logins_session_cannot_be_ended(three):
    browser, firefox, _ = three
    make_user("mallory@example.com", accounts=[("abc", "C2")])
    mallory = _sign_in(Browser(browser.client), "mallory@example.com", FIREFOX_LINUX)
    rita_ref = _refs(text(browser.get("/preferences/sessions")))[1]
    mallory.get("/preferences/sessions")
    assert mallory.post(f"/preferences/sessions/{rita_ref}/sign-out", {}).status_code == 404
    assert mallory.post("/preferences/sessions/not-a-ref/sign-out", {}).status_code == 404
    assert len(_refs(text(browser.get("/preferences/sessions")))) == 3
    assert firefox.get("/").status_code == 200


def test_sessions_on_other_companies_are_listed_with_their_name(browser, pacific):
    make_user("pat@example.com", accounts=[("abc", "C1"), ("pacific", "P1")])
    _sign_in(browser, "pat@example.com", CHROME_WINDOWS)
    _sign_in(Browser(browser.client, host="pacific.localhost"), "pat@example.com", FIREFOX_LINUX)
    page = text(browser.get("/preferences/sessions"))
    assert "Pacific Distribution</td>" in page and "ABC Appliance Service</td>" in page


def test_expired_sessions_are_not_listed(three):
    browser, _firefox, _ = three
    stale = Session.get(next(s.session_hash for s in Session.by_user.query("u-rita-example.com")
                             if Session.get(s.session_hash).user_agent == FIREFOX_LINUX))
    stale.update(actions=[Session.last_seen.set(int(time.time()) - sessions.IDLE_SECONDS - 5)])
    assert "Firefox on Linux" not in text(browser.get("/preferences/sessions"))


def test_the_sessions_page_needs_a_session(browser):
    assert browser.get("/preferences/sessions").headers["Location"] == \
        "/login?next=/preferences/sessions"


@pytest.mark.parametrize("user_agent, shown", [
    (CHROME_WINDOWS, "Chrome on Windows"), (FIREFOX_LINUX, "Firefox on Linux"),
    (SAFARI_IPHONE, "Safari on iPhone"),
    (("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"), "Edge on macOS"),
    (("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36"), "Chrome on Android"),
    ("curl/8.5.0", "Unknown browser"), ("", "Unknown device"), (None, "Unknown device"),
])
def test_device_names_from_the_user_agent(user_agent, shown):
    assert sessions.describe_device(user_agent) == shown


# ------------------------------------------------------------------ e-mails

def _new_device_mail():
    return [m for m in sent_mail() if m.subject.startswith("New sign-in")]


def test_a_sign_in_from_a_new_device_is_e_mailed_once(browser, rita):
    _sign_in(browser, "rita@example.com", CHROME_WINDOWS)  # the login's first device
    assert _new_device_mail() == []
    laptop = _sign_in(Browser(browser.client), "rita@example.com", FIREFOX_LINUX)
    mails = _new_device_mail()
    assert [m.destinations["ToAddresses"] for m in mails] == [["rita@example.com"]]
    assert "Firefox on Linux" in mails[0].body and "127.0.0.1" in mails[0].body
    # The same browser again (it kept its device cookie): nothing new.
    laptop.post("/logout", {})
    _sign_in(laptop, "rita@example.com", FIREFOX_LINUX)
    _sign_in(browser, "rita@example.com", CHROME_WINDOWS)
    assert len(_new_device_mail()) == 1


def test_a_forged_device_cookie_counts_as_a_new_device(browser, rita):
    _sign_in(browser, "rita@example.com", CHROME_WINDOWS)
    forged = Browser(browser.client)
    forged.cookies["portal_browser"] = "x" * 43
    _sign_in(forged, "rita@example.com", FIREFOX_LINUX)
    assert len(_new_device_mail()) == 1


def test_known_devices_stay_few(abc, rita):
    client = sessions.Client(FIREFOX_LINUX, "198.51.100.1")
    for _ in range(security_notices.MAX_KNOWN_DEVICES + 1):
        security_notices.note_sign_in(abc, User.get(rita.user_id), None, client, time.time())
    assert len(User.get(rita.user_id).known_devices) == 1


def test_a_password_change_is_e_mailed(browser, rita):
    _sign_in(browser, "rita@example.com", CHROME_WINDOWS)
    browser.get("/change-password")
    answer = browser.post("/change-password", {"current": PASSWORD,
                                               "password": "a brand new secret 42",
                                               "confirm": "a brand new secret 42"})
    assert answer.status_code == 303
    assert any("password was changed" in m.subject for m in sent_mail())
    # The new session keeps the browser's device and address on the sessions page.
    assert "Chrome on Windows <strong>" in text(browser.get("/preferences/sessions"))


class ListOutbox(mail.Outbox):
    def __init__(self):
        super().__init__()
        self.messages = []

    def put(self, message):
        self.messages.append(message)
        return str(len(self.messages))


@pytest.mark.parametrize("change", sorted(security_notices.CHANGES))
def test_every_security_change_has_a_branded_e_mail(abc, rita, change):
    outbox = ListOutbox()
    assert security_notices.notify_change(abc, rita, change, time.time(), source_ip="203.0.113.5",
                                          outbox=outbox)
    [message] = outbox.messages
    assert message["to"] == "rita@example.com"
    assert message["subject"].startswith(security_notices.CHANGES[change])
    assert "ABC Appliance Service" in message["subject"] and "#1f4e79" in message["html"]
    assert "203.0.113.5" in message["text"]


def test_an_unknown_security_change_is_a_programming_error(abc, rita):
    with pytest.raises(ValueError):
        security_notices.notify_change(abc, rita, "password_guessed", time.time())
