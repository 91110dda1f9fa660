"""The request pipeline (docs/data-model.md, "Request pipeline"):

tenant from Host → session → CSRF → route → branded error pages → security headers.
"""

import hmac
import json
import re
import time
from urllib.parse import urlsplit

from chalice import BadRequestError, Response

from .. import clock, config, dynamo_metrics, faults, logs
from ..ids import new_id
from ..repositories import audit, request_context
from ..services import sessions, tenant
from ..templating import render, under_path_prefix
from . import cookies, forms, pages
from . import state as request_state
from .state import Account, RequestState

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Paths served without a company (content-hashed assets) or on any host.
STATIC_PREFIX = "/static/"
# The admin API authenticates by bearer token on any host and answers JSON
# (its blueprint checks the token; no cookies, so no session or CSRF).
API_PREFIX = "/api/"
# Pages a user with a generated first password may still reach.
PASSWORD_CHANGE_PATHS = {"/change-password", "/logout"}
# Pages a login that must set up two-factor (its company's policy) may still reach.
ENROLMENT_PATHS = {
    "/preferences/two-factor",
    "/preferences/two-factor/setup",
    "/preferences/two-factor/confirm",
    "/logout",
}
HSTS = "max-age=31536000; includeSubDomains"


# A path prefix as API Gateway can produce one (stage names are [A-Za-z0-9_-]); anything
# else is ignored rather than written into links and cookies.
SAFE_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")


def path_prefix(request) -> str:
    """The part of the public path API Gateway removed before routing.

    On the execute-api URL the public path (`requestContext.path`, "/api/orders")
    carries the stage and the routed path (the event's `path`, "/orders") does not,
    whatever the stage is called; on a custom domain the two are the same.  Chalice's
    local server and test client send no event `path`: no prefix.
    """
    context = request.context or {}
    public = context.get("path") or ""
    routed = request.to_original_event().get("path") or ""
    if not public or not routed:
        return ""
    public, routed = public.rstrip("/"), routed.rstrip("/")
    if public.endswith(routed):
        prefix = public[: len(public) - len(routed)]
    else:  # the two spelled differently (percent-encoding): the execute-api stage itself
        stage = context.get("stage") or ""
        on_execute_api = tenant.is_execute_api_host(context.get("domainName") or "")
        prefix = f"/{stage}" if on_execute_api and public.startswith(f"/{stage}/") else ""
    if prefix and not SAFE_PREFIX.match(prefix):
        logs.logger.warning("path prefix ignored", extra={"prefix": prefix[:100]})
        return ""
    return prefix


def request_path(request, prefix: str = "") -> str:
    """The path from the app's root ("/orders"), without the prefix."""
    public = (request.context or {}).get("path") or "/"
    return public[len(prefix) :] or "/"


def source_ip(request) -> str:
    # API Gateway's own view of the client; X-Forwarded-For is client-controlled.
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"


def portal_pipeline(request, get_response):
    started = time.perf_counter()
    calls = dynamo_metrics.start()
    correlation_id = (request.context or {}).get("requestId") or new_id()
    logs.logger.set_correlation_id(correlation_id)
    prefix = path_prefix(request)
    path = request_path(request, prefix)
    state = RequestState(company=None, source_ip=source_ip(request), path=path, path_prefix=prefix)
    request.portal_state = state
    request_state.begin(state)
    ip_token = audit.request_ip.set(state.source_ip)
    try:
        response = _handle(request, get_response, state)
    except Exception as error:  # never a stack trace to the browser
        unavailable = faults.unavailable_message(error)
        if unavailable is not None:  # throttling or a store not answering: try again
            logs.logger.warning("dependency unavailable", exc_info=True, extra={"path": path})
            response = (
                api_error(503, "unavailable", unavailable)
                if path.startswith(API_PREFIX)
                else error_page(state, 503, unavailable)
            )
            response.headers["Retry-After"] = str(faults.RETRY_AFTER_SECONDS)
        else:
            logs.logger.exception("unhandled error", extra={"path": path})
            response = (
                api_error(500, "internal_error", "Something went wrong on our side.")
                if path.startswith(API_PREFIX)
                else error_page(state, 500)
            )
    finally:
        audit.request_ip.reset(ip_token)
    _public_urls(response, prefix)
    _secure(response, state, path)
    logs.logger.info(
        "request",
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "company": state.company.company_id if state.company else None,
            "user": state.user.user_id if state.user else None,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "dynamodb_calls": calls.count,
            "dynamodb_ms": round(calls.seconds * 1000, 1),
        },
    )
    return response


