"""Least privilege (docs/deployment.md): each function's IAM policy grants exactly what its handler uses.

A botocore hook ("before-parameter-build", which API calls and presigned URLs and
posts all emit) records every AWS operation made while a handler of a function
runs, as (IAM action, kind of resource).  The test exercises every handler through
chalice.test.Client against moto: pages (sign-in, account, invoice PDF twice,
forgotten password e-mail, theme image upload and check, sign-out), the admin API
(ERP batch, PDF upload, gateway credentials set twice and read), the payment
reconciler (a pending payment, a receipt due), the AR totals repair (a batch cut
off), SES notifications (a bounce).  Then, per function, the actions recorded must
equal those infra/policies.py grants: a missing one would fail in AWS, an extra
one is a privilege nothing uses.
"""
import contextlib
import contextvars
import json
from collections import defaultdict
from datetime import timedelta

import botocore.handlers
import pytest

from chalicelib import config
from infra import policies
from tests.api_support import PDF, invoice
from tests.ar_support import DAYS, age_journals, pushed
from tests.payment_support import DEMO_CREDS
from tests.support import NOW, PASSWORD, PNG, make_company, make_invoice, make_user, png, text, upload_fields

_function = contextvars.ContextVar("function", default=None)
RECORDED = defaultdict(set)  # function -> {(action, kind)}

# IAM's prefix where it differs from botocore's signing name.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
# API Gateway's management actions are its HTTP verbs (Service Authorization Reference).
APIGATEWAY_ACTION = {"GetDomainName": "GET", "CreateDomainName": "POST",
                     "GetBasePathMappings": "GET", "CreateBasePathMapping": "POST"}
SES_KIND = {"GetIdentityVerificationAttributes": "sender-status"}
ACM_KIND = {"ListCertificates": "certificate-requests", "RequestCertificate": "certificate-requests"}
# Operations authorised by another action (AWS Service Authorization Reference, S3).
S3_ACTION = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket"}


def _kind(prefix: str, operation: str, params: dict) -> str:
    if prefix == "dynamodb":
        return "tables"
    if prefix == "s3":
        bucket = params.get("Bucket")
        owner = {config.theme_bucket(): "theme", config.documents_bucket(): "documents"}[bucket]
        return f"{owner}-bucket" if operation == "ListBucket" else f"{owner}-objects"
    if prefix == "secretsmanager":
        return "secret-names" if operation == "ListSecrets" else "secrets"
    if prefix == "ses":
        return SES_KIND.get(operation, "mail")
    if prefix == "sqs":
        return "mail-queue"
    if prefix == "acm":
        return ACM_KIND.get(operation, "certificates")
    if prefix == "apigateway":
        return "api-domains"
    return prefix


def _record(params=None, model=None, context=None, **_):
    function = _function.get()
    if function is None:
        return
    metadata = model.service_model.metadata
    prefix = metadata.get("signingName") or metadata["endpointPrefix"]
    prefix = IAM_PREFIX.get(prefix, prefix)
    operation = model.name
    if prefix == "s3":
        if operation == "CreateBucket" and (context or {}).get("is_presign_request"):
            operation = "PutObject"  # generate_presigned_post signs with CreateBucket's model
        operation = S3_ACTION.get(operation, operation)
    if prefix == "apigateway":
        operation = APIGATEWAY_ACTION[operation]
    RECORDED[function].add((f"{prefix}:{operation}", _kind(prefix, operation, params or {})))
    if prefix == "s3" and operation == "GetObject" and not (context or {}).get("is_presign_request") \
            and params.get("Bucket") == config.documents_bucket():
        # A HEAD (or GET) of a missing key answers 404 only with ListBucket, else 403:
        # chalicelib/repositories/documents.py relies on the 404.
        RECORDED[function].add(("s3:ListBucket", "documents-bucket"))


# Every botocore session created from now on (boto3 clients, PynamoDB connections) calls it.
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _record))


@contextlib.contextmanager
def running(function: str):
    from chalicelib import aws

    aws.queue_url.cache_clear()  # each function is its own process in Lambda: it looks it up
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


@pytest.fixture
def fresh_connections(aws):
    """PynamoDB keeps a connection (and its botocore session) per model class: make
    new ones, so that they carry the hook even if made before this module was imported."""
    from chalicelib.models import ALL_MODELS

    for model in ALL_MODELS:
        model._connection = None
    yield


# Granted, and needed on a path the handler reaches only after a long run: each with
# where that path is tested directly.
NEEDED_UNEXERCISED = {
    ("RepairArTotals", "dynamodb:UpdateItem", "tables"):
        "the journal keeps the accounts left when the 20 s budget runs out "
        "(tests/functional/test_ar_totals.py runs repair(budget_seconds=0))",
}


def granted() -> dict:
    return {function: {(action, kind) for kind, actions in grants.items() for action in actions}
            for function, grants in policies.POLICIES.items()}


