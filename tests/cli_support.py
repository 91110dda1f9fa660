"""The `portal` CLI in-process against the real app: a `requests` transport adapter that
hands each request to `chalice.test.Client` (no network, no patching), a runner, and the
`acme` / `client` fixtures the CLI tests share (loaded as a plugin by tests/conftest.py)."""
from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from portal_cli.main import Injected, cli
from tests.support import make_company

URL = "http://localhost"


@pytest.fixture
def acme(aws):
    """A company of its own, so the CLI tests never see the `abc` fixture's data."""
    return make_company("acme", "Acme Service", ["acme.localhost"])


@pytest.fixture
def client(app, acme):
    from chalice.test import Client

    with Client(app, stage_name="local") as chalice_client:
        yield chalice_client


class ChaliceTransport(BaseAdapter):
    """requests -> chalice.test.Client.  `fail_after=N` answers the first N matching calls
    and then fails every later one with a connection error, like a network that went away
    (N counts calls whose method and path contain `fail_on`)."""

    def __init__(self, client, fail_after=None, fail_on=("POST", "")):
        super().__init__()
        self.client = client
        self.fail_after = fail_after
        self.fail_on = fail_on
        self.calls = []  # (method, path, body bytes)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        matching = request.method == self.fail_on[0] and self.fail_on[1] in parts.path
        if matching and self.fail_after is not None:
            if self.fail_after <= 0:
                raise requests.ConnectionError("simulated network failure")
            self.fail_after -= 1
        self.calls.append((request.method, path, body))
        headers = dict(request.headers, Host=parts.netloc)
        answer = self.client.http.request(request.method, path, headers=headers, body=body)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.body if isinstance(answer.body, bytes) \
            else (answer.body or "").encode()
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = request.url
        response.request = request
        response.reason = ""
        return response

    def close(self):
        pass


def session_over(transport) -> requests.Session:
    session = requests.Session()
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session


class Portal:
    """Runs `portal ...` in-process with the given token; the result is click's Result."""

    def __init__(self, client, token=None, transport=None):
        self.client = client
        self.token = token
        self.transport = transport or ChaliceTransport(client)

    def __call__(self, *args, token=None, input=None, transport=None, env=None):
        transport = transport or self.transport
        environ = {"PORTAL_URL": URL, "XDG_CONFIG_HOME": "/nonexistent"}  # no config file
        if token or self.token:
            environ["PORTAL_TOKEN"] = token or self.token
        environ.update(env or {})
        injected = Injected(session=session_over(transport), environ=environ, backoff=0,
                            sleep=lambda seconds: None)
        runner = CliRunner()
        return runner.invoke(cli, [str(arg) for arg in args], obj=injected, input=input,
                             catch_exceptions=False)


def make_api_token(scope="platform", company_id=None, label="test"):
    """A bearer token stored the way the API checks it (only its SHA-256 is kept)."""
    from chalicelib.ids import new_id, new_secret, sha256
    from chalicelib.models import ApiToken
    from tests.support import NOW

    secret = new_secret()
    ApiToken(sha256(secret), token_id=new_id(), scope=scope, company_id=company_id,
             label=label, created_at=NOW).save()
    return secret


def write_invoices_csv(path, count, updated_at="2026-11-20T08:00:00Z", customer_no="A1001",
                       start=0):
    """`count` one-line invoices, numbered from `start`."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["invoice_no", "customer_no", "invoice_date", "state", "subtotal", "tax",
                         "total", "balance", "updated_at", "line_no", "line_part_no",
                         "line_qty_ordered", "line_price"])
        for n in range(start, start + count):
            writer.writerow([f"T{n:05d}", customer_no, "2026-11-02", "open", "10.00", "0.00",
                             "10.00", "10.00", updated_at, 1, "IGN-220", 1, "10.00"])
    return path
