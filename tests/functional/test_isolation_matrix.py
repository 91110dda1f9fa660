"""Isolation proven as the app grows (docs/security.md): every registered route and method, asked
by every role about another account's objects, answers what its object rule says and never
shows that account's data.

RULES maps each (path, method) of the app's own route table to its rule; a route added
without a rule fails `test_every_registered_route_has_a_declared_rule`.
"""
import re
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib import aws, config
from chalicelib.models import PartsOrder, Payment, ServiceRequest, Statement, WebAccess
from chalicelib.repositories.keys import account_pk
from chalicelib.web import route_table
from tests.api_support import make_token
from tests.support import NOW, Browser, link_dealer, make_company, make_invoice, make_user, set_pages

# The victim: customer C1 of ABC and its objects.  Nobody but C1's own login may see them.
MARKER = "Zanzibar"
PAYMENT_ID = "0123456789abcdef01234567"
SERVICE_REQUEST_ID = "0123456789abcdef0123abcd"
ORDER_ID = "0123456789abcdef0123abcd"
VALUES = {"invoice_no": "W1", "customer_no": "C1", "statement_date": "2026-10-01",
          "payment_id": PAYMENT_ID, "dealer_code": "DLR01", "secret": "x" * 43,
          "code": "x" * 43, "message_id": "no-such-message", "digest": "0" * 12,
          "name": "site.css", "company_id": "abc", "host": "localhost", "token_id": "nope",
          "method": "card", "kind": "widgets", "feed": "payments",
          "request_id": SERVICE_REQUEST_ID, "number": "1", "user_id": "u-nobody",
          "session_ref": "0" * 24, "passkey_ref": "0" * 24,
          "order_id": ORDER_ID,
          "part_no": "W10295370A"}
FORM = {"customer_no": "C1", "company_id": "abc", "invoice_no": "W1",
        "payment_id": PAYMENT_ID, "dealer_code": "DLR01", "order_id": ORDER_ID}

# Rules (what each role gets):
PUBLIC = "public"  # anyone; nobody's data
TOKEN = "token"  # a page reached by a secret link: a made-up secret is 404/410 for everyone
SIGNED_IN = "signed_in"  # sign-in needed; the page shows the caller's own data only
OBJECT = "object"  # one of the caller's account's objects: the owner only, else 404
DEALER_OBJECT = "dealer_object"  # an object of a customer the calling dealer served, else 404
ADMIN = "admin"  # Dealer Administration of the host's company: its administrators only
ADMIN_OBJECT = "admin_object"  # an object of the administered company, else 404
# The local stage's mailbox: 404 outside local (chalicelib/web/dev_routes.py); it reads the
# local moto server's mail, which in-process tests do not run, so it is not asked here.
DEV = "dev"
API_PLATFORM = "api_platform"  # bearer token, platform scope only
API_COMPANY = "api_company"  # bearer token of that company (or platform)

