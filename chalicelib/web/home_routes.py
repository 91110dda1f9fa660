"""The branded home page and the user's preferences."""

from chalice import Blueprint

from . import state as request_state
from .guards import signed_in
from .pages import menu_items, page

bp = Blueprint(__name__)

NOTICES = {
    "password-changed": "Your password has been changed.",
    "welcome": "Welcome! Your portal access is active and your e-mail address is confirmed.",
}


@bp.route("/", methods=["GET"])
@signed_in(bp)
def home():
    from ..services import dashboard as dashboard_service

    params = bp.current_request.query_params or {}
    state = request_state.of(bp.current_request)
    board = None
    if state.account is not None:
        board = dashboard_service.dashboard(
            state.company,
            state.account.customer_no,
            terms_days=state.account.terms_days,
            items=state.account.balance_items,
        )
    links = {item.key: item.url for item in menu_items(state)}
    return page(bp.current_request, "home.html", notice=NOTICES.get(params.get("notice")), board=board, links=links)


@bp.route("/preferences", methods=["GET"])
@signed_in(bp)
def preferences():
    state = request_state.of(bp.current_request)
    return page(bp.current_request, "preferences.html", error=None, forced=state.user.must_change_password)
