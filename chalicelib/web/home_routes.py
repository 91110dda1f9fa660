"""The branded home page and the user's preferences."""
from chalice import Blueprint

from . import state as request_state
from .guards import signed_in
from .pages import page

bp = Blueprint(__name__)

NOTICES = {"password-changed": "Your password has been changed.",
           "welcome": "Welcome! Your portal access is active and your e-mail address is confirmed."}


@bp.route("/", methods=["GET"])
@signed_in(bp)
def home():
    params = bp.current_request.query_params or {}
    return page(bp.current_request, "home.html", notice=NOTICES.get(params.get("notice")))


@bp.route("/preferences", methods=["GET"])
@signed_in(bp)
def preferences():
    state = request_state.of(bp.current_request)
    return page(bp.current_request, "preferences.html", error=None,
                forced=state.user.must_change_password)
