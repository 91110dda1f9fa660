"""Route decorators that say who may call a route, and how a route's refusals answer.

Every page route is wrapped by one of these guards (all of them start with
`signed_in`), so `answers` below is the one place where what the services raise
becomes a response: the same status and message on every page.  The middleware
then renders any error as the company's branded error page.
"""

import functools
from urllib.parse import quote

from chalice import BadRequestError, NotFoundError

from .. import errors
from ..repositories import paging
from . import state as request_state
from .pages import menu_items, redirect

# What a service may raise -> what every page answers.
OUT_OF_DATE_LINK = "This page link is out of date. Start again from the first page."
NOT_FOUND = "Page not found"


def answers(view):
    """The one exception-to-response mapping of the pages."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except paging.BadCursor:  # a cursor we did not hand out (edited, old, another list)
            raise BadRequestError(OUT_OF_DATE_LINK) from None
        except errors.NotFound:  # not this account's, or nothing at all: the same answer
            raise NotFoundError(NOT_FOUND) from None

    return wrapper


def signed_in(blueprint):
    """Redirect to sign-in (and back afterwards) when there is no session."""

    def decorate(view):
        @functools.wraps(view)
        @answers
        def wrapper(*args, **kwargs):
            state = request_state.of(blueprint.current_request)
            if state.user is None:
                return redirect(f"/login?next={quote(state.path)}")
            return view(*args, **kwargs)

        return wrapper

    return decorate


def customer_page(*page_keys):
    """Signed in, working on an account, and the menu shows one of `page_keys` (a page
    the menu hides answers 404, not only a missing link).  The view gets the request
    state first."""

    def decorate(view):
        @functools.wraps(view)
        @answers
        def wrapper(*args, **kwargs):
            state = request_state.current()
            if state.user is None:
                return redirect(f"/login?next={quote(state.path)}")
            visible = {item.key for item in menu_items(state)}
            if state.account is None or not visible & set(page_keys):
                raise NotFoundError(NOT_FOUND)
            return view(state, *args, **kwargs)

        return wrapper

    return decorate


def page_allowed(state, page_key: str, menu_items) -> None:
    """A page the menu hides answers 404, not only a missing link."""
    if page_key not in {item.key for item in menu_items}:
        raise NotFoundError(NOT_FOUND)


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


def admin_view(blueprint):
    """An administrator's page whose view gets the request state and the company being
    administered."""

    def decorate(view):
        @functools.wraps(view)
        @administrator(blueprint)
        def wrapper(*args, **kwargs):
            state = request_state.of(blueprint.current_request)
            return view(state, state.managed_company, *args, **kwargs)

        return wrapper

    return decorate
