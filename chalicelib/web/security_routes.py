"""Your sessions and your passkeys (Preferences), and the passwordless sign-in with a passkey.

The passkey endpoints are posted by static/passkeys.js as ordinary forms (so the CSRF check of
chalicelib/web/middleware.py applies unchanged) and answer JSON.
"""

import json
from datetime import UTC, datetime

from chalice import Blueprint, NotFoundError, Response

from .. import clock, config
from ..models.base import plain_dict
from ..repositories import audit
from ..services import passkeys, sessions
from . import cookies, forms
from . import state as request_state
from .auth_routes import finish_sign_in
from .guards import signed_in
from .pages import page, redirect, safe_next

bp = Blueprint(__name__)

SESSION_NOTICES = {
    "ended": "That session has been signed out.",
    "others-ended": "Every other session has been signed out.",
}
PASSKEY_NOTICES = {"added": "Your passkey has been added.", "removed": "The passkey has been removed."}


def _state():
    return request_state.of(bp.current_request)


def _json(body: dict, status: int = 200) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers={"Content-Type": "application/json"})


def relying_party(request) -> "passkeys.RelyingParty":
    """The host this request is on, as WebAuthn's RP ID and origin (two_factor_routes uses it too)."""
    return passkeys.RelyingParty.for_host(request.headers.get("host") or "", config.url_scheme())


def _client(state, request) -> "sessions.Client":
    return sessions.Client(user_agent=request.headers.get("user-agent") or "", source_ip=state.source_ip)


def _when(epoch) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------ sessions


@bp.route("/preferences/sessions", methods=["GET"])
@signed_in(bp)
def sessions_page():
    state = _state()
    names = dict(plain_dict(state.session.companies), **{state.company.company_id: state.company.name})
    listed = sessions.active_for_user(state.user.user_id, state.session, clock.now())
    params = bp.current_request.query_params or {}
    return page(
        bp.current_request,
        "sessions.html",
        sessions=listed,
        company_names=names,
        when=_when,
        notice=SESSION_NOTICES.get(params.get("notice")),
    )


@bp.route("/preferences/sessions/{session_ref}/sign-out", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def sign_out_session(session_ref):
    state = _state()
    if session_ref == sessions.session_ref(state.session):  # this browser: an ordinary sign-out
        return redirect_after_logout(state)
    ended = sessions.end_by_ref(state.user.user_id, session_ref[:64])
    if ended is None:
        raise NotFoundError("Page not found")
    audit.record(
        state.company.company_id,
        "session_ended",
        actor=state.user.user_id,
        source_ip=state.source_ip,
        company=ended.company_id,
    )
    return redirect("/preferences/sessions?notice=ended")


@bp.route("/preferences/sessions/sign-out-others", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def sign_out_others():
    state = _state()
    count = sessions.end_all_for_user(state.user.user_id, keep=state.session)
    audit.record(
        state.company.company_id, "sessions_ended", actor=state.user.user_id, source_ip=state.source_ip, count=count
    )
    return redirect("/preferences/sessions?notice=others-ended")


def redirect_after_logout(state):
    from ..services import auth

    auth.sign_out(state.session)
    state.cookies.append(cookies.clear_session_cookie(state.path_prefix))
    return redirect("/login?notice=signed-out")


# ------------------------------------------------------------------ passkeys (Preferences)


@bp.route("/preferences/passkeys", methods=["GET"])
@signed_in(bp)
def passkeys_page():
    state = _state()
    params = bp.current_request.query_params or {}
    return page(
        bp.current_request,
        "passkeys.html",
        passkeys=passkeys.list_for(state.user),
        when=_when,
        rp_id=relying_party(bp.current_request).rp_id,
        notice=PASSKEY_NOTICES.get(params.get("notice")),
    )


@bp.route("/preferences/passkeys/options", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def passkey_registration_options():
    state = _state()
    options = passkeys.registration_options(state.company, state.user, relying_party(bp.current_request), clock.now())
    return Response(body=options, status_code=200, headers={"Content-Type": "application/json"})


@bp.route("/preferences/passkeys", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def passkey_register():
    state = _state()
    form = forms.parse(bp.current_request)
    try:
        passkeys.register(
            state.company,
            state.user,
            relying_party(bp.current_request),
            form.get("credential", ""),
            form.get("name", ""),
            clock.now(),
            source_ip=state.source_ip,
        )
    except passkeys.PasskeyRefused as refused:
        return _json({"error": refused.message}, refused.status)
    return _json({"redirect": "/preferences/passkeys?notice=added"})


@bp.route("/preferences/passkeys/{passkey_ref}/remove", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def passkey_remove(passkey_ref):
    state = _state()
    if not passkeys.remove(state.company, state.user, passkey_ref[:64], clock.now(), source_ip=state.source_ip):
        raise NotFoundError("Page not found")
    return redirect("/preferences/passkeys?notice=removed")


# ------------------------------------------------------------------ passkey sign-in


@bp.route("/login/passkey/options", methods=["POST"], content_types=forms.FORM)
def passkey_sign_in_options():
    state = _state()
    options = passkeys.sign_in_options(state.company, relying_party(bp.current_request), clock.now())
    return Response(body=options, status_code=200, headers={"Content-Type": "application/json"})


@bp.route("/login/passkey", methods=["POST"], content_types=forms.FORM)
def passkey_sign_in():
    request = bp.current_request
    state = _state()
    form = forms.parse(request)
    result = passkeys.sign_in(
        state.company, relying_party(request), form.get("credential", ""), _client(state, request), clock.now()
    )
    if not result.ok:
        return _json({"error": result.error}, result.status)
    return _json(
        {
            "redirect": finish_sign_in(
                state, request, result, safe_next(form.get("next"), bp.current_app), _client(state, request)
            )
        }
    )
