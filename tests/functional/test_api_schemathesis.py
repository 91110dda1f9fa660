"""Schemathesis against /api/v1/openapi.json, in-process (no server): generated requests
for every operation, with a valid platform token, must never get a 5xx and every answer
must conform to the document (status code, content type, body schema).

The app is reached through a tiny WSGI adapter over `chalice.test.Client` (schemathesis'
`from_wsgi` loader).  Not run: `negative_data_rejection` — batches answer 200 with
per-record "rejected" outcomes by design (good records are still written) — and
`positive_data_acceptance` (random company ids are 404 by design).
"""
from http import HTTPStatus
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 8  # per operation (29 operations): about a minute in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class ChaliceWSGI:
    """WSGI → `chalice.test.Client` (Chalice's local API Gateway)."""

    def __init__(self, client):
        self.client = client

    def __call__(self, environ, start_response):
        path = quote(environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").lower(): value
                   for key, value in environ.items() if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = self.client.http.request(environ["REQUEST_METHOD"], path, headers=headers,
                                            body=body)
        reason = HTTPStatus(response.status_code).phrase
        out = []
        for name, value in response.headers.items():
            for one in value if isinstance(value, list) else [value]:
                out.append((name, str(one)))
        start_response(f"{response.status_code} {reason}", out)
        return [response.body or b""]


def _operations():
    """(method, path) of every documented operation: one test each."""
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.routing import openapi

    return [(method.upper(), path) for path, methods in openapi()["paths"].items()
            for method in methods]


@pytest.mark.parametrize("method,path", _operations())
def test_api_conforms_to_its_openapi_document(app, abc, method, path):
    from chalice.test import Client
    from hypothesis import given
    from schemathesis import GenerationMode

    from tests.api_support import make_token

    token = make_token("platform", label="schemathesis")
    with Client(app, stage_name="local") as client:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", ChaliceWSGI(client))
        operation = schema[path][method]
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | \
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

        # schemathesis' pytest plugin does not run on this pytest; hypothesis drives it here.
        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # call_and_validate raises when a check fails (5xx, answer not in the document).
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                              checks=CHECKS)
            assert response.status_code < 500, response.text[:500]

        check()
