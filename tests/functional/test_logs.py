"""No secret token reaches a log line (docs/security.md)."""

import pytest

from chalicelib.logs import logger
from tests.support import make_user, sent_mail

SECRET = "Zq3x_SECRET_TOKEN_VALUE_0123456789abcdefghijklm"
TOKEN_PATHS = [f"/reset-password/{SECRET}", f"/invite/{SECRET}", f"/handoff/{SECRET}",
               f"/confirm-email/{SECRET}"]


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_token_path_segments_never_reach_a_log_line(browser, log_output, path):
    browser.get(path)
    browser.post(path, {"password": "x", "confirm": "x", "name": "x"})
    lines = log_output.getvalue().splitlines()
    request_lines = [line for line in lines if '"message":"request"' in line]
    assert len(request_lines) >= 2  # the lines were written...
    assert all(SECRET not in line for line in lines)  # ...without the token
    assert f'{path.rsplit("/", 1)[0]}/[redacted]' in request_lines[-1]


def test_a_real_reset_link_and_a_logged_exception_are_redacted(browser, log_output):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.get("/forgot-password")
    browser.post("/forgot-password", {"email": "rita@example.com"})
    link = [w for w in str(sent_mail()[-1].body).split() if "/reset-password/" in w][0]
    token = link.split("/reset-password/")[1][:43]
    browser.get(f"/reset-password/{token}")
    try:
        raise ValueError(f"while serving /invite/{SECRET}")
    except ValueError:
        logger.exception("boom")
    out = log_output.getvalue()
    assert token not in out and SECRET not in out and "/reset-password/[redacted]" in out


def test_the_local_servers_access_log_is_redacted(capsys):
    from infra.local.stack import redacting_request_handler

    handler = redacting_request_handler().__new__(redacting_request_handler())
    handler.client_address, handler.requestline = ("127.0.0.1", 1), ""
    handler.log_message('"%s" %s %s', f"GET /invite/{SECRET}?next=/ HTTP/1.1", "200", "-")
    err = capsys.readouterr().err
    assert "/invite/[redacted]?next=/" in err and SECRET not in err
