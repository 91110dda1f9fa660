"""What the bench scripts share: a moto-only environment, items-read counting,
and requests through `chalice.test.Client` with hand-kept cookies.

Import this before anything from chalicelib: PynamoDB reads table names and
the region when the model classes are defined.
"""
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE",
              "AWS_SESSION_TOKEN", "PORTAL_TABLE_PREFIX"):
    os.environ.pop(_name, None)
os.environ.update({
    "PORTAL_STAGE": "local",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
})
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # no JSON line per request

from pynamodb.connection.base import Connection  # noqa: E402

HOST = "localhost"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

# ---------------------------------------------------------------- items read
# dynamo_metrics counts calls; docs/data-model.md "Rules" also gates on items read, which the
# PynamoDB signals do not carry.  Count them from each call's answer: the Item
# of a GetItem, ScannedCount of a Query (what DynamoDB read, before any
# filter), the Responses of a BatchGetItem.
_items = {"read": 0, "tables": []}
_original_call = Connection._make_api_call


def _tables_of(kwargs) -> str:
    """Table name(s) of one call; batch and transaction calls carry no TableName."""
    if kwargs.get("TableName"):
        return kwargs["TableName"]
    names = list(kwargs.get("RequestItems", {}))
    for item in kwargs.get("TransactItems", []):
        for spec in item.values():
            names.append(spec.get("TableName"))
    return "+".join(sorted(set(filter(None, names)))) or "?"


def _counting_call(self, operation_name, operation_kwargs, *args, **kwargs):
    _items["tables"].append(_tables_of(operation_kwargs))
    data = _original_call(self, operation_name, operation_kwargs, *args, **kwargs)
    if isinstance(data, dict):
        if operation_name == "GetItem":
            _items["read"] += 1 if data.get("Item") else 0
        elif operation_name in ("Query", "Scan"):
            _items["read"] += int(data.get("ScannedCount", data.get("Count", 0)))
        elif operation_name == "BatchGetItem":
            _items["read"] += sum(len(v) for v in data.get("Responses", {}).values())
    return data


Connection._make_api_call = _counting_call


# ------------------------------------------------------------------- requests
def set_cookie_values(response) -> dict:
    """name -> value from the Set-Cookie header(s) (no cookie jar in chalice.test)."""
    raw = response.headers.get("set-cookie") or response.headers.get("Set-Cookie") or []
    if isinstance(raw, str):
        raw = [raw]
    values = {}
    for header in raw:
        name, _, rest = header.partition("=")
        values[name.strip()] = rest.split(";", 1)[0]
    return values


def cookie_header(values: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in values.items() if v)


class Measured:
    """One request: status, wall time, DynamoDB calls/time/items, (operation, table) pairs."""

    def __init__(self, response, total, log, items, tables):
        self.response = response
        self.status = response.status_code
        self.total = total
        self.calls = log.count
        self.operations = [(op, table or (tables[i] if i < len(tables) else "?"))
                           for i, (op, table) in enumerate(log.operations)]
        self.dynamo = log.seconds
        self.own = total - log.seconds
        self.items = items

    def op_summary(self) -> str:
        return ", ".join(f"{op} {table.replace('portal-', '')}" for op, table in self.operations)


def request(client, dynamo_metrics, method, path, headers, body=b"", measured=Measured):
    dynamo_metrics.start()
    _items["read"], _items["tables"] = 0, []
    started = time.perf_counter()
    response = client.http.request(method, path, headers=headers, body=body)
    total = time.perf_counter() - started
    # The middleware called start() itself: current() is this request's log.
    return measured(response, total, dynamo_metrics.current(), _items["read"],
                    _items["tables"])


def sign_in(client, dynamo_metrics, login, password):
    """(the /login page, the sign-in POST, headers carrying the session cookie)."""
    form_page = request(client, dynamo_metrics, "GET", "/login", {"Host": HOST})
    assert form_page.status == 200, form_page.status
    csrf_cookie = set_cookie_values(form_page.response)
    match = CSRF_FIELD.search(form_page.response.body.decode())
    assert match and csrf_cookie.get("portal_csrf"), "no CSRF token on /login"
    body = urlencode({"csrf_token": match.group(1), "login": login,
                      "password": password, "next": "/"}).encode()
    posted = request(client, dynamo_metrics, "POST", "/login", {
        "Host": HOST, "Origin": f"http://{HOST}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie_header(csrf_cookie)}, body)
    assert posted.status == 303, f"sign-in of {login} failed: {posted.status}"
    session = set_cookie_values(posted.response).get("portal_session")
    assert session, "no session cookie after sign-in"
    return form_page, posted, {"Host": HOST, "Cookie": cookie_header({"portal_session": session})}
