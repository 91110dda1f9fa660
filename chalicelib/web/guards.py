"""Route decorators that say who may call a route."""
import functools
from urllib.parse import quote

from chalice import NotFoundError

from . import state as request_state
from .pages import redirect


def signed_in(blueprint):
    """Redirect to sign-in (and back afterwards) when there is no session."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            state = request_state.of(blueprint.current_request)
            if state.user is None:
                return redirect(f"/login?next={quote(state.path)}")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def page_allowed(state, page_key: str, menu_items) -> None:
    """A page the menu hides answers 404, not only a missing link."""
    if page_key not in {item.key for item in menu_items}:
        raise NotFoundError("Page not found")


def administrator(blueprint):
    """Dealer Administration: signed in and administering the host's company.

    Anyone else gets 404 (the admin area does not exist for them).  Puts the
    selected company on `state.managed_company`; every admin action works on it
    only, and the selection is re-checked against the user's rights each request.
    """
    from ..services import admin

    def decorate(view):
        @signed_in(blueprint)
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            state = request_state.of(blueprint.current_request)
            managed = admin.selected_company(state.user, state.session, state.company)
            if managed is None:
                raise NotFoundError("Page not found")
            state.managed_company = managed
            ids = admin.managed_ids(state.user)
            state.admin_companies = admin.companies_of(state.user) if len(ids) > 1 else [managed]
            return view(*args, **kwargs)
        return wrapper
    return decorate