RULES = {
    ("/static/{digest}/{name}", "GET"): PUBLIC,
    ("/login", "GET"): PUBLIC, ("/login", "POST"): PUBLIC,
    ("/logout", "POST"): SIGNED_IN,
    ("/forgot-password", "GET"): PUBLIC, ("/forgot-password", "POST"): PUBLIC,
    ("/reset-password/{secret}", "GET"): TOKEN, ("/reset-password/{secret}", "POST"): TOKEN,
    ("/change-password", "GET"): SIGNED_IN, ("/change-password", "POST"): SIGNED_IN,
    ("/", "GET"): SIGNED_IN,
    ("/preferences", "GET"): SIGNED_IN,
    ("/orders", "GET"): SIGNED_IN, ("/history", "GET"): SIGNED_IN,
    ("/orders/{invoice_no}", "GET"): OBJECT, ("/orders/{invoice_no}/pdf", "GET"): OBJECT,
    ("/open-parts", "GET"): SIGNED_IN,
    ("/account", "GET"): SIGNED_IN, ("/account/history", "GET"): SIGNED_IN,
    ("/purchases", "GET"): SIGNED_IN, ("/equipment", "GET"): SIGNED_IN,
    ("/search", "GET"): SIGNED_IN,
    ("/search/{invoice_no}", "GET"): OBJECT,  # Search ALL: only accounts allowed it
    ("/accounts", "GET"): SIGNED_IN, ("/accounts", "POST"): OBJECT,
    ("/dealer/orders", "GET"): SIGNED_IN, ("/dealer/history", "GET"): SIGNED_IN,
    ("/dealer/customers/{customer_no}", "GET"): DEALER_OBJECT,
    ("/dealer/orders/{invoice_no}", "GET"): DEALER_OBJECT,
    ("/dealer/orders/{invoice_no}/pdf", "GET"): DEALER_OBJECT,
    ("/statements", "GET"): SIGNED_IN,
    ("/statements/{statement_date}/pdf", "GET"): OBJECT,
    ("/switch-company", "POST"): SIGNED_IN,
    ("/switch-company/start", "GET"): PUBLIC,
    ("/switch-company/authorize", "GET"): SIGNED_IN,
    ("/switch-company/authorize", "POST"): SIGNED_IN,
    ("/handoff/{code}", "GET"): TOKEN, ("/handoff/{code}", "POST"): TOKEN,
    ("/admin", "GET"): ADMIN,
    ("/admin/select-dealer", "POST"): ADMIN_OBJECT,
    ("/admin/customers", "GET"): ADMIN,
    **{(f"/admin/customers/{{customer_no}}/{action}", method): ADMIN_OBJECT
       for action in ("invite", "inactivate", "reactivate", "web-access", "credentials")
       for method in ("GET", "POST")},
    ("/admin/dealers", "GET"): ADMIN,
    ("/admin/dealers/{dealer_code}", "GET"): ADMIN_OBJECT,
    ("/admin/dealers/{dealer_code}/link", "POST"): ADMIN_OBJECT,
    ("/admin/dealers/{dealer_code}/unlink", "POST"): ADMIN_OBJECT,
    ("/admin/settings", "GET"): ADMIN, ("/admin/settings", "POST"): ADMIN,
    ("/admin/audit", "GET"): ADMIN,
    ("/admin/theme", "GET"): ADMIN, ("/admin/theme", "POST"): ADMIN,
    ("/admin/theme/uploaded", "GET"): ADMIN,
    ("/admin/theme/image", "POST"): ADMIN, ("/admin/theme/image/remove", "POST"): ADMIN,
    ("/admin/theme/preview", "GET"): ADMIN,
    ("/admin/theme/publish", "POST"): ADMIN, ("/admin/theme/restore", "POST"): ADMIN,
    ("/invite/{secret}", "GET"): TOKEN, ("/invite/{secret}", "POST"): TOKEN,
    ("/confirm-email/{secret}", "GET"): TOKEN, ("/confirm-email/{secret}", "POST"): TOKEN,
    ("/preferences/confirm-email", "POST"): SIGNED_IN,
    # Sessions and passkeys: only the caller's own (another login's ref answers 404).
    ("/preferences/sessions", "GET"): SIGNED_IN,
    ("/preferences/sessions/{session_ref}/sign-out", "POST"): SIGNED_IN,
    ("/preferences/sessions/sign-out-others", "POST"): SIGNED_IN,
    ("/preferences/passkeys", "GET"): SIGNED_IN, ("/preferences/passkeys", "POST"): SIGNED_IN,
    ("/preferences/passkeys/options", "POST"): SIGNED_IN,
    ("/preferences/passkeys/{passkey_ref}/remove", "POST"): SIGNED_IN,
    ("/login/passkey/options", "POST"): PUBLIC, ("/login/passkey", "POST"): PUBLIC,
    ("/account/pay", "GET"): SIGNED_IN, ("/account/pay", "POST"): SIGNED_IN,
    ("/account/pay/confirm", "POST"): SIGNED_IN,
    ("/account/pay/{payment_id}", "GET"): OBJECT,
    ("/admin/payments", "GET"): ADMIN,
    ("/admin/payments/{payment_id}", "GET"): ADMIN_OBJECT,
    ("/admin/payments/{payment_id}/void", "POST"): ADMIN_OBJECT,
    ("/admin/payments/{payment_id}/refund", "POST"): ADMIN_OBJECT,
    ("/service-requests", "GET"): SIGNED_IN,
    ("/service-requests/new", "GET"): SIGNED_IN, ("/service-requests/new", "POST"): SIGNED_IN,
    **{(f"/service-requests/{{request_id}}{tail}", method): OBJECT
       for tail, method in (("", "GET"), ("/photo-uploaded", "GET"), ("/photos", "POST"),
                            ("/send", "POST"), ("/photos/{number}", "GET"))},
    ("/admin/service-requests", "GET"): ADMIN,
    ("/admin/service-requests/{request_id}", "GET"): ADMIN_OBJECT,
    ("/admin/service-requests/{request_id}/photos/{number}", "GET"): ADMIN_OBJECT,
    ("/api/v1/companies/{company_id}/service-requests/{request_id}/status", "PUT"): API_COMPANY,
    # Two-factor: the challenge answers only this browser's pending sign-in (410 without one).
    ("/sign-in/two-factor", "GET"): PUBLIC, ("/sign-in/two-factor", "POST"): PUBLIC,
    # A passkey instead of the code: only the browser's own pending sign-in (no cookie: 410).
    ("/sign-in/two-factor/passkey/options", "POST"): PUBLIC, ("/sign-in/two-factor/passkey", "POST"): PUBLIC,
    ("/preferences/two-factor", "GET"): SIGNED_IN,
    **{(f"/preferences/two-factor/{action}", "POST"): SIGNED_IN
       for action in ("setup", "confirm", "disable", "recovery-codes")},
    ("/admin/customers/{customer_no}/logins", "GET"): ADMIN_OBJECT,
    ("/admin/customers/{customer_no}/logins/{user_id}/reset-two-factor", "POST"): ADMIN_OBJECT,
    ("/parts", "GET"): SIGNED_IN,
    ("/parts/{part_no}", "GET"): SIGNED_IN,  # the company's catalogue (test_parts: per company)
    ("/parts/quick-order", "POST"): SIGNED_IN,
    ("/cart", "GET"): SIGNED_IN, ("/cart/add", "POST"): SIGNED_IN,
    ("/cart/update", "POST"): SIGNED_IN,
    ("/checkout", "GET"): SIGNED_IN, ("/checkout", "POST"): SIGNED_IN,
    ("/checkout/confirm", "POST"): OBJECT,  # the order id sent
    ("/parts-orders", "GET"): SIGNED_IN,
    ("/parts-orders/{order_id}", "GET"): OBJECT,
    ("/parts-orders/{order_id}/again", "POST"): OBJECT,
    ("/purchases/again", "POST"): SIGNED_IN,
    ("/admin/parts-orders", "GET"): ADMIN,
    ("/admin/parts-orders/{order_id}", "GET"): ADMIN_OBJECT,
    ("/dev/mailbox", "GET"): DEV, ("/dev/mailbox/{message_id}", "GET"): DEV,
    ("/api/v1/openapi.json", "GET"): PUBLIC,
    ("/api/v1/companies", "POST"): API_PLATFORM,
    ("/api/v1/companies/{company_id}", "GET"): API_COMPANY,
    ("/api/v1/companies/{company_id}", "PATCH"): API_PLATFORM,
    ("/api/v1/companies/{company_id}/domains", "POST"): API_PLATFORM,
    ("/api/v1/companies/{company_id}/domains/{host}", "DELETE"): API_PLATFORM,
    ("/api/v1/admins", "POST"): API_PLATFORM,
    ("/api/v1/tokens", "POST"): API_PLATFORM, ("/api/v1/tokens", "GET"): API_PLATFORM,
    ("/api/v1/tokens/{token_id}", "DELETE"): API_PLATFORM,
    ("/api/v1/companies/{company_id}/gateway/{method}", "PUT"): API_PLATFORM,
    **{(f"/api/v1/companies/{{company_id}}/{kind}{tail}", "POST"): API_COMPANY
       for kind in ("customers", "dealers", "invoices", "ledger", "statements", "parts",
                    "equipment", "{kind}")
       for tail in ("", "/delete")},
    ("/api/v1/companies/{company_id}/ach-settlements", "POST"): API_COMPANY,
    ("/api/v1/companies/{company_id}/parts-order-status", "POST"): API_COMPANY,
    ("/api/v1/companies/{company_id}/invoices/{invoice_no}/pdf", "PUT"): API_COMPANY,
    ("/api/v1/companies/{company_id}/statements/{customer_no}/{statement_date}/pdf", "PUT"):
        API_COMPANY,
    ("/api/v1/companies/{company_id}/feeds/{feed}", "GET"): API_COMPANY,
    ("/api/v1/companies/{company_id}/feeds/{feed}/ack", "POST"): API_COMPANY,
}

