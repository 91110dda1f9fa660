"""Helpers shared by the hand-off tests: one browser switching from ABC to Pacific."""
import html
import re
from urllib.parse import parse_qsl, urlsplit

from chalicelib.ids import sha256
from tests.support import Browser, text

CODE_URL = re.compile(r"^http://pacific\.localhost/handoff/([A-Za-z0-9_-]{43})$")


def continue_url(answer):
    """Switching pages link (and move on) to the next host."""
    assert answer.status_code == 200 and answer.headers["Referrer-Policy"] == "no-referrer"
    return html.unescape(re.search(r'<a id="continue" href="([^"]+)"', text(answer)).group(1))


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def switch_company(browser, company_id="pacific"):
    return browser.post("/switch-company", {"company_id": company_id})


def exchange(source, target, company_id="pacific"):
    """The whole switch in one browser (`source` and `target` are its two hosts, each with
    that host's cookies); returns the code the source issued."""
    start = continue_url(switch_company(source, company_id))
    assert start == f"http://{target.host}/switch-company/start?from=abc"
    to_source = target.get(path_of(start))  # the target sets the state cookie...
    assert to_source.status_code == 302
    authorize = to_source.headers["Location"]
    assert authorize.startswith("http://localhost/switch-company/authorize?state=")
    form = source.get(path_of(authorize))  # ...the source (signed in) posts itself back
    assert form.status_code == 200 and "<script nonce=" in text(form)
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert query["state"] == sha256(target.cookies["portal_handoff"])  # only its hash travels
    answer = source.post("/switch-company/authorize", query)
    return CODE_URL.match(continue_url(answer)).group(1)


def other_host(browser, host="pacific.localhost"):
    return Browser(browser.client, host=host)
