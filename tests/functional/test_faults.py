"""Infrastructure faults answer a branded 503 "try again", never a 500, and change nothing.

Faults are injected through the clients themselves (a botocore event handler on
the app's S3 client or on PynamoDB's DynamoDB client), not by patching our code.
"""
import html
import json
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.models import Model

from chalicelib import aws, config
from chalicelib.models import Company, Invoice
from tests.support import abc_company, make_invoice, make_user, png, s3, set_pages, text, upload_fields

TRY_AGAIN = "Please try again in a minute"
DYNAMODB = "before-parameter-build.dynamodb."


def s3_error(code, operation):
    return ClientError({"Error": {"Code": code, "Message": "injected"},
                        "ResponseMetadata": {"HTTPStatusCode": 503}}, operation)


def throttled(operation, code="ProvisionedThroughputExceededException"):
    return ClientError({"Error": {"Code": code, "Message": "injected"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


# DynamoDB faults use "before-parameter-build": its `params` are the API's (TableName).
@contextmanager
def failing(clients, event, error, table=None):
    """Every call matching `event` on these boto clients (on `table` only, if given)
    raises `error`."""
    def answer(params=None, **_):
        if table is None or (params or {}).get("TableName") == table:
            raise error
    for client in clients:
        client.meta.events.register(event, answer)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister(event, answer)


def dynamodb_clients():
    """PynamoDB's botocore clients, one per model connection (what every query goes through)."""
    def models(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from models(sub)
    clients = {}
    for model in models(Model):
        if getattr(getattr(model, "Meta", None), "table_name", None):
            client = model._get_connection().connection.client
            clients[id(client)] = client
    return list(clients.values())


def documents_keys():
    listing = aws.client("s3").list_objects_v2(Bucket=config.documents_bucket())
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def rita(browser, abc):
    set_pages(abc)
    make_invoice("abc", "W1", "C1", "2026-11-01", balance=10000)
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    return browser


def assert_try_again_page(answer, message):
    page = html.unescape(text(answer))
    assert answer.status_code == 503, page[:500]
    assert answer.headers["Retry-After"] == "30"
    assert TRY_AGAIN in page and message in page
    assert "ABC Appliance Service" in page  # the company's page, not a bare error
    assert 'href="/orders"' in page  # the signed-in customer's menu is kept


# --- S3 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("event,error", [
    ("before-call.s3.PutObject", s3_error("SlowDown", "PutObject")),
    ("before-call.s3.HeadObject",
     EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")),
])
def test_an_invoice_pdf_while_s3_fails_is_a_try_again_page(rita, event, error):
    with failing([aws.client("s3", "s3v4")], event, error):
        answer = rita.get("/orders/W1/pdf")
    assert_try_again_page(answer, "This document can't be made right now.")
    assert documents_keys() == []  # nothing half-stored
    assert rita.get("/orders/W1/pdf").status_code == 303  # S3 back: the PDF is made
    assert len(documents_keys()) == 1


def test_a_statement_pdf_while_s3_fails_is_a_try_again_page(rita):
    with failing([aws.client("s3", "s3v4")], "before-call.s3.PutObject",
                 s3_error("InternalError", "PutObject")):
        answer = rita.get("/statements/current/pdf")
    assert_try_again_page(answer, "This document can't be made right now.")
    assert documents_keys() == []


@pytest.fixture
def admin(browser):
    make_user("boss@example.com", admin_of=["abc"], name="Ada Admin")
    browser.sign_in("boss@example.com")
    return browser


@pytest.mark.parametrize("event,error", [
    ("before-call.s3.HeadObject", s3_error("ServiceUnavailable", "HeadObject")),
    ("before-call.s3.PutObject",
     EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")),
])
def test_a_theme_image_while_s3_fails_leaves_the_theme_unchanged(admin, event, error):
    before = abc_company()
    _url, fields = upload_fields(text(admin.get("/admin/theme")), "logo")
    s3().put_object(Bucket=config.theme_bucket(), Key=fields["key"], Body=png())
    with failing([aws.client("s3")], event, error):
        answer = admin.post("/admin/theme/image", {"kind": "logo", "key": fields["key"]})
    page = html.unescape(text(answer))
    assert answer.status_code == 503, page[:500]
    assert "The image store is not answering right now" in page
    assert "your theme is unchanged" in page
    assert abc_company().serialize() == before.serialize()  # theme, draft and version unchanged
    # the upload is kept: the same image is accepted once S3 answers again
    assert admin.post("/admin/theme/image",
                      {"kind": "logo", "key": fields["key"]}).status_code == 303
    assert abc_company().theme_draft.logo_key.startswith("assets/abc/logo/")


# --- DynamoDB throttling ----------------------------------------------------------------------

@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException",
                                  "ThrottlingException", "RequestLimitExceeded"])
def test_a_throttled_page_query_is_a_try_again_page(rita, log_output, code):
    # the invoices table only: the session and account were read, the page's query fails
    with failing(dynamodb_clients(), DYNAMODB + "Query", throttled("Query", code),
                 table=Invoice.Meta.table_name):
        answer = rita.get("/orders")
    assert_try_again_page(answer, "We are very busy right now.")
    lines = [json.loads(line) for line in log_output.getvalue().splitlines() if line.strip()]
    fault = [line for line in lines if line.get("message") == "dependency unavailable"]
    assert fault and fault[0].get("correlation_id"), lines[-3:]
    request = [line for line in lines if line.get("message") == "request"][-1]
    assert request["status"] == 503 and request["correlation_id"] == fault[0]["correlation_id"]


def test_throttling_while_the_session_is_read_is_a_try_again_page(rita):
    with failing(dynamodb_clients(), DYNAMODB + "GetItem", throttled("GetItem")):
        answer = rita.get("/orders")
    page = text(answer)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert TRY_AGAIN in page and "ABC Appliance Service" in page


def test_a_throttled_write_in_the_admin_api_is_a_json_503_and_nothing_changes(api):
    before = Company.get("abc", consistent_read=True)
    with failing(dynamodb_clients(), DYNAMODB + "PutItem", throttled("PutItem")), \
            failing(dynamodb_clients(), DYNAMODB + "UpdateItem", throttled("UpdateItem")):
        answer = api.patch("/companies/abc", {"support_phone": "555-0199"})
    assert answer.status == 503, answer.json
    assert answer.json["error"] == "unavailable"
    assert TRY_AGAIN.lower() in answer.json["message"].lower()
    assert answer.response.headers["Retry-After"] == "30"
    assert Company.get("abc", consistent_read=True).serialize() == before.serialize()