ROLES = ["anonymous", "retail_customer", "other_customer", "dealer", "other_company_user",
         "other_company_admin", "other_company_cookie_here"]
OWNER = "retail_customer"  # C1's own login: the positive control of OBJECT routes
ON_PACIFIC = {"other_company_user", "other_company_admin"}  # ask on their own host


def registered(app):
    return {(path, method) for path, method, _ in route_table.routes(app)}


def test_every_registered_route_has_a_declared_rule(app):
    missing = sorted(registered(app) - set(RULES))
    assert not missing, f"routes without an isolation rule in RULES: {missing}"
    stale = sorted(set(RULES) - registered(app))
    assert not stale, f"RULES names routes that no longer exist: {stale}"


@pytest.fixture
def world(app, abc):
    pacific = make_company("pacific", "Pacific Distribution", ["pacific.localhost"])
    set_pages(abc, open_parts=True, search_all=True, payments=True, statements=True,
              parts=True)
    from chalicelib.models import Customer

    for customer_no, name in (("C1", f"{MARKER} Kitchens"), ("C2", "Sue's Laundry"),
                              ("D1", "Prairie Dealers")):
        Customer(account_pk("abc", customer_no), "MAIN", company_id="abc",
                 customer_no=customer_no, name=name,
                 name_key=f"{name.lower()}#{customer_no}#MAIN").save()
    make_user("rita@example.com", accounts=[("abc", "C1")])
    WebAccess(account_pk("abc", "C1"), access_type="Retail", search_all=True).save()
    make_user("sue@example.com", accounts=[("abc", "C2")])
    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    link_dealer("abc", "DLR09", "D1")  # a dealer that never served C1
    make_user("pat@example.com", accounts=[("pacific", "P1")])
    make_user("ada@example.com", admin_of=["pacific"])
    make_invoice("abc", "W1", "C1", "2026-11-01", po=f"PO-{MARKER}", dealer="DLR01")
    make_invoice("abc", "W2", "C2", "2026-11-02", po="PO-SUE")
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key="abc/erp/c1.pdf",
                                Body=b"%PDF-1.4 statement")
    Statement(account_pk("abc", "C1"), "2026-10-01", balance_cents=100,
              pdf_key="abc/erp/c1.pdf", erp_updated_at=NOW).save()
    Payment("abc", PAYMENT_ID, customer_no="C1", customer_pk=account_pk("abc", "C1"),
            user_id="u-rita-example.com", method="card", status="approved", amount_cents=100,
            allocations={"W1": 100}, created_at=NOW, updated_at=NOW).save()
    abc.service_requests, abc.service_email = "builtin", "service@abc.example"
    abc.save()
    ServiceRequest("abc", SERVICE_REQUEST_ID, customer_pk=account_pk("abc", "C1"),
                   customer_no="C1", user_id="u-rita-example.com", status="draft",
                   description=f"{MARKER} washer leaks", photo_keys=["abc/photo.png"],
                   created_at=NOW).save()

    from chalicelib.models import Part

    Part("abc", "W10295370A", description="Water filter", prices={"list": 100},
         number_key="W10295370A#W10295370A", erp_updated_at=NOW).save()
    PartsOrder("abc", ORDER_ID, customer_pk=account_pk("abc", "C1"), customer_no="C1",
               user_id="u-rita-example.com", status="placed", po_number=f"PO-{MARKER}",
               lines=[{"part_no": "W10295370A", "description": f"{MARKER} filter",
                       "quantity": 1, "price_cents": 100, "extension_cents": 100}],
               total_cents=100, payment_method="account", feed_company="abc",
               created_at=NOW, placed_at=NOW).save()
    client = Client(app, stage_name="local")
    browsers = {"anonymous": Browser(client)}
    for role, login, host in (("retail_customer", "rita@example.com", "localhost"),
                              ("other_customer", "sue@example.com", "localhost"),
                              ("dealer", "dan@example.com", "localhost"),
                              ("other_company_user", "pat@example.com", "pacific.localhost"),
                              ("other_company_admin", "ada@example.com", "pacific.localhost")):
        browsers[role] = Browser(client, host=host)
        assert browsers[role].sign_in(login).status_code == 303, role
    # A session of the other company replayed on this host counts for nothing here.
    browsers["other_company_cookie_here"] = Browser(client)
    browsers["other_company_cookie_here"].cookies.update(browsers["other_company_admin"].cookies)
    tokens = {"other_company_token": make_token("company", "pacific", "pacific erp")}
    yield browsers, tokens, pacific
    client.__exit__(None, None, None)


