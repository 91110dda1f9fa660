"""Helpers for the admin-API tests: a JSON client with a bearer token, token factories."""
import json

from tests.support import NOW  # noqa: F401  (re-exported for the tests)

UPDATED = "2026-11-20T10:00:00Z"
LATER = "2026-11-21T10:00:00Z"
EARLIER = "2026-11-19T10:00:00Z"


def make_token(scope="platform", company_id=None, label=None):
    """A live token's secret (made by the same service the API uses)."""
    from chalicelib.services import api_tokens

    _, secret = api_tokens.create(scope, company_id, label)
    return secret


class Api:
    """`chalice.test.Client` speaking JSON with `Authorization: Bearer <token>`."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def request(self, method, path, body=None, token=..., headers=None, raw=None):
        token = self.token if token is ... else token
        sent = {"Content-Type": "application/json"}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else b"")
        return Answer(self.client.http.request(method, "/api/v1" + path, headers=sent,
                                               body=data))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def batch(self, company_id, kind, records, **kw):
        return self.post(f"/companies/{company_id}/{kind}", {"records": records}, **kw)


class Answer:
    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.headers = response.headers
        body = response.body
        self.body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def outcomes(self):
        return [r["outcome"] for r in self.json["results"]]

    def __repr__(self):
        return f"<Answer {self.status} {self.body[:300]!r}>"


def invoice(invoice_no="W500", customer_no="C1", **over):
    record = {"invoice_no": invoice_no, "customer_no": customer_no, "invoice_date": "2026-11-02",
              "due_date": "2026-12-02", "state": "open", "status": "Scheduled",
              "dealer_code": None, "lines": [
                  {"line_no": 1, "part_no": "WP1", "description": "Door gasket",
                   "qty_ordered": 2, "qty_shipped": 1, "qty_backordered": 1, "price": "12.50"}],
              "subtotal": "25.00", "tax": "1.81", "total": "26.81", "balance": "26.81",
              "applied_payment_ids": [], "updated_at": UPDATED}
    record.update(over)
    return {k: v for k, v in record.items() if v is not None}


def customer(customer_no="C1", **over):
    record = {"customer_no": customer_no, "name": "Rita's Kitchen", "updated_at": UPDATED,
              "address": "1 Oak St", "city": "Springfield", "state": "IL",
              "locations": [{"location_id": "LAKE", "name": "Lake house", "city": "Lakeview"}],
              "contacts": [{"contact_id": "1", "name": "Rita", "email": "rita@example.com",
                            "primary": True}]}
    record.update(over)
    return record


PDF = b"%PDF-1.4\n% test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