def _pages(app):
    from chalice.test import Client

    from chalicelib import aws
    from chalicelib.services import theme
    from tests.support import Browser


    make_user("rita@example.com", accounts=[("abc", "C1")])
    make_user("boss@example.com", admin_of=["abc"], name="Ada Admin")
    make_invoice("abc", "W1", "C1", "2026-11-01", balance=5000,
                 lines=[("WP100", "Door gasket for washer", 2, 2, 2500)])
    logo = theme.store_asset("abc", "logo", png())
    from chalicelib.models import Company
    company = Company.get("abc")
    company.theme.logo_key = logo  # the PDF draws the published logo
    company.save()
    with Client(app, stage_name="local") as client:
        customer, other_device, admin, stranger = (Browser(client) for _ in range(4))
        with running("APIHandler"):
            customer.sign_in("rita@example.com")
            assert customer.get("/account").status_code == 200
            assert customer.get("/orders/W1/pdf").status_code in (302, 303)  # rendered, stored
            assert customer.get("/orders/W1/pdf").status_code in (302, 303)  # found
            other_device.sign_in("rita@example.com")
            customer.get("/change-password")  # the other device's session ends
            changed = customer.post("/change-password", {
                "current": PASSWORD, "password": "a new and long passphrase",
                "confirm": "a new and long passphrase"})
            assert changed.status_code in (302, 303), text(changed)
            assert customer.post("/logout", {}).status_code in (302, 303)
            stranger.get("/forgot-password")
            assert stranger.post("/forgot-password", {"email": "rita@example.com"}).status_code < 400
            admin.sign_in("boss@example.com")
            _url, fields = upload_fields(text(admin.get("/admin/theme")), "logo")
        aws.client("s3").put_object(Bucket=config.theme_bucket(), Key=fields["key"], Body=png())
        with running("APIHandler"):
            answer = admin.post("/admin/theme/image", {"kind": "logo", "key": fields["key"]})
            assert answer.status_code == 303, text(answer)
        _service_request_photo(client, company)


def _service_request_photo(client, company):
    """A service request's photo: presigned POST, the check (head, read, store) after the
    browser's upload, sending (the mail queue) and viewing (presigned GET)."""
    import re
    from datetime import date, timedelta

    from chalicelib import aws
    from chalicelib.services import tenant
    from tests.support import Browser


    company.service_requests, company.service_email = "builtin", "service@abc.example"
    company.save()
    tenant.forget()
    customer = Browser(client)
    with running("APIHandler"):
        customer.sign_in("rita@example.com", "a new and long passphrase")
        customer.get("/service-requests/new")
        created = customer.post("/service-requests/new", {
            "equipment": "other", "brand": "Bosch", "description": "The dryer does not heat.",
            "date_from": (date.today() + timedelta(days=2)).isoformat(),
            "time_window": "any", "phone": "555-123-4567"})
        path = created.headers["Location"]
        key = re.search(r'name="key" value="([^"]+)"', text(customer.get(path))).group(1)
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key=key, Body=PNG)
    with running("APIHandler"):
        assert customer.post(f"{path}/photos", {"key": key}).status_code == 303
        assert customer.post(f"{path}/send", {}).status_code == 303
        assert customer.get(f"{path}/photos/1").status_code == 302


def _admin_api(app):
    from chalice.test import Client

    from tests.api_support import Api, make_token


    make_company("pacific", "Pacific Distribution", ["pacific.localhost"])  # no credentials yet
    with Client(app, stage_name="local") as client:
        api = Api(client, make_token("platform", label="tests"))
        with running("APIHandler"):
            assert api.batch("abc", "invoices", [invoice()]).status == 200
            assert api.put("/companies/abc/invoices/W500/pdf", raw=PDF,
                           headers={"Content-Type": "application/pdf"}).status == 204
            for _ in range(2):  # created, then replaced
                assert api.put("/companies/pacific/gateway/card", {
                    "oid": "1", "auth_token": "t", "environment": "sandbox"}).status == 204
            assert api.get("/companies/pacific").json["payment_methods"]["card"]["configured"]
            assert api.post("/companies/abc/domains", {"host": "portal.abc-example.com"}).status \
                in (200, 201)


def _reconciler(app):
    from chalice.test import Client

    from chalicelib import clock
    from chalicelib.models import Payment
    from chalicelib.payments import credentials
    from chalicelib.repositories import payments as payments_repo
    from chalicelib.repositories.keys import account_pk

    credentials.store("abc", "card", DEMO_CREDS)
    old = clock.utcnow() - timedelta(hours=1)
    for n, receipt in enumerate((None, "rita@example.com")):
        # One payment the gateway never heard of (resolved or marked), one with a receipt due.
        payment = Payment("abc", payments_repo.id_bound(old) + f"{n:012x}", customer_no="C1",
                          customer_pk=account_pk("abc", "C1"), user_id="u-rita-example.com",
                          method="card", amount_cents=5000, allocations={"W1": 5000},
                          receipt_email=receipt, created_at=old, updated_at=old)
        assert payments_repo.create_pending(payment)
        if receipt:
            payments_repo.resolve(payment, "approved", gateway_id="g-1", masked_account="************1111")
    with Client(app, stage_name="local") as client:
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[])
        with running("ReconcilePayments"):
            summary = client.lambda_.invoke("reconcile_payments", event).payload
    assert summary["resolved"] + summary["unresolved"] >= 1 and summary["receipts"] == 1, summary