def _url(path):
    return re.sub(r"\{(\w+)\}", lambda m: VALUES[m.group(1)], path)


def _ask(browser, path, method):
    url = _url(path) + ("?" + urlencode({"from": "pacific"}) if path.endswith("/start") else "")
    if method == "GET":
        return browser.get(url)
    data = dict(FORM)
    if browser.signed_in:  # the caller's own CSRF token (a replayed cookie has none here)
        match = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/").body.decode())
        if match:
            data["csrf_token"] = match.group(1)
    return browser.post(url, data, csrf=False)


def _to_login(answer):
    return answer.status_code == 303 and answer.headers["Location"].startswith("/login")


def _expect(rule, role, method, answer) -> bool:
    status = answer.status_code
    anonymous = role in ("anonymous", "other_company_cookie_here")
    if status >= 500:
        return False
    if rule == PUBLIC:
        return True
    if rule == TOKEN:
        return status in (403, 404, 410) if anonymous and method == "POST" else \
            status in (404, 410)
    if anonymous:  # no session here: sign in first (GET) or the CSRF check refuses (POST)
        return _to_login(answer) if method == "GET" else status == 403
    if rule == SIGNED_IN:
        return True
    if rule == OBJECT:
        return status != 404 if role == OWNER else status == 404
    if rule == DEALER_OBJECT:
        return status == 404
    if rule == ADMIN:  # only the other company's administrator, administering its own
        return status == 404 if role != "other_company_admin" else True
    if rule == ADMIN_OBJECT:
        return status == 404
    raise AssertionError(f"no expectation for rule {rule}")