def _handle(request, get_response, state: RequestState):
    if state.path.startswith(API_PREFIX):
        return _api_response(get_response(request))
    if state.path.startswith(STATIC_PREFIX):
        return get_response(request)
    state.company = tenant.company_for_host(request.headers.get("host"))
    if state.company is None:
        if tenant.is_platform_host(request.headers.get("host")):
            return platform_page(state)
        return error_page(state, 404)
    _load_session(request, state)
    if request.method in UNSAFE_METHODS and not _csrf_ok(request, state):
        logs.logger.warning("csrf refused", extra={"path": state.path, "ip": state.source_ip})
        return error_page(state, 403)
    if state.user is not None and state.user.must_change_password and state.path not in PASSWORD_CHANGE_PATHS:
        return Response(body="", status_code=303, headers={"Location": "/change-password"})
    if state.user is not None and state.path not in ENROLMENT_PATHS and _must_enrol(state):
        return Response(body="", status_code=303, headers={"Location": "/preferences/two-factor"})
    response = get_response(request)
    if response.status_code >= 400 and _is_error_body(response):
        response = error_page(state, response.status_code, _message(response))
    return response


def _must_enrol(state: RequestState) -> bool:
    """The company requires a second factor this login has not set up: nothing but the
    set-up (no read: company and user are loaded already)."""
    from ..services import two_factor

    return two_factor.must_enrol(state.company, state.user)


def _public_urls(response: Response, prefix: str) -> None:
    """Put the path prefix back on what the browser follows: a root-relative redirect
    and the links of an HTML page (routes and templates write them from the app's root)."""
    if not prefix:
        return
    location = response.headers.get("Location")
    if isinstance(location, str) and location.startswith("/") and not location.startswith("//"):
        response.headers["Location"] = prefix + location
    content_type = response.headers.get("Content-Type") or ""
    if content_type.startswith("text/html") and isinstance(response.body, str):
        response.body = under_path_prefix(response.body, prefix)