def _ar_repair(app):
    from chalice.test import Client

    from chalicelib.contract.schemas import KINDS
    from chalicelib.models import Company, Invoice
    from chalicelib.repositories import ar_totals
    from chalicelib.services import erp_import
    from tests.api_support import Api, make_token

    with Client(app, stage_name="local") as client:
        api = Api(client, make_token("platform", label="tests"))
        api.batch("abc", "invoices", [pushed("R1", "C7", 1, 10000, DAYS[-1], "open")])
        age_journals()
        record = KINDS["invoices"].record.model_validate(pushed("R1", "C7", 5, 2500, DAYS[-1], "open"))
        cut_off = erp_import._invoice(record, erp_import.Context(company=Company.get("abc"), now=NOW))
        assert ar_totals.Moves(["abc#C7"]).save(cut_off, Invoice.get("abc#R1"))
        age_journals()
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[])
        with running("RepairArTotals"):
            assert client.lambda_.invoke("repair_ar_totals", event).payload["accounts"] >= 1


def _ses_notifications(app):
    from chalice.test import Client

    from chalicelib.models import Contact
    from chalicelib.repositories.keys import account_pk

    Contact(account_pk("abc", "C1"), "c1", name="Rita Retail", email="rita@example.com",
            email_key="rita@example.com").save()
    bounce = {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "rita@example.com"}]},
        "mail": {"destination": ["rita@example.com"]}}
    with Client(app, stage_name="local") as client:
        event = client.events.generate_sns_event(message=json.dumps(bounce))
        with running("SesNotifications"):
            client.lambda_.invoke("ses_notifications", event)
    assert Contact.get(account_pk("abc", "C1"), "c1").email_bounced


def _mail_consumer():
    """What the pages, the API and the reconciler queued, sent as Lambda's SQS event source
    would hand it to the consumer (infra/local/mail_queue.py does the polling)."""
    from app import send_queued_mail
    from infra.local import mail_queue

    def consumer(event, context=None):
        with running("SendQueuedMail"):
            return send_queued_mail(event, context)

    done = mail_queue.drain(consumer)
    assert done.sent >= 3 and not done.failed, done  # reset link, password changed, receipt


def test_each_function_is_granted_exactly_the_actions_its_handler_makes(
        fresh_connections, app, abc, emergepay):  # noqa: F811
    RECORDED.clear()
    _pages(app)
    _admin_api(app)
    _reconciler(app)
    _ar_repair(app)
    _ses_notifications(app)
    _mail_consumer()
    recorded = {function: set(actions) for function, actions in RECORDED.items()}
    expected = granted()
    assert set(recorded) == set(expected), "a function ran that has no policy, or one never ran"
    problems = []
    for function in sorted(expected):
        for action, kind in sorted(recorded[function] - expected[function]):
            problems.append(f"{function} uses {action} on {kind} but infra/policies.py does not grant it")
        for action, kind in sorted(expected[function] - recorded[function]):
            if (function, action, kind) in NEEDED_UNEXERCISED:
                continue
            problems.append(f"{function} is granted {action} on {kind} but never uses it")
    assert not problems, "\n".join(problems)


# Actions the Service Authorization Reference lists with no resource type ("*" only).
ANY_RESOURCE_ONLY = {"ses:GetIdentityVerificationAttributes", "acm:ListCertificates",
                     "acm:RequestCertificate"}


def test_the_packaged_roles_are_the_policies(tmp_path):
    """infra/functions.py writes each function's role from infra/policies.py, nothing else."""
    from infra.functions import complete
    from infra.package import stage_environment
    from infra.resources import cloudformation

    template = cloudformation("portal-prod-", "prod")
    for function in policies.POLICIES:  # the functions Chalice writes, reduced to what matters
        template["Resources"][function] = {"Type": "AWS::Serverless::Function",
                                           "Properties": {"Handler": "app.x"}}
    complete(template, "prod", stage_environment("prod"))
    for function, grants in granted().items():
        statements = template["Resources"][f"{function}Role"]["Properties"]["Policies"][0][
            "PolicyDocument"]["Statement"]
        in_role = {(action, policies.kind_of_statement(s["Sid"])) for s in statements
                   for action in s["Action"]}
        consumer = {(a, "mail-queue") for a in policies.QUEUE_CONSUMER_ACTIONS} \
            if function in policies.QUEUE_CONSUMERS else set()
        assert in_role == grants | {(a, "logs") for a in policies.LOG_ACTIONS} | consumer, function
        for statement in statements:
            if "*" in statement["Resource"]:  # only actions IAM offers no resource type for
                assert set(statement["Action"]) <= ANY_RESOURCE_ONLY, statement