WEB_ROUTES = sorted((key for key, rule in RULES.items()
                     if not key[0].startswith("/api/") and rule != DEV),
                    key=lambda key: key == ("/logout", "POST"))  # signing out last


def test_every_page_route_answers_each_role_as_its_rule_says(world):
    browsers, _, _ = world
    wrong = []
    for path, method in WEB_ROUTES:
        rule = RULES[(path, method)]
        for role in ROLES:
            answer = _ask(browsers[role], path, method)
            body = answer.body.decode(errors="replace") if isinstance(answer.body, bytes) \
                else str(answer.body)
            location = answer.headers.get("Location", "")
            if not _expect(rule, role, method, answer):
                wrong.append(f"{method} {path} as {role} ({rule}): {answer.status_code} "
                             f"{location}")
            if role != OWNER and rule != DEV and (MARKER in body or MARKER in location):
                wrong.append(f"{method} {path} as {role} shows C1's data")
    assert not wrong, "\n".join(wrong)


def test_every_api_route_needs_a_token_of_its_scope(world):
    browsers, tokens, _ = world
    from tests.api_support import Api

    api = Api(browsers["anonymous"].client)
    wrong = []
    for (path, method), rule in sorted(RULES.items()):
        if not path.startswith("/api/"):
            continue
        sub = _url(path)[len("/api/v1"):]
        for who, token in (("no token", None), ("cookie", None),
                           ("other company's token", tokens["other_company_token"])):
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in
                                           browsers[OWNER].cookies.items())} \
                if who == "cookie" else None
            answer = api.request(method, sub, body={"records": []}, token=token,
                                 headers=headers)
            if rule == PUBLIC:
                ok = answer.status == 200
            elif token is None:
                ok = answer.status == 401
            else:
                ok = answer.status in (403, 404)
            if not ok or MARKER in answer.body:
                wrong.append(f"{method} {path} with {who} ({rule}): {answer.status}")
    assert not wrong, "\n".join(wrong)
