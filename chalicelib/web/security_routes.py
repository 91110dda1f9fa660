"""Your sessions (Preferences): every live session of the login, sign out one or all others."""

from datetime import UTC, datetime

from chalice import Blueprint, NotFoundError

from .. import clock
from ..models.base import plain_dict
from ..repositories import audit
from ..services import sessions
from . import cookies, forms
from . import state as request_state
from .guards import signed_in
from .pages import page, redirect

bp = Blueprint(__name__)

SESSION_NOTICES = {
    "ended": "That session has been signed out.",
    "others-ended": "Every other session has been signed out.",
}


def _state():
    return request_state.of(bp.current_request)


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
