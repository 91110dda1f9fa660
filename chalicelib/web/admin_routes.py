"""Dealer Administration (/admin): dealership staff manage their portal customers.

Every route is behind `guards.administrator`, which 404s for anyone who does not
administer the host's company and puts the selected company ("Select Dealer") on
`state.managed_company`.  Every read and write below is scoped to that company:
a customer number from a URL or a form is only ever looked up under it.
"""
from chalice import BadRequestError, Blueprint, NotFoundError

from ..models.customer import PORTAL_STATUSES
from ..repositories import accounts, admin_customers, paging
from ..services import admin
from . import forms, params
from . import state as request_state
from .guards import administrator
from .pages import admin_page, redirect

bp = Blueprint(__name__)


def _state():
    return request_state.of(bp.current_request)


def _query():
    return bp.current_request.query_params or {}


def _text(query, name, limit=80):
    return (query.get(name) or "").strip()[:limit]


def _choice(query, name, allowed):
    value = query.get(name) or ""
    return value if value in allowed else ""


@bp.route("/admin", methods=["GET"])
@administrator(bp)
def admin_home():
    return redirect("/admin/customers")


@bp.route("/admin/select-dealer", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def select_dealer():
    state = _state()
    form = forms.parse(bp.current_request)
    if not admin.select(state.user, state.session, form.get("company_id", "")):
        raise NotFoundError("Page not found")
    return redirect("/admin/customers")


@bp.route("/admin/customers", methods=["GET"])
@administrator(bp)
def customers():
    state = _state()
    query = _query()
    filters = admin_customers.Filters(
        number=_text(query, "number", 40), name=_text(query, "cname"),
        location=_text(query, "location"), city=_text(query, "city"),
        erp_active=_choice(query, "erp", {"yes", "no"}),
        status=_choice(query, "status", set(PORTAL_STATUSES)),
        bounced=_choice(query, "bounced", {"yes", "no"}))
    listing = None
    if query.get("retrieve"):
        try:
            listing = admin_customers.retrieve(state.managed_company.company_id,
                                               _text(query, "name"), filters, query.get("after"))
        except paging.BadCursor:
            raise BadRequestError("This page link is out of date. "
                                  "Retrieve the customers again.") from None
    filtered = any(vars(filters).values())
    return admin_page(bp.current_request, "admin/customers.html", listing=listing,
                      filters=filters, filtered=filtered, query=query,
                      statuses=PORTAL_STATUSES, qs=params.query_string,
                      notice=query.get("notice", "")[:200] or None)


def customer_of_managed(customer_no: str):
    """The bill-to of a customer of the selected company, or 404."""
    customer = accounts.bill_to(_state().managed_company.company_id, (customer_no or "")[:40])
    if customer is None:
        raise NotFoundError("Page not found")
    return customer
