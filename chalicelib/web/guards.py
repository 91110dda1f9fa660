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
