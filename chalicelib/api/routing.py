"""One route table for the admin API: it registers the Chalice routes and produces the
OpenAPI document, so the two cannot drift (tests/functional/test_api_openapi.py checks both ways).

Every route answers JSON, errors included: `{"error": code, "message": text}` (plus
`errors: [{field, reason}]` for validation).  Auth is a bearer token (services.api_tokens).
"""

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalice import Response

from ..contract.errors import ApiError

PREFIX = "/api/v1"
JSON = "application/json"

PLATFORM = "platform"  # platform tokens only
COMPANY = "company"  # a token of the path's company, or a platform token
PUBLIC = "public"  # no token (the OpenAPI document)


def error_body(status: int, error: str, message: str, errors=()) -> dict:
    body: dict[str, Any] = {"error": error, "message": message}
    if errors:
        body["errors"] = [e.model_dump() if hasattr(e, "model_dump") else e for e in errors]
    return body


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    return Response(
        body=json.dumps(body) if body is not None else "",
        status_code=status,
        headers=dict({"Content-Type": JSON}, **(headers or {})),
    )


@dataclass
class Param:
    name: str
    schema: dict
    where: str = "path"  # path | query
    description: str = ""
    required: bool = True


@dataclass
class ApiRoute:
    method: str
    path: str  # without PREFIX
    name: str
    scope: str
    summary: str
    # Models are named (classes in chalicelib.contract.schemas, "<Record>Batch" for a batch body)
    # so that `import app` does not import pydantic.
    body: str | None = None  # the documented request body
    validate_body: bool = True  # False: the handler validates (batches: record by record)
    response: str | None = None  # None: empty body
    status: int = 200
    content_types: Sequence[str] = (JSON,)
    params: list[Param] = field(default_factory=list)
    extra_request_content: dict[str, dict] = field(default_factory=dict)
    tag: str = "platform"
    catch_all: bool = False  # documented as answering only errors (unknown kinds)

    @property
    def full_path(self) -> str:
        return PREFIX + self.path


ROUTES: list[ApiRoute] = []


