"""Page responses: render a template with the request's state, or redirect."""

from urllib.parse import unquote

from chalice import Response

from .. import config
from ..models.base import plain_dict
from ..services import menu as menu_service
from ..services import service_requests
from ..templating import render
from . import route_table
from . import state as request_state

HTML = "text/html; charset=utf-8"


def asset_url(key):
    return f"{config.theme_assets_url()}/{key}" if key else None


def menu_items(state):
    account, company = state.account, state.company
    if account is None or company is None:
        return []
    web = account.web_access
    return menu_service.menu(
        company_pages=plain_dict(company.pages),
        customer_pages=plain_dict(web.pages) if web else None,
        access_type=account.access_type,
        has_dealer_link=bool(account.dealer_codes),
        search_all=bool(web and web.search_all),
        oem_label=company.oem_label or "OEM",
        service_mode=service_requests.mode(company),
        service_url=company.service_request_url,
    )


def cart_count(state, menu):
    """The header's cart badge (distinct parts), only where the customer may order parts;
    read with the request context (repositories/request_context.py), no call of its own."""
    if state.account is None or state.user is None or not any(item.key == "parts" for item in menu):
        return None
    return state.account.cart_count


def switch_companies(state):
    """(company id, name) of the other companies this sign-in may switch to, by name."""
    if state.session is None or state.company is None or not state.session.companies:
        return []
    others = plain_dict(state.session.companies)
    others.pop(state.company.company_id, None)
    return sorted(others.items(), key=lambda item: item[1].lower())


def page(request, template: str, status: int = 200, theme=None, **context) -> Response:
    """`theme` overrides the published theme (the administrator's preview of a draft)."""
    state = request_state.of(request)
    company = state.company
    context.setdefault("field_errors", {})  # {field name: message}: templates/_fields.html
    theme = theme or (company.theme if company else None)
    menu = menu_items(state)
    body = render(
        template,
        state=state,
        company=company,
        currency=(company.currency if company else None) or "USD",
        theme=theme,
        logo_url=asset_url(theme.logo_key) if theme else None,
        favicon_url=asset_url(theme.favicon_key) if theme else None,
        home_image_url=asset_url(theme.home_image_key) if theme else None,
        switch_companies=switch_companies(state),
        menu=menu,
        # a page that has just read the cart passes its count (no second read of it)
        cart_count=context.pop("cart_count") if "cart_count" in context else cart_count(state, menu),
        user=state.user,
        account=state.account,
        csrf_token=state.csrf_token,
        nonce=state.nonce,
        local=config.is_local(),
        **context,
    )
    return Response(body=body, status_code=status, headers={"Content-Type": HTML})


def redirect(location: str, status: int = 303) -> Response:
    return Response(body="", status_code=status, headers={"Location": location})


def safe_next(value, app) -> str:
    """Where to go after signing in: a path of this host that the app serves as a page
    (matched against its own route table), else "/".  Refused: URLs, "//" anywhere,
    backslashes, control characters (browsers drop TAB and newlines, so "/<TAB>/evil"
    becomes "//evil"), and encoded slashes, backslashes or control characters."""
    if not value or len(value) > 512 or not value.startswith("/"):
        return "/"
    path, _, query = value.partition("?")
    decoded = unquote(path)
    for text in (value, decoded, unquote(query)):
        if "\\" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return "/"
    if "//" in decoded or "%2f" in path.lower() or "%5c" in path.lower():
        return "/"
    if "#" in value or not route_table.is_page(app, decoded):
        return "/"
    return value


def admin_page(request, template: str, status: int = 200, **context) -> Response:
    """A Dealer Administration page: the admin navigation and the Select Dealer control."""
    from .admin_nav import ADMIN_NAV

    state = request_state.of(request)
    return page(
        request,
        template,
        status=status,
        admin_nav=ADMIN_NAV,
        managed=state.managed_company,
        admin_companies=state.admin_companies,
        **context,
    )
