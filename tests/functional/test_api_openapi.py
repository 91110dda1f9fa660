"""The OpenAPI document and the Chalice routes come from one table: prove they agree."""
import json

from chalice.test import Client

from chalicelib.contract import schemas
from tests.api_support import Api


def _chalice_operations(app):
    return {(method, path) for path, methods in app.routes.items() if path.startswith("/api/v1")
            for method in methods}


def _document_operations(document):
    return {(method.upper(), path) for path, methods in document["paths"].items()
            for method in methods}


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, aws):
    with Client(app, stage_name="local") as client:
        answer = Api(client, token=None).get("/openapi.json")
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    document = answer.json
    assert document["openapi"].startswith("3.")
    assert _chalice_operations(app) == _document_operations(document)
    assert len(_chalice_operations(app)) >= 29


def test_request_bodies_are_the_validating_models(app, aws):
    from chalicelib.api.routing import openapi

    document = json.loads(json.dumps(openapi()))
    components = document["components"]["schemas"]
    post_invoices = document["paths"]["/api/v1/companies/{company_id}/invoices"]["post"]
    ref = post_invoices["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    batch = components[ref.rsplit("/", 1)[1]]
    assert batch["properties"]["records"]["maxItems"] == schemas.MAX_RECORDS
    invoice = components["InvoiceRecord"]
    assert set(invoice["required"]) >= {"invoice_no", "customer_no", "invoice_date", "state",
                                        "subtotal", "tax", "total", "balance", "updated_at"}
    assert invoice["additionalProperties"] is False
    assert components["GatewayCredentialsIn"]["properties"]["auth_token"]["description"]
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    for kind in schemas.KINDS:
        assert f"/api/v1/companies/{{company_id}}/{kind}" in document["paths"]


def test_the_light_kinds_table_matches_the_models():
    from chalicelib.contract import kinds

    assert {k: (s.record.__name__, s.delete.__name__ if s.delete else None)
            for k, s in schemas.KINDS.items()} == {k: (s.record, s.delete)
                                                   for k, s in kinds.KINDS.items()}
    from chalicelib.services import erp_import

    assert set(erp_import.UPSERTS) == set(kinds.KINDS)
    assert set(erp_import.DELETES) == {k for k, s in kinds.KINDS.items() if s.delete}


def test_import_app_does_not_import_pydantic():
    import subprocess
    import sys

    code = "import sys, app; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