@dataclass
class Call:
    """What a handler gets: the authenticated token, the request, the validated body."""

    token: Any  # models.ApiToken
    request: Any
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return f"api-token:{self.token.token_id}" if self.token else "anonymous"

    @property
    def source_ip(self) -> str:
        return ((self.request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"

    def query(self, name: str) -> str | None:
        return (self.request.query_params or {}).get(name)


def register(bp, route: ApiRoute, handler: Callable[..., Any]) -> None:
    """Add `route` to the table and to the blueprint; `handler(call, **path_params)`."""
    ROUTES.append(route)

    @functools.wraps(handler)
    def view(**params):
        return dispatch(route, handler, bp.current_request, params)

    bp.route(route.full_path, methods=[route.method], name=route.name, content_types=list(route.content_types))(view)


def api_route(bp, method: str, path: str, **options) -> Callable:
    def decorator(handler):
        register(bp, ApiRoute(method=method, path=path, name=handler.__name__, **options), handler)
        return handler

    return decorator


def dispatch(route: ApiRoute, handler, request, params) -> Response:
    from .. import faults
    from ..logs import logger
    from ..services import api_tokens

    try:
        token = None
        if route.scope != PUBLIC:
            token = api_tokens.authenticate(request.headers.get("authorization"))
            api_tokens.check_scope(token, route.scope, params.get("company_id"))
        call = Call(token=token, request=request, params=params)
        if route.body is not None and route.validate_body:
            call.body = parse_body(request, model(route.body))
        result = handler(call, **params)
    except ApiError as error:
        return json_response(error_body(error.status, error.error, error.message, error.errors), error.status)
    except Exception as error:  # never a stack trace, never HTML
        unavailable = faults.unavailable_message(error)
        if unavailable is not None:  # throttled: the caller retries (chalicelib/faults.py)
            logger.warning("admin API: dependency unavailable", exc_info=True, extra={"route": route.name})
            answer = json_response(error_body(503, "unavailable", unavailable), 503)
            answer.headers["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
            return answer
        logger.exception("admin API error", extra={"route": route.name})
        return json_response(
            error_body(
                500,
                "internal_error",
                "Something went wrong on our side; nothing was written for the record being processed.",
            ),
            500,
        )
    if isinstance(result, Response):
        return result
    return json_response(result, route.status)


def read_json(request, max_bytes: int = 1024 * 1024) -> Any:
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise ApiError(413, "too_large", f"The request body is {len(raw):,} bytes; at most {max_bytes:,} are accepted.")
    if not raw.strip():
        raise ApiError(400, "bad_json", "The request needs a JSON body.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_json", f"The request body is not valid JSON: {error}") from error
    except RecursionError:  # the decoder recurses per level: thousands of [ or {
        raise ApiError(400, "too_deep", TOO_DEEP) from None
    if _depth(data) > MAX_DEPTH:  # validation would recurse through it too
        raise ApiError(400, "too_deep", TOO_DEEP)
    return data


# No record of the API nests more than a few levels (batch → record → lines → fields).
MAX_DEPTH = 32
TOO_DEEP = f"The JSON body is nested too deeply; at most {MAX_DEPTH} levels are accepted."


def _depth(value) -> int:
    """How deeply lists and objects nest (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def model(name: str):
    """The pydantic model a route names (imported on first use)."""
    from ..contract import schemas

    if name.endswith("Batch"):
        return schemas.batch_model(getattr(schemas, name[: -len("Batch")]))
    return getattr(schemas, name)


def parse_body(request, body_model):
    from pydantic import ValidationError

    from ..contract import schemas

    data = read_json(request)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The request body must be a JSON object.")
    try:
        return body_model.model_validate(data)
    except ValidationError as error:
        errors = schemas.validation_errors(error)
        raise ApiError(400, "invalid", "; ".join(f"{e.field}: {e.reason}" for e in errors), errors) from error


# --- OpenAPI -------------------------------------------------------------------------------

ERROR_CODES = {
    400: "Bad request",
    401: "No valid token",
    403: "Token not allowed here",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    502: "An AWS service failed (the message says what to retry)",
}


def openapi() -> dict:
    from pydantic.json_schema import models_json_schema

    names = {"ErrorBody"}
    for route in ROUTES:
        names.update(m for m in (route.body, route.response) if m is not None)
    ordered = [model(name) for name in sorted(names)]
    _, top = models_json_schema([(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}")
    components = dict(top.get("$defs", {}))

    def ref(name):
        return {"$ref": f"#/components/schemas/{name}"}

    error_content = {JSON: {"schema": ref("ErrorBody")}}
    paths: dict[str, dict] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {"operationId": route.name, "summary": route.summary, "tags": [route.tag]}
        if route.scope == PUBLIC:
            operation["security"] = []
        parameters = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "schema": p.schema,
                **({"description": p.description} if p.description else {}),
            }
            for p in route.params
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            content = {JSON: {"schema": ref(route.body)}}
            content.update(route.extra_request_content)
            operation["requestBody"] = {"required": True, "content": content}
        responses: dict[str, Any] = {}
        if not route.catch_all:
            success: dict[str, Any] = {"description": "OK"}
            if route.response is not None:
                success["content"] = {JSON: {"schema": ref(route.response)}}
            responses[str(route.status)] = success
        for status, text in ERROR_CODES.items():
            responses[str(status)] = {"description": text, "content": error_content}
        operation["responses"] = responses
        paths.setdefault(route.full_path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dealer Portal admin API",
            "version": "1",
            "description": "ERP and platform administration. Every request carries "
            "`Authorization: Bearer <token>`. Batch records carry the "
            "ERP's `updated_at`; an older update never overwrites a "
            "newer one.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
