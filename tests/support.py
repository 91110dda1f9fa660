"""Helpers for tests: a cookie-keeping client, factories, the sent-mail box."""
import html
import re
import struct
import zlib
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from chalicelib import dynamo_metrics
from chalicelib.models import Company, Contact, Customer, Domain, LoginName, Membership, Theme, User, WebAccess
from chalicelib.repositories import admin_customers
from chalicelib.repositories.keys import account_pk, email_login, name_login
from chalicelib.services import passwords

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """Keeps cookies and sends same-origin headers like a browser would."""

    def __init__(self, client, host="localhost"):
        self.client = client
        self.host = host
        self.cookies = {}
        self.last = None

    def _headers(self, extra=None):
        headers = {"Host": self.host, "Sec-Fetch-Site": "same-origin"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return {k: v for k, v in headers.items() if v is not None}

    def _keep(self, response):
        values = response.headers.get("Set-Cookie")
        if values:
            for value in values if isinstance(values, list) else [values]:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        self.last = response
        return response

    def get(self, path, headers=None):
        return self._keep(self.client.http.get(path, headers=self._headers(headers)))

    def post(self, path, data, headers=None, csrf=True):
        data = dict(data)
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        headers = dict({"Content-Type": "application/x-www-form-urlencoded"}, **(headers or {}))
        return self._keep(self.client.http.post(path, headers=self._headers(headers),
                                                body=urlencode(data)))

    def csrf_token(self):
        match = CSRF.search(self.last.body.decode() if self.last else "")
        if not match:
            match = CSRF.search(self.get("/login" if not self.signed_in else "/preferences").body.decode())
        return match.group(1)

    @property
    def signed_in(self):
        return any(name.endswith("portal_session") for name in self.cookies)

    def sign_in(self, login, password=PASSWORD):
        self.get("/login")
        return self.post("/login", {"login": login, "password": password})


def text(response):
    return response.body.decode()


def page_and_calls(browser, path):
    """GET `path` (expected 200): the answer and the DynamoDB calls, (operation, table), that
    this one request made, as the request log counts them (chalicelib/dynamo_metrics.py)."""
    response = browser.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response, dynamo_metrics.current().operations


def calls_of(browser, path):
    return page_and_calls(browser, path)[1]


def make_company(company_id, name, hosts, primary_color="#1f4e79", **settings):
    company = Company(company_id, name=name, primary_domain=hosts[0],
                      theme=Theme(primary_color=primary_color, accent_color="#f2a900"),
                      created_at=NOW, updated_at=NOW, **settings)
    company.save()
    for host in hosts:
        Domain(host, company_id=company_id, primary=host == hosts[0], created_at=NOW).save()
    return company


def make_user(email=None, *, accounts=(), admin_of=(), password=PASSWORD, user_name=None,
              must_change=False, generated_expires=None, access_type="Retail", name="Test User",
              password_hash=None):
    user_id = f"u-{(email or user_name[1]).replace('@', '-')}"
    user = User(user_id, email=email, name=name,
                password_hash=password_hash or passwords.hash_password(password),
                must_change_password=must_change, generated_password_expires_at=generated_expires,
                admin_company_ids=set(admin_of) or None, created_at=NOW)
    user.save()
    if email:
        LoginName(email_login(email), user_id=user_id).save()
    if user_name:
        LoginName(name_login(*user_name), user_id=user_id).save()
    for company_id, customer_no in accounts:
        Membership(user_id, account_pk(company_id, customer_no), company_id=company_id,
                   customer_no=customer_no, status="active").save()
        WebAccess(account_pk(company_id, customer_no), access_type=access_type).save()
    return user


def deliver_queued_mail():
    """Run the mail queue's consumer (app.send_queued_mail) over every queued message, as
    Lambda's SQS event source does in AWS (infra/local/mail_queue.py)."""
    from app import send_queued_mail
    from infra.local import mail_queue

    return mail_queue.drain(send_queued_mail)


def sent_mail():
    """Messages moto's SES recorded, oldest first, after the queue was delivered."""
    deliver_queued_mail()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def make_invoice(company_id, invoice_no, customer_no, day, *, state="open", status="Received",
                 dealer=None, location="MAIN", po=None, lines=(), balance=None, due=None,
                 applied=(), serial=None):
    """An invoice as the ERP would push it; lines are (part, description, ordered, shipped, cents)."""
    from chalicelib.models import Invoice, InvoiceLine
    from chalicelib.repositories import ar_totals
    from chalicelib.repositories.keys import invoice_keys

    items, subtotal = [], 0
    for n, (part, description, ordered, shipped, cents) in enumerate(lines, start=1):
        items.append(InvoiceLine(line_no=n, part_no=part, description=description,
                                 qty_ordered=ordered, qty_shipped=shipped,
                                 qty_backordered=ordered - shipped, price_cents=cents,
                                 extension_cents=ordered * cents))
        subtotal += ordered * cents
    total = subtotal or 10000
    balance = total if balance is None else balance
    keys = invoice_keys(company_id, invoice_no, customer_no, state, day, due, balance, dealer)
    invoice = Invoice(keys.pop("pk"), company_id=company_id, invoice_no=invoice_no,
                      customer_no=customer_no, location_id=location, dealer_code=dealer,
                      state=state, status=status, invoice_date=day,
                      due_date=due, po_number=po, lines=items, subtotal_cents=subtotal,
                      total_cents=total, balance_cents=balance, equipment_serial=serial,
                      applied_payment_ids=list(applied), erp_updated_at=NOW, **keys)
    assert ar_totals.save_invoice(invoice, ar_totals.stored_invoice(invoice.pk))  # as the ERP import
    return invoice


def bulk_invoices(company_id, customer_no, count, *, status="Received"):
    """`count` open invoices of one account written in bulk (as the seed does, then the
    account's totals counted once): for lists longer than a page's read budget."""
    from chalicelib.models import Invoice
    from chalicelib.repositories import ar_totals
    from chalicelib.repositories.keys import invoice_keys

    with Invoice.batch_write() as batch:
        for n in range(count):
            day = f"2025-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"
            keys = invoice_keys(company_id, f"B{n:05d}", customer_no, "open", day, None,
                                10000, None)
            batch.save(Invoice(keys.pop("pk"), company_id=company_id, invoice_no=f"B{n:05d}",
                               customer_no=customer_no, location_id="MAIN", state="open",
                               status=status, invoice_date=day, total_cents=10000,
                               balance_cents=10000, erp_updated_at=NOW, **keys))
    ar_totals.rebuild(company_id, customer_no)


def link_dealer(company_id, dealer_code, customer_no):
    from chalicelib.models import Dealer
    from chalicelib.repositories import dealers

    dealer = Dealer(company_id, dealer_code, name=f"Dealer {dealer_code}", linked_customer_nos=[])
    dealer.save()
    dealers.link(dealer, customer_no)  # the link and the account's dealer codes, as the admin


def set_pages(company, **pages):
    from chalicelib.models import DEFAULT_PAGES
    from chalicelib.services import tenant

    company.pages = dict(DEFAULT_PAGES, **pages)
    company.save()
    tenant.forget()


ADMIN = "boss@abc.example"


def make_customer(company_id, customer_no, name, location="MAIN", city="Springfield", state="IL",
                  location_name=None, erp_active=True, emails=()):
    Customer(account_pk(company_id, customer_no), location, company_id=company_id,
             customer_no=customer_no, name=name,
             name_key=f"{name.lower()}#{customer_no}#{location}", city=city, state=state,
             location_name=location_name, erp_active=erp_active).save()
    for n, email in enumerate(emails):
        Contact(account_pk(company_id, customer_no), f"c{n}", name=f"Contact {n}",
                email=email).save()
    admin_customers.refresh_summary(company_id, customer_no)


def sign_in_rita(browser, abc, **pages):
    set_pages(abc, **{"open_parts": True, "search_all": True, **pages})
    make_user("rita@example.com", accounts=[("abc", "C1")])
    Customer(account_pk("abc", "C1"), "MAIN", company_id="abc", customer_no="C1",
             name="Rita's Kitchen", name_key="rita's kitchen#C1#MAIN", location_name="Main").save()
    Customer(account_pk("abc", "C1"), "LAKE", company_id="abc", customer_no="C1",
             name="Rita's Kitchen", name_key="rita's kitchen#C1#LAKE", location_name="Lake house",
             city="Lakeview").save()
    browser.sign_in("rita@example.com")


def png(color=(200, 30, 30), size=4):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(color) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def s3():
    from chalicelib import aws
    return aws.client("s3")


def upload_fields(page_html, kind):
    """The hidden fields of the presigned POST form of one image on the editor page."""
    form = re.search(rf'<form method="post" action="([^"]+)" enctype="multipart/form-data" '
                     rf'data-image-upload="{kind}">(.*?)</form>', page_html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    return html.unescape(form.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def abc_company():
    return Company.get("abc", consistent_read=True)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
