"""The company switcher (chalicelib/services/handoff.py has the exchange):

source  POST /switch-company              page moving on to the target's start
target  GET  /switch-company/start        sets the state cookie, redirects to the source
source  GET  /switch-company/authorize    (signed in) a form posting itself back
source  POST /switch-company/authorize    issues the code; page moving on to the target
target  GET  /handoff/{code}              a form posting the code back (changes nothing)
target  POST /handoff/{code}              with the matching state cookie: a new session

Pages that move on (not redirects) where a form's answer goes to another origin: CSP
form-action would refuse it (and a form-action listing every company is wider).
"""

from chalice import Blueprint, NotFoundError

from .. import clock
from ..services import handoff, security_notices, sessions
from . import cookies, forms
from . import state as request_state
from .guards import signed_in
from .pages import page, redirect

bp = Blueprint(__name__)


def _state():
    state = request_state.of(bp.current_request)
    state.referrer_policy = "no-referrer"  # codes and state hashes travel in these URLs
    return state


@bp.route("/switch-company", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def switch_company():
    state = _state()
    target = forms.parse(bp.current_request).get("company_id", "")
    try:
        url, target_name = handoff.start_url(state.session, state.company, target)
    except handoff.HandoffRefused:
        raise NotFoundError("Page not found") from None
    return page(bp.current_request, "switching.html", url=url, target_name=target_name)


@bp.route("/switch-company/start", methods=["GET"])
def switch_start():
    state = _state()
    source = (bp.current_request.query_params or {}).get("from", "")
    try:
        state_secret, url = handoff.begin(state.company, source)
    except handoff.HandoffRefused:
        raise NotFoundError("Page not found") from None
    state.cookies.append(cookies.handoff_state_cookie(state_secret, state.path_prefix))
    return redirect(url, status=302)


def _authorize_params():
    request = bp.current_request
    values = forms.parse(request) if request.method == "POST" else (request.query_params or {})
    return values.get("state", ""), values.get("target", "")


@bp.route("/switch-company/authorize", methods=["GET"])
@signed_in(bp)
def switch_authorize_form():
    state = _state()
    state_hash, target = _authorize_params()
    try:  # refuse here what the POST would refuse
        handoff.start_url(state.session, state.company, target)
    except handoff.HandoffRefused:
        raise NotFoundError("Page not found") from None
    if not handoff.STATE_HASH.match(state_hash):
        raise NotFoundError("Page not found")
    return page(bp.current_request, "handoff_authorize.html", state_hash=state_hash, target=target)


@bp.route("/switch-company/authorize", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def switch_authorize():
    state = _state()
    state_hash, target = _authorize_params()
    try:
        url, target_name = handoff.issue_code(
            state.user,
            state.session,
            state.company,
            target,
            state_hash,
            clock.now(),
            browser_id=cookies.BROWSER.read(bp.current_request.headers, state.path_prefix),
        )
    except handoff.HandoffRefused:
        raise NotFoundError("Page not found") from None
    return page(bp.current_request, "switching.html", url=url, target_name=target_name)


def _browser_state():
    return cookies.HANDOFF_STATE.read(bp.current_request.headers, _state().path_prefix)


@bp.route("/handoff/{code}", methods=["GET"])
def handoff_form(code):
    state = _state()
    token = handoff.valid_code(state.company, code, _browser_state(), clock.now())
    # Signed in here as someone else: ask before replacing that sign-in (no auto-submit).
    other_user = bool(token and state.user and state.user.user_id != token.user_id)
    return page(
        bp.current_request,
        "handoff.html",
        status=200 if token else 410,
        valid=token is not None,
        secret=code,
        auto=not other_user,
    )


@bp.route("/handoff/{code}", methods=["POST"], content_types=forms.FORM)
def handoff_submit(code):
    state = _state()
    request = bp.current_request
    client = sessions.Client(user_agent=request.headers.get("user-agent") or "", source_ip=state.source_ip)
    result = handoff.complete(state.company, code, _browser_state(), clock.now(), state.source_ip, client)
    if result is None:
        return page(bp.current_request, "handoff.html", status=410, valid=False, secret="", auto=False)
    if state.session is not None:  # the sign-in this browser had here ends
        sessions.end(state.session)
    state.cookies.append(cookies.clear_handoff_state_cookie(state.path_prefix))
    if result.pending_secret:  # this sign-in has not proven the second factor yet
        state.cookies.append(cookies.clear_session_cookie(state.path_prefix))
        state.cookies.append(cookies.pending_cookie(result.pending_secret, state.path_prefix))
        return redirect("/sign-in/two-factor")
    state.cookies.append(cookies.session_cookie(result.started.cookie_value, state.path_prefix))
    # The new-device e-mail of any sign-in (web/auth_routes.py); the source vouches for its browser.
    browser = security_notices.note_sign_in(
        state.company,
        result.user,
        cookies.BROWSER.read(request.headers, state.path_prefix),
        client,
        clock.now(),
        vouched_by=result.vouched_device,
    )
    state.cookies.append(cookies.browser_cookie(browser, state.path_prefix))
    return redirect("/")
