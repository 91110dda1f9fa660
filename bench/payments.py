"""DynamoDB calls and our own time for each step of paying on account, on moto in-process.

    .venv/bin/python bench/payments.py [--extra 0,200]

Seeds the demo data, starts the local emergepay stand-in (HTTP, in this process),
signs in as the demo retail user, and measures GET /account/pay, the review POST,
the confirm POST (which calls the gateway: "gateway ms" is the stand-in's share)
and the result page; then adds open invoices to the account and measures again:
the number of DynamoDB calls must not grow with them (the items read do: the form
lists every open invoice).
"""
import argparse
import os
import re
import socket
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

from _bench import HOST, PROJECT_DIR, request, sign_in  # noqa: F401,E402  (first: environment, items-read counting)
from moto import mock_aws  # noqa: E402

PAYMENT_ID = re.compile(r'name="payment_id" value="([0-9a-f]{24})"')
TOKEN = re.compile(r'data-transaction-token="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INVOICES = re.compile(r'name="invoice" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_open_invoices(count, start):
    from chalicelib.models import Invoice
    from chalicelib.repositories.keys import account_pk, invoice_pk

    day = date(2026, 6, 1)
    with Invoice.batch_write() as batch:
        for n in range(start, start + count):
            number, when = f"X{n:06d}", (day + timedelta(days=n % 90)).isoformat()
            batch.save(Invoice(invoice_pk("abc", number), company_id="abc", invoice_no=number,
                               customer_no="C1001", customer_pk=account_pk("abc", "C1001"),
                               state="open", state_key=f"open#{when}#{number}",
                               date_key=f"{when}#{number}", invoice_date=when, due_date=when,
                               total_cents=1000, balance_cents=1000,
                               ar_pk=account_pk("abc", "C1001"), due_key=f"{when}#{number}",
                               erp_updated_at=datetime(2026, 11, 20, tzinfo=timezone.utc)))


def pay_once(client, dynamo_metrics, headers, stand_in):
    post = dict(headers, Origin=f"http://{HOST}",
                **{"Content-Type": "application/x-www-form-urlencoded"})
    form = request(client, dynamo_metrics, "GET", "/account/pay", headers)
    body = form.response.body.decode()
    fields = {"csrf_token": CSRF.search(body).group(1),
              "payment_id": PAYMENT_ID.search(body).group(1),
              "invoice": INVOICES.search(body).group(1), "method": "card",
              "billing_name": "Rita", "billing_zip": "62704", "receipt_email": "r@example.com"}
    review = request(client, dynamo_metrics, "POST", "/account/pay", post,
                     urlencode(fields).encode())
    token = TOKEN.search(review.response.body.decode()).group(1)
    stand_in.authorize(token, {"cardNumber": "4111111111111111", "cardExpirationDate": "12/30",
                               "cardSecurityCode": "123"})
    gateway_before = stand_in_time[0]
    confirm = request(client, dynamo_metrics, "POST", "/account/pay/confirm", post,
                      urlencode(dict(fields, transaction_token=token)).encode())
    confirm.gateway = stand_in_time[0] - gateway_before
    assert confirm.status == 303, confirm.status
    result = request(client, dynamo_metrics, "GET", confirm.response.headers["Location"], headers)
    assert b"Thank you" in result.response.body
    return [("GET /account/pay", form), ("POST /account/pay (review)", review),
            ("POST /account/pay/confirm", confirm), ("GET /account/pay/{id}", result)]


stand_in_time = [0.0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", default="0,200", help="open invoices added, per round")
    args = parser.parse_args(argv)
    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib import dynamo_metrics
        from infra.local import emergepay, seed
        from infra.resources import create_all

        create_all(domains=[h for spec in seed.COMPANIES for h in spec["hosts"]])
        seed.seed()
        server, stand_in = emergepay.serve(free_port())
        handle = stand_in.handle

        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return handle(*a, **k)
            finally:
                stand_in_time[0] += time.perf_counter() - started
        stand_in.handle = timed
        os.environ["PORTAL_EMERGEPAY_URL"] = \
            f"http://127.0.0.1:{server.server_address[1]}{emergepay.API_PREFIX}"
        print("Paying on account (retail@example.com, abc/C1001): DynamoDB calls per request")
        print(f"{'open invoices added':>20}  {'request':<30} {'status':>6} {'calls':>5} "
              f"{'items':>5} {'own ms':>7} {'moto ms':>8} {'gateway ms':>10}")
        added = 0
        with Client(app, stage_name="local") as client:
            _, _, headers = sign_in(client, dynamo_metrics, "retail@example.com",
                                    seed.DEMO_PASSWORD)
            for extra in (int(x) for x in args.extra.split(",")):
                add_open_invoices(extra - added if extra > added else 0, added)
                added = max(added, extra)
                for label, m in pay_once(client, dynamo_metrics, headers, stand_in):
                    gateway = getattr(m, "gateway", 0.0)
                    print(f"{extra:>20}  {label:<30} {m.status:>6} {m.calls:>5} {m.items:>5} "
                          f"{(m.own - gateway) * 1000:>7.1f} {m.dynamo * 1000:>8.1f} "
                          f"{gateway * 1000:>10.1f}")
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
