"""Parts test helpers: a catalogue pushed through the admin API, a customer who may order."""
import re

import pytest

from tests.api_support import UPDATED, Api, make_token
from tests.support import make_user, set_pages

PARTS = [
    {"part_no": "W10295370A", "description": "Refrigerator water filter", "unit": "EA",
     "prices": {"list": "49.99", "dealer": "39.99"}, "qty_available": 40,
     "alternates": ["EDR1RXD1"], "updated_at": UPDATED},
    {"part_no": "EDR1RXD1", "description": "Refrigerator water filter everydrop",
     "prices": {"list": "54.99"}, "qty_available": 3, "updated_at": UPDATED},
    {"part_no": "WP8544771", "description": "Washer drain pump", "pack_qty": 1,
     "prices": {"list": "89.00", "dealer": "71.20"},
     "branches": [{"branch": "SEA", "qty": 2}, {"branch": "POR", "qty": 0}],
     "updated_at": UPDATED},
    {"part_no": "WP-OLD-1", "description": "Washer drain pump old style",
     "prices": {"list": "80.00"}, "qty_available": 0, "superseded_by": "WP8544771",
     "updated_at": UPDATED},
    {"part_no": "DE-GONE", "description": "Dryer belt discontinued",
     "prices": {"list": "12.00"}, "discontinued": True, "updated_at": UPDATED},
    {"part_no": "SCREW-10", "description": "Cabinet screw", "pack_qty": 10,
     "prices": {"list": "0.25"}, "qty_available": 500, "updated_at": UPDATED},
]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ORDER_ID = re.compile(r'name="order_id" value="([0-9a-f]{24})"')
VERSION = re.compile(r'name="cart_version" value="(\d+)"')


def push_parts(api, company_id="abc", parts=PARTS):
    answer = api.batch(company_id, "parts", parts)
    assert answer.status == 200, answer.body
    assert answer.json["summary"]["rejected"] == 0, answer.json
    return answer


def push_customer(api, customer_no, company_id="abc", **fields):
    record = {"customer_no": customer_no, "name": f"Customer {customer_no}",
              "updated_at": UPDATED, "locations": [
                  {"location_id": "MAIN", "name": "Main shop", "city": "Tacoma"},
                  {"location_id": "WH2", "name": "Warehouse 2", "city": "Kent"}]}
    record.update(fields)
    answer = api.batch(company_id, "customers", [record])
    assert answer.json["summary"]["rejected"] == 0, answer.json
    return answer


@pytest.fixture
def erp(app, abc):
    """The ERP's admin-API client for company abc."""
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        yield Api(client, make_token("company", "abc", "erp"))


@pytest.fixture
def shop(erp, abc):
    """abc with Parts Lookup on, branches, the catalogue; C1 (dealer level) signs in."""
    from chalicelib.services import tenant

    set_pages(abc, parts=True)
    abc.parts_branches = {"SEA": "Seattle", "POR": "Portland"}
    abc.save()
    tenant.forget()
    push_parts(erp)
    push_customer(erp, "C1", price_level="Dealer", charge_to_account=True)
    push_customer(erp, "C2")
    make_user("rita@example.com", accounts=[("abc", "C1")])
    make_user("sue@example.com", accounts=[("abc", "C2")])
    return abc


def checkout_fields(browser, **overrides):
    body = browser.get("/checkout").body.decode()
    fields = {"order_id": ORDER_ID.search(body).group(1),
              "cart_version": VERSION.search(body).group(1), "delivery": "ship:MAIN",
              "po_number": "PO-77", "notes": "", "method": "account",
              "billing_name": "Rita Retail", "billing_zip": "98101",
              "receipt_email": "rita@example.com", "account_type": "Checking"}
    fields.update(overrides)
    return fields
