"""The local stack over real HTTP: moto server, seeded data, chalice local."""
import re
import time

import requests

from infra.local.seed import DEMO_PASSWORD


def _sign_in(stack, host, login, password):
    session = requests.Session()
    session.headers["Host"] = host  # Python does not resolve *.localhost
    page = session.get(f"{stack['url']}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{stack['url']}/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": token, "login": login, "password": password},
                          headers={"Origin": f"http://{host}"})
    return session, answer


def test_make_run_prints_the_urls_and_demo_logins(stack):
    banner = stack["banner"]
    assert f"http://localhost:{stack['port']}/" in banner
    for login in ("retail@example.com", "dealer@example.com", "both@example.com",
                  "admin@example.com"):
        assert login in banner


def test_each_company_answers_on_its_own_host(stack):
    abc = requests.get(f"{stack['url']}/login", headers={"Host": "localhost"}, timeout=10)
    pacific = requests.get(f"{stack['url']}/login", headers={"Host": "pacific.localhost:8000"},
                           timeout=10)
    assert "Sign in to ABC Appliance Service" in abc.text
    assert "Sign in to Pacific Distribution" in pacific.text


def test_a_demo_customer_signs_in_over_http(stack):
    session, answer = _sign_in(stack, "localhost", "retail@example.com", DEMO_PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = session.get(f"{stack['url']}/", timeout=10)
    assert "Welcome, Rita Retail" in home.text


def test_wrong_password_and_unknown_user_get_the_same_page(stack):
    pages = []
    for login in ("dealer@example.com", "stranger@example.com"):
        _, answer = _sign_in(stack, "localhost", login, "not the password")
        pages.append((answer.status_code,
                      re.sub(r'value="[^"]*"|nonce-?[=\w"\'-]*', "", answer.text)))
    assert pages[0] == pages[1] and pages[0][0] == 401


def test_a_post_without_csrf_token_gets_403(stack):
    answer = requests.post(f"{stack['url']}/login", data={"login": "x", "password": "y"},
                           headers={"Host": "localhost"}, timeout=10)
    assert answer.status_code == 403


def test_the_dev_mailbox_lists_mail_sent_through_ses(stack):
    session = requests.Session()
    session.headers["Host"] = "localhost"
    page = session.get(f"{stack['url']}/forgot-password", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    session.post(f"{stack['url']}/forgot-password", timeout=10,
                 data={"csrf_token": token, "email": "both@example.com"})
    # The stack's mail consumer sends it moments after the request queued it.
    deadline = time.monotonic() + 10
    while True:
        mailbox = session.get(f"{stack['url']}/dev/mailbox", timeout=10).text
        if "Choose a new password" in mailbox or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "Choose a new password for ABC Appliance Service" in mailbox
    assert f"http://localhost:{stack['port']}/reset-password/" in mailbox
