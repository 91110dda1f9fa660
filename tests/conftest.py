"""Test set-up: moto-backed AWS per test, a small browser-like client, factories."""
import os

# The app reads settings when first used; these must exist before it is imported.
os.environ.setdefault("PORTAL_STAGE", "local")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_ENDPOINT_URL", None)  # in-process moto, never a server

import pytest  # noqa: E402
from pynamodb.signals import pre_dynamodb_send  # noqa: E402

from tests.support import Browser, make_company  # noqa: E402

# Fixtures shared by several test modules live beside their helpers.
pytest_plugins = ["tests.payment_support", "tests.parts_support", "tests.cli_support"]

OPERATIONS = []


def _record(_sender, operation_name=None, table_name=None, **_):
    OPERATIONS.append((operation_name, table_name))


pre_dynamodb_send.connect(_record, weak=False)


@pytest.fixture(autouse=True)
def no_scan():
    """docs/data-model.md "Rules": no request path may Scan a table."""
    OPERATIONS.clear()
    yield
    scans = [op for op in OPERATIONS if op[0] == "Scan"]
    assert not scans, f"a DynamoDB Scan was issued: {scans}"


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    from chalicelib import aws as aws_clients
    from chalicelib.services import tenant
    from infra.resources import create_all

    monkeypatch.setenv("PORTAL_STAGE", "local")
    with mock_aws():
        aws_clients.reset_clients()
        tenant.forget()
        create_all(domains=["localhost", "abc.localhost", "pacific.localhost"])
        yield
    aws_clients.reset_clients()
    tenant.forget()


@pytest.fixture
def app(aws):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def abc(aws):
    return make_company("abc", "ABC Appliance Service", ["localhost", "abc.localhost"],
                        primary_color="#1f4e79")


@pytest.fixture
def pacific(aws):
    return make_company("pacific", "Pacific Distribution", ["pacific.localhost"],
                        primary_color="#0b6e4f")


@pytest.fixture
def browser(app, abc):
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        yield Browser(client, host="localhost")


@pytest.fixture
def api(app, abc):
    """Admin-API client with a platform token (company abc exists)."""
    from chalice.test import Client

    from tests.api_support import Api, make_token

    with Client(app, stage_name="local") as client:
        yield Api(client, make_token("platform", label="tests"))


@pytest.fixture
def log_output():
    """What the app's log handler writes, captured (its stream, not the formatting)."""
    import io

    from chalicelib.logs import logger

    out = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(out)
    yield out
    handler.setStream(previous)
