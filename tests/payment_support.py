"""Payments test helpers: the local emergepay stand-in, served over HTTP in this
process (the app's real gateway client talks to it through PORTAL_EMERGEPAY_URL),
or called in-process with fault switches."""
import re
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.email import EmailError
from chalicelib.payments import credentials
from chalicelib.payments.gateway import Gateway
from chalicelib.repositories import payments as payments_repo
from chalicelib.services.payments import PayDetails
from infra.local.emergepay import API_PREFIX, InProcessTransport, StandIn, serve

CARD_OK = {"cardNumber": "4111111111111111", "cardExpirationDate": "12/30",
           "cardSecurityCode": "123"}
CARD_DECLINED = dict(CARD_OK, cardNumber="4000000000000002")
ACH_OK = {"accountNumber": "000123456789", "routingNumber": "021000021",
          "accountHolderName": "Rita Retail"}
TOKEN = re.compile(r'data-transaction-token="([^"]+)"')
PAYMENT_ID = re.compile(r'name="payment_id" value="([0-9a-f]{24})"')
DEMO_CREDS = credentials.GatewayCredentials("oid-test", "token-test", "sandbox")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def emergepay_server():
    port = _free_port()
    server, stand_in = serve(port)
    yield stand_in, f"http://127.0.0.1:{port}{API_PREFIX}"
    server.shutdown()


@pytest.fixture
def emergepay(emergepay_server, monkeypatch, aws):
    """The HTTP stand-in, reset, with card and ACH credentials for company abc."""
    stand_in, url = emergepay_server
    stand_in.reset()
    monkeypatch.setenv("PORTAL_EMERGEPAY_URL", url)
    for method in ("card", "ach"):
        credentials.store("abc", method, DEMO_CREDS)
    return stand_in


def in_process_gateway(stand_in: StandIn):
    """A gateway factory for PaymentService: the stand-in in-process, no sleeping."""
    def factory(company_id, method):
        return Gateway(DEMO_CREDS, method, transport=InProcessTransport(stand_in),
                       sleep=lambda _: None)
    return factory


def pay_form_fields(browser, **overrides):
    """Open /account/pay and return the fields of a card payment of the first invoice."""
    body = browser.get("/account/pay").body.decode()
    fields = {"payment_id": PAYMENT_ID.search(body).group(1), "method": "card",
              "billing_name": "Rita Retail", "billing_zip": "62704",
              "receipt_email": "rita@example.com", "account_type": "Checking"}
    fields.update(overrides)
    return fields


def post_lists(browser, path, fields):
    """POST a form whose values may be lists (check boxes)."""
    from urllib.parse import urlencode

    data = dict(fields)
    data.setdefault("csrf_token", browser.csrf_token())
    headers = dict(browser._headers({"Content-Type": "application/x-www-form-urlencoded"}))
    return browser._keep(browser.client.http.post(path, headers=headers,
                                                  body=urlencode(data, doseq=True)))


def review_and_authorize(browser, stand_in, fields, entered=None):
    """Review page → the customer types into the hosted fields → confirm fields."""
    review = post_lists(browser, "/account/pay", fields)
    assert review.status_code == 200, review.body.decode()[:2000]
    token = TOKEN.search(review.body.decode()).group(1)
    entered = entered or (CARD_OK if fields["method"] == "card" else ACH_OK)
    status, _ = stand_in.authorize(token, dict(entered))
    assert status == 200
    return review, dict(fields, transaction_token=token)


class Clock:
    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return clock.utcnow() + self.offset


class CrashingRepo:
    """The payments repository, except that `resolve` can fail once (a Lambda dying
    between the gateway's answer and the database write)."""

    def __init__(self):
        self.crash_next = False

    def __getattr__(self, name):
        return getattr(payments_repo, name)

    def resolve(self, *args, **kwargs):
        if self.crash_next:
            self.crash_next = False
            raise RuntimeError("process died before the database write")
        return payments_repo.resolve(*args, **kwargs)


@dataclass
class Mailbox:
    down: bool = False
    sent: list = field(default_factory=list)

    def __call__(self, company, to, template, **context):
        if self.down:
            raise EmailError("SES unreachable")
        self.sent.append((to, context["payment"].payment_id))
        return "id"


def authorized_token(stand_in, method="card", entered=CARD_OK):
    gateway = in_process_gateway(stand_in)("abc", method)
    token = gateway.start()
    assert stand_in.authorize(token, dict(entered))[0] == 200
    return token


DETAILS = PayDetails("card", "Rita", "62704", "rita@example.com")


def reconcile_later(world, minutes=5):
    world["now"].offset += timedelta(minutes=minutes)
    return world["service"].reconcile(world["company"])