def api_error(status: int, error: str, message: str) -> Response:
    return Response(
        body=json.dumps({"error": error, "message": message}),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


def _api_response(response):
    """The admin API answers JSON only: Chalice's own errors (405, 415, 500) included."""
    if _is_error_body(response):
        code = str(response.body.get("Code") or "Error")
        message = response.body.get("Message") if response.status_code < 500 else None
        headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
        answer = api_error(
            response.status_code, code[:1].lower() + code[1:], str(message or "Something went wrong on our side.")
        )
        answer.headers.update(headers)
        return answer
    return response


def _load_session(request, state: RequestState) -> None:
    """Two round trips: the session (GetItem), then everything about its user and account
    (one BatchGetItem, repositories/request_context.py), read fresh on every request so
    that an inactivation or a web-access change applies to the very next one."""
    now = clock.now()
    session = sessions.load(
        cookies.read(request.headers, cookies.session_name(state.path_prefix)), state.company.company_id, now
    )
    if session is None:
        state.anon_csrf = cookies.read(request.headers, cookies.csrf_name(state.path_prefix))
        return
    context = request_context.load(session.user_id, session.account_pk)
    user = context.user
    if user is None or not user.active:
        sessions.end(session)
        return
    membership = context.membership
    if session.account_pk and (membership is None or membership.status != "active"):
        # Inactivated (or removed) since sign-in: this sign-in ends now, not at its timeout.
        logs.logger.info(
            "session ended: account access inactive", extra={"user": user.user_id, "account": session.account_pk}
        )
        sessions.end(session)
        state.cookies.append(cookies.clear_session_cookie(state.path_prefix))
        state.anon_csrf = cookies.read(request.headers, cookies.csrf_name(state.path_prefix))
        return
    state.session, state.user = session, user
    if membership is not None:
        state.account = Account(
            company_id=membership.company_id,
            customer_no=membership.customer_no,
            web_access=context.web_access,
            dealer_codes=list(context.dealer_codes),
            balance_items=context.balance_items,
            bill_to=context.bill_to,
            cart=context.cart,
        )


def _same_origin(request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # "null" origins (sandboxed frames) are refused
    return tenant.normalise_host(urlsplit(origin).netloc) == tenant.normalise_host(request.headers.get("host"))


def _csrf_ok(request, state: RequestState) -> bool:
    if not _same_origin(request):
        return False
    try:
        sent = forms.parse(request).get("csrf_token", "")
    except BadRequestError:
        return False
    expected = state.session.csrf_token if state.session else state.anon_csrf
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _is_error_body(response) -> bool:
    return isinstance(response.body, dict) and "Code" in response.body


def _message(response):
    message = response.body.get("Message") if isinstance(response.body, dict) else None
    # Chalice's own 500 message is generic; anything else was written by us.
    return None if response.status_code >= 500 else message


TITLES = {
    400: ("Something in the request was not right", "Please go back and try again."),
    403: (
        "This request was refused",
        "The form may have expired or come from another site. Reload the page and try again.",
    ),
    404: ("Page not found", "The page you asked for does not exist or is not available to you."),
    405: ("Not allowed", "That action is not available on this page."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Too many requests", "Please wait a little and try again."),
    503: ("Please try again in a minute", faults.BUSY_MESSAGE),
    500: ("Something went wrong on our side", "We have been told about it. Please try again in a few minutes."),
}


def error_page(state: RequestState, status: int, message=None) -> Response:
    title, default = TITLES.get(status, TITLES[500 if status >= 500 else 400])
    try:
        theme = state.company.theme if state.company else None
        # Every error page of a company keeps its logo and, signed in, the menu: a way
        # back (nothing is read for them: the request state already holds them).
        branded = state.company is not None
        keep = branded and state.account is not None
        body = render(
            "error.html",
            state=state,
            company=state.company,
            theme=theme,
            logo_url=pages.asset_url(theme.logo_key) if branded and theme else None,
            favicon_url=pages.asset_url(theme.favicon_key) if branded and theme else None,
            home_image_url=None,
            switch_companies=[],
            menu=pages.menu_items(state) if keep else [],
            user=state.user,
            account=state.account if keep else None,
            csrf_token=state.session.csrf_token if state.session else "",  # Sign out
            nonce=state.nonce,
            local=config.is_local(),
            status=status,
            title=title,
            message=message or default,
        )
    except Exception:  # the error page itself must never fail
        logs.logger.exception("error page failed")
        body = f"<!doctype html><title>{status}</title><h1>{title}</h1>"
    return Response(body=body, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def platform_page(state: RequestState) -> Response:
    """The bare platform host: a neutral page that names no company (never a list of them)."""
    status = 200 if state.path == "/" else 404
    body = render(
        "platform.html",
        state=state,
        company=None,
        theme=None,
        logo_url=None,
        favicon_url=None,
        home_image_url=None,
        switch_companies=[],
        menu=[],
        user=None,
        account=None,
        csrf_token="",
        nonce=state.nonce,
        local=config.is_local(),
        status=status,
    )
    return Response(body=body, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def _csp(state: RequestState) -> str:
    assets = urlsplit(config.theme_assets_url())
    assets_origin = f"{assets.scheme}://{assets.netloc}" if assets.netloc else ""
    nonce = f"'nonce-{state.nonce}'"
    # The pay page loads the gateway's hosted-fields script, which frames its own
    # origin (the local stand-in's only in the local stage; see payments/gateway.py).
    gateway = " ".join(state.frame_origins)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {nonce} {gateway}".strip(),
            f"frame-src 'self' {gateway}".strip(),
            f"style-src 'self' {nonce}",
            f"img-src 'self' data: {assets_origin}".strip(),
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(["form-action 'self'", *state.form_targets]),
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


# The local dev mailbox frames a sent e-mail's HTML: inline styles, images from
# anywhere, no scripts, and only the portal's own pages may frame it.
EMBEDDED_EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _secure(response: Response, state: RequestState, path: str) -> None:
    headers = response.headers
    embedded = state.embedded_email and config.is_local()
    headers["Content-Security-Policy"] = EMBEDDED_EMAIL_CSP if embedded else _csp(state)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = state.referrer_policy
    headers["X-Frame-Options"] = "SAMEORIGIN" if embedded else "DENY"
    if not config.is_local():
        headers["Strict-Transport-Security"] = HSTS
    if not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
    if isinstance(response.body, (dict, list)) and "Content-Type" not in headers:
        response.body = json.dumps(response.body)
        headers["Content-Type"] = "application/json"
    set_cookies = list(state.cookies)
    if state.set_anon_csrf and state.session is None:
        set_cookies.append(cookies.csrf_cookie(state.anon_csrf, state.path_prefix))
    if set_cookies:
        existing = headers.get("Set-Cookie")
        if existing:
            set_cookies = ([existing] if isinstance(existing, str) else list(existing)) + set_cookies
        # Several Set-Cookie headers need a list value (Chalice joins a plain string into one header).
        headers["Set-Cookie"] = set_cookies if len(set_cookies) > 1 else set_cookies[0]
