"""The company switcher: POST /switch-company here (a page that moves on to the other
domain), then /handoff/{token} there.

GET /handoff/{token} changes nothing: it shows a form that posts the token back
(submitted by a nonce'd script, with a button when scripts do not run).
"""
from chalice import Blueprint, NotFoundError

from .. import clock
from ..services import handoff, sessions
from . import cookies, forms
from . import state as request_state
from .guards import signed_in
from .pages import page, redirect

bp = Blueprint(__name__)


@bp.route("/switch-company", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def switch_company():
    state = request_state.of(bp.current_request)
    target = forms.parse(bp.current_request).get("company_id", "")
    try:
        url, target_name = handoff.start(state.user, state.session, state.company, target,
                                         clock.now())
    except handoff.HandoffRefused:
        raise NotFoundError("Page not found") from None
    # A page that navigates on, not a redirect: CSP form-action would refuse a form whose
    # answer redirects to another origin (and a form-action listing every company is wider).
    state.referrer_policy = "no-referrer"
    return page(bp.current_request, "switching.html", url=url, target_name=target_name)


@bp.route("/handoff/{secret}", methods=["GET"])
def handoff_form(secret):
    state = request_state.of(bp.current_request)
    state.referrer_policy = "no-referrer"  # the token is in this page's URL
    token = handoff.valid_token(state.company, secret, clock.now())
    # Signed in here as someone else: ask before replacing that sign-in (no auto-submit).
    other_user = bool(token and state.user and state.user.user_id != token.user_id)
    return page(bp.current_request, "handoff.html", status=200 if token else 410,
                valid=token is not None, secret=secret, auto=not other_user)


@bp.route("/handoff/{secret}", methods=["POST"], content_types=forms.FORM)
def handoff_submit(secret):
    state = request_state.of(bp.current_request)
    state.referrer_policy = "no-referrer"
    result = handoff.complete(state.company, secret, clock.now(), state.source_ip)
    if result is None:
        return page(bp.current_request, "handoff.html", status=410, valid=False, secret="",
                    auto=False)
    started, _user = result
    if state.session is not None:  # the sign-in this browser had here ends
        sessions.end(state.session)
    state.cookies.append(cookies.session_cookie(started.cookie_value, state.path_prefix))
    return redirect("/")
