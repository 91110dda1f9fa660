"""The ERP admin API, /api/v1 (README "Admin API"): thin handlers over services.

Routes are declared in one table (chalicelib/api/routing.py) that both registers them
with Chalice and produces /api/v1/openapi.json.
"""

import base64
import binascii

from chalice import Blueprint, Response

from ..api.routing import COMPANY, JSON, PLATFORM, PUBLIC, ApiError, ApiRoute, Param, api_route, read_json, register
from ..api.routing import openapi as openapi_document
from ..contract import kinds

bp = Blueprint(__name__)

COMPANY_ID = Param(
    "company_id", {"type": "string", "pattern": r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", "minLength": 2, "maxLength": 40}
)
PDF = "application/pdf"


def _company(call):
    from ..services import platform

    return platform.company_or_404(call.params["company_id"])


# --- public ---------------------------------------------------------------------------------


@api_route(bp, "GET", "/openapi.json", scope=PUBLIC, summary="This OpenAPI document", tag="meta")
def openapi(call):
    document = openapi_document()
    # On API Gateway's own URL the API lives under the stage ("/api/api/v1/..."): see
    # chalicelib/web/middleware.py.
    state = getattr(call.request, "portal_state", None)
    if state is not None and state.path_prefix:
        document["servers"] = [{"url": state.path_prefix + "/"}]
    return document


# --- platform: companies, domains ------------------------------------------------------------


@api_route(
    bp,
    "POST",
    "/companies",
    scope=PLATFORM,
    summary="Create a company (and its primary domain)",
    body="CompanyCreate",
    response="CompanyOut",
    status=201,
)
def create_company(call):
    from ..services import platform

    company = platform.create_company(call.body, call.actor, call.source_ip)
    return platform.company_view(company)


@api_route(
    bp,
    "GET",
    "/companies/{company_id}",
    scope=COMPANY,
    params=[COMPANY_ID],
    summary="Company settings and which payment methods are configured",
    response="CompanyOut",
)
def get_company(call, company_id):
    from ..services import platform

    return platform.company_view(_company(call))


@api_route(
    bp,
    "PATCH",
    "/companies/{company_id}",
    scope=PLATFORM,
    params=[COMPANY_ID],
    summary="Change some settings",
    body="CompanyUpdate",
    response="CompanyOut",
)
def update_company(call, company_id):
    from ..services import platform

    company = platform.update_company(_company(call), call.body, call.actor, call.source_ip)
    return platform.company_view(company)


@api_route(
    bp,
    "POST",
    "/companies/{company_id}/domains",
    scope=PLATFORM,
    params=[COMPANY_ID],
    summary="Add a host name (409 if another company uses it; again for the same "
    "company re-runs its AWS set-up): creates its SES DKIM identity, ACM "
    "certificate and API Gateway custom domain, and lists the DNS records "
    "to create",
    body="DomainCreate",
    response="DomainOut",
    status=201,
)
def add_domain(call, company_id):
    from ..services import platform

    domain, setup = platform.add_domain(_company(call), call.body, call.actor, call.source_ip)
    return {"host": domain.host, "company_id": domain.company_id, "primary": domain.primary, **setup}


@api_route(
    bp,
    "DELETE",
    "/companies/{company_id}/domains/{host}",
    scope=PLATFORM,
    params=[COMPANY_ID, Param("host", {"type": "string", "minLength": 1, "maxLength": 253})],
    summary="Remove a host name (not the primary one)",
    status=204,
)
def remove_domain(call, company_id, host):
    from ..services import platform

    platform.remove_domain(_company(call), host, call.actor, call.source_ip)
    return Response(body="", status_code=204)


# --- platform: administrators, tokens, gateway ------------------------------------------------


@api_route(
    bp,
    "POST",
    "/admins",
    scope=PLATFORM,
    body="AdminCreate",
    response="AdminOut",
    status=201,
    summary="Create or extend a dealer administrator; e-mails a set-password link",
)
def create_admin(call):
    from ..services import platform

    return platform.create_admin(call.body, call.actor, call.source_ip)


def _token_info(token) -> dict:
    return {
        "token_id": token.token_id,
        "scope": token.scope,
        "company_id": token.company_id,
        "label": token.label,
        "revoked": bool(token.revoked),
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


@api_route(
    bp,
    "POST",
    "/tokens",
    scope=PLATFORM,
    body="TokenCreate",
    response="TokenCreated",
    status=201,
    summary="Create a token (the secret is shown only in this answer)",
)
def create_token(call):
    from ..repositories import audit
    from ..services import api_tokens, platform

    body = call.body
    if body.scope == "company":
        platform.company_or_404(body.company_id)
    token, secret = api_tokens.create(body.scope, body.company_id, body.label)
    audit.record(
        body.company_id or "platform",
        "api_token_created",
        actor=call.actor,
        source_ip=call.source_ip,
        token_id=token.token_id,
        scope=body.scope,
    )
    info = _token_info(token)
    return {
        "token_id": info["token_id"],
        "token": secret,
        "scope": info["scope"],
        "company_id": info["company_id"],
        "label": info["label"],
        "created_at": info["created_at"],
    }


@api_route(bp, "GET", "/tokens", scope=PLATFORM, response="TokenList", summary="Every token, without secrets")
def list_tokens(call):
    from ..services import api_tokens

    return {"tokens": [_token_info(t) for t in api_tokens.listing()]}


@api_route(
    bp,
    "DELETE",
    "/tokens/{token_id}",
    scope=PLATFORM,
    status=204,
    params=[Param("token_id", {"type": "string", "minLength": 1, "maxLength": 64})],
    summary="Revoke a token (it answers 401 from now on)",
)
def revoke_token(call, token_id):
    from ..repositories import audit
    from ..services import api_tokens

    token = api_tokens.revoke(token_id)
    if token is None:
        raise ApiError(404, "not_found", f"No token {token_id!r}.")
    audit.record(
        token.company_id or "platform",
        "api_token_revoked",
        actor=call.actor,
        source_ip=call.source_ip,
        token_id=token_id,
    )
    return Response(body="", status_code=204)


@api_route(
    bp,
    "PUT",
    "/companies/{company_id}/gateway/{method}",
    scope=PLATFORM,
    status=204,
    params=[COMPANY_ID, Param("method", {"type": "string", "enum": ["card", "ach"]})],
    body="GatewayCredentialsIn",
    summary="Set the emergepay credentials of one method (write-only)",
)
def set_gateway(call, company_id, method):
    from ..services import platform

    if method not in ("card", "ach"):
        raise ApiError(404, "not_found", "The payment method is card or ach.")
    platform.set_gateway(_company(call), method, call.body, call.actor, call.source_ip)
    return Response(body="", status_code=204)


# --- company scope: batches ----------------------------------------------------------------------


def _batch_records(call) -> list:
    data = read_json(call.request, max_bytes=kinds.MAX_BATCH_BYTES)
    if not isinstance(data, dict) or set(data) != {"records"} or not isinstance(data["records"], list):
        raise ApiError(400, "bad_request", 'The body must be {"records": [...]}.')
    records = data["records"]
    if not records:
        raise ApiError(400, "bad_request", "records is empty.")
    if len(records) > kinds.MAX_RECORDS:
        raise ApiError(
            413,
            "too_many_records",
            f"{len(records)} records in one request; send at most {kinds.MAX_RECORDS} a request.",
        )
    return records


def _import_context(call):
    from ..services import erp_import, first_login

    return erp_import.Context(company=_company(call), now=erp_import.now(), on_new_invoice=first_login.provision)


def _upsert_handler(kind):
    def handler(call, company_id):
        from ..repositories import audit
        from ..services import erp_import

        ctx = _import_context(call)
        answer = erp_import.upsert(kind, _batch_records(call), ctx)
        audit.record(
            company_id, "erp_batch", actor=call.actor, source_ip=call.source_ip, kind=kind, **answer["summary"]
        )
        return answer

    handler.__name__ = "upsert_" + kind.replace("-", "_")
    return handler


def _delete_handler(kind):
    def handler(call, company_id):
        from ..repositories import audit
        from ..services import erp_import

        ctx = _import_context(call)
        answer = erp_import.delete(kind, _batch_records(call), ctx)
        audit.record(
            company_id, "erp_delete", actor=call.actor, source_ip=call.source_ip, kind=kind, **answer["summary"]
        )
        return answer

    handler.__name__ = "delete_" + kind.replace("-", "_")
    return handler


for _kind, (_record, _delete, _key) in kinds.KINDS.items():
    register(
        bp,
        ApiRoute(
            method="POST",
            path=f"/companies/{{company_id}}/{_kind}",
            name=f"upsert_{_kind}",
            scope=COMPANY,
            params=[COMPANY_ID],
            body=f"{_record}Batch",
            validate_body=False,
            response="BatchResult",
            tag="erp",
            summary=f"Create or update {_kind} (per-record results; stale updates skipped)",
        ),
        _upsert_handler(_kind),
    )
    if _delete is not None:
        register(
            bp,
            ApiRoute(
                method="POST",
                path=f"/companies/{{company_id}}/{_kind}/delete",
                name=f"delete_{_kind}",
                scope=COMPANY,
                params=[COMPANY_ID],
                body=f"{_delete}Batch",
                validate_body=False,
                response="BatchResult",
                tag="erp",
                summary=f"Delete {_kind} (a delete older than the stored record is skipped)",
            ),
            _delete_handler(_kind),
        )

_RESERVED = sorted(set(kinds.KINDS) | {"domains", "feeds", "gateway", "invoices"})
_UNKNOWN_KIND = Param("kind", {"type": "string", "pattern": "^[a-z-]{1,30}$", "not": {"enum": _RESERVED}})


def _unknown_kind(call, company_id, kind):
    known = ", ".join(kinds.KINDS)
    raise ApiError(404, "unknown_kind", f"Unknown record kind {kind!r}; known: {known}.")


register(
    bp,
    ApiRoute(
        method="POST",
        path="/companies/{company_id}/{kind}",
        name="unknown_kind",
        scope=COMPANY,
        params=[COMPANY_ID, _UNKNOWN_KIND],
        catch_all=True,
        tag="erp",
        summary="Any other kind: 404",
    ),
    _unknown_kind,
)
register(
    bp,
    ApiRoute(
        method="POST",
        path="/companies/{company_id}/{kind}/delete",
        name="unknown_delete_kind",
        scope=COMPANY,
        catch_all=True,
        tag="erp",
        params=[
            COMPANY_ID,
            Param(
                "kind",
                {
                    "type": "string",
                    "pattern": "^[a-z-]{1,30}$",
                    "not": {"enum": sorted(k for k, spec in kinds.KINDS.items() if spec.delete)},
                },
            ),
        ],
        summary="Kinds that cannot be deleted: 404",
    ),
    lambda call, company_id, kind: _unknown_kind(call, company_id, kind),
)


# --- company scope: invoice PDF ------------------------------------------------------------------


@api_route(
    bp,
    "PUT",
    "/companies/{company_id}/invoices/{invoice_no}/pdf",
    scope=COMPANY,
    status=204,
    content_types=(PDF, JSON),
    tag="erp",
    body="PdfUpload",
    extra_request_content={PDF: {"schema": {"type": "string", "format": "binary"}}},
    validate_body=False,
    params=[COMPANY_ID, Param("invoice_no", {"type": "string", "minLength": 1, "maxLength": 64})],
    summary="Upload the invoice's PDF (raw application/pdf body, or JSON pdf_base64)",
)
def upload_invoice_pdf(call, company_id, invoice_no):
    from ..services import erp_documents

    erp_documents.store_invoice_pdf(_company(call), invoice_no, _pdf_body(call.request), actor=call.actor)
    return Response(body="", status_code=204)


@api_route(
    bp,
    "PUT",
    "/companies/{company_id}/statements/{customer_no}/{statement_date}/pdf",
    scope=COMPANY,
    status=204,
    content_types=(PDF, JSON),
    tag="erp",
    body="PdfUpload",
    extra_request_content={PDF: {"schema": {"type": "string", "format": "binary"}}},
    validate_body=False,
    params=[
        COMPANY_ID,
        Param("customer_no", {"type": "string", "minLength": 1, "maxLength": 64}),
        Param("statement_date", {"type": "string", "format": "date"}),
    ],
    summary="Upload a statement's PDF (raw application/pdf body, or JSON pdf_base64)",
)
def upload_statement_pdf(call, company_id, customer_no, statement_date):
    from ..services import erp_documents

    erp_documents.store_statement_pdf(
        _company(call), customer_no, statement_date, _pdf_body(call.request), actor=call.actor
    )
    return Response(body="", status_code=204)


def _pdf_body(request) -> bytes:
    """The raw PDF body, or the decoded `{"pdf_base64": ...}` of a JSON body."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == PDF:
        return request.raw_body or b""
    data = read_json(request, max_bytes=kinds.MAX_PDF_BYTES * 4 // 3 + 1024)
    if not isinstance(data, dict) or not isinstance(data.get("pdf_base64"), str) or set(data) != {"pdf_base64"}:
        raise ApiError(400, "bad_request", 'The body must be {"pdf_base64": "..."}.')
    try:
        return base64.b64decode(data["pdf_base64"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ApiError(400, "bad_request", "pdf_base64 is not valid base64.") from error


# --- feeds ---------------------------------------------------------------------------------------

FEED = Param("feed", {"type": "string", "enum": list(kinds.FEEDS)})


def _feed_or_404(feed):
    if feed not in kinds.FEEDS:
        raise ApiError(404, "not_found", f"Unknown feed {feed!r}; feeds: {', '.join(kinds.FEEDS)}.")


@api_route(
    bp,
    "GET",
    "/companies/{company_id}/feeds/{feed}",
    scope=COMPANY,
    tag="feeds",
    response="FeedPage",
    params=[
        COMPANY_ID,
        FEED,
        Param(
            "cursor", {"type": "string", "maxLength": 2048}, "query", "next_cursor of the previous page", required=False
        ),
        Param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 500},
            "query",
            "items a page (default 100)",
            required=False,
        ),
    ],
    summary="Items not acknowledged yet, oldest first",
)
def read_feed(call, company_id, feed):
    from ..services import feeds

    _feed_or_404(feed)
    _company(call)
    try:
        return feeds.page(feed, company_id, call.query("cursor"), call.query("limit"))
    except feeds.BadRequest as error:
        raise ApiError(400, "bad_request", str(error)) from error


@api_route(
    bp,
    "POST",
    "/companies/{company_id}/feeds/{feed}/ack",
    scope=COMPANY,
    tag="feeds",
    params=[COMPANY_ID, FEED],
    body="AckRequest",
    response="AckResult",
    summary="Acknowledge items posted in the ERP (repeats are harmless)",
)
def ack_feed(call, company_id, feed):
    from ..repositories import audit
    from ..services import feeds

    _feed_or_404(feed)
    _company(call)
    answer = feeds.acknowledge(feed, company_id, call.body.ids)
    audit.record(
        company_id,
        "feed_acknowledged",
        actor=call.actor,
        source_ip=call.source_ip,
        feed=feed,
        acknowledged=len(answer["acknowledged"]),
        unknown=len(answer["unknown"]),
    )
    return answer


# --- service requests ----------------------------------------------------------------------------


@api_route(
    bp,
    "PUT",
    "/companies/{company_id}/service-requests/{request_id}/status",
    scope=COMPANY,
    tag="feeds",
    body="ServiceRequestStatusIn",
    response="ServiceRequestStatusOut",
    params=[COMPANY_ID, Param("request_id", {"type": "string", "pattern": "^[0-9a-f]{24}$"})],
    summary="Set a sent service request's status (received, scheduled for a date, "
    "work order); an older updated_at than the stored one is skipped",
)
def service_request_status(call, company_id, request_id):
    from ..repositories import audit
    from ..services import service_requests

    company = _company(call)
    try:
        answer = service_requests.push_status(company, request_id[:40], call.body)
    except service_requests.StatusError as error:
        raise ApiError(400, "bad_request", str(error)) from error
    if answer is None:
        raise ApiError(404, "not_found", f"No sent service request {request_id!r}.")
    audit.record(
        company_id,
        "service_request_status",
        actor=call.actor,
        source_ip=call.source_ip,
        request_id=answer["request_id"],
        status=answer["status"],
        outcome=answer["outcome"],
    )
    return answer
