"""Dealer Administration (/admin): dealership staff manage their portal customers.

Every route is behind `guards.administrator`, which 404s for anyone who does not
administer the host's company and puts the selected company ("Select Dealer") on
`state.managed_company`.  Every read and write below is scoped to that company:
a customer number from a URL or a form is only ever looked up under it.
"""
from urllib.parse import quote, urlencode

from chalice import BadRequestError, Blueprint, NotFoundError

from .. import clock
from ..models.customer import PORTAL_STATUSES
from ..repositories import accounts, admin_customers, paging
from ..services import admin, invitations, portal_access
from . import forms, params
from . import state as request_state
from .guards import administrator
from .pages import admin_page, page, redirect

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


def _partial() -> bool:
    """The JavaScript dialog asks for the bare fragment (no page around it)."""
    request = bp.current_request
    if (request.query_params or {}).get("partial") == "1":
        return True
    return request.method == "POST" and forms.parse(request).get("partial") == "1"


def _dialog(template: str, status: int = 200, **context):
    """An action's dialog: the bare fragment for the script, else a full admin page."""
    if _partial():
        return page(bp.current_request, template, status=status, **context)
    return admin_page(bp.current_request, "admin/action_page.html", status=status,
                      fragment=template, **context)


def _back(customer_no: str) -> str:
    return "/admin/customers?" + urlencode({"retrieve": "1", "number": customer_no})


# ------------------------------------------------------------- invitations
@bp.route("/admin/customers/{customer_no}/invite", methods=["GET"])
@administrator(bp)
def invite_dialog(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    return _dialog("admin/_invite.html", customer=customer, outcome=None,
                   choices=invitations.choices(state.managed_company.company_id,
                                               customer.customer_no),
                   back=_back(customer.customer_no))


@bp.route("/admin/customers/{customer_no}/invite", methods=["POST"],
          content_types=forms.FORM)
@administrator(bp)
def invite_send(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    form = forms.parse(bp.current_request)
    outcome = invitations.invite(state.managed_company, customer.customer_no,
                                 form.get("contact_id", "")[:80], state.user, state.source_ip,
                                 clock.now())
    choices = [] if outcome.ok else invitations.choices(state.managed_company.company_id,
                                                        customer.customer_no)
    return _dialog("admin/_invite.html", status=200 if outcome.ok else 400, customer=customer,
                   outcome=outcome, choices=choices, back=_back(customer.customer_no))


# ------------------------------------------------- inactivate / reactivate
def _access_dialog(customer_no, active: bool):
    state = _state()
    customer = customer_of_managed(customer_no)
    logins = admin_customers.account_memberships(state.managed_company.company_id,
                                                 customer.customer_no)
    return _dialog("admin/_access.html", customer=customer, active=active, logins=logins,
                   outcome=None, back=_back(customer.customer_no))


def _access_change(customer_no, active: bool):
    state = _state()
    customer = customer_of_managed(customer_no)
    message = portal_access.set_portal_access(state.managed_company, customer.customer_no,
                                              active, state.user, state.source_ip, clock.now())
    return _dialog("admin/_access.html", customer=customer, active=active, logins=[],
                   outcome=message, back=_back(customer.customer_no))


@bp.route("/admin/customers/{customer_no}/inactivate", methods=["GET"])
@administrator(bp)
def inactivate_dialog(customer_no):
    return _access_dialog(customer_no, False)


@bp.route("/admin/customers/{customer_no}/inactivate", methods=["POST"],
          content_types=forms.FORM)
@administrator(bp)
def inactivate(customer_no):
    return _access_change(customer_no, False)


@bp.route("/admin/customers/{customer_no}/reactivate", methods=["GET"])
@administrator(bp)
def reactivate_dialog(customer_no):
    return _access_dialog(customer_no, True)


@bp.route("/admin/customers/{customer_no}/reactivate", methods=["POST"],
          content_types=forms.FORM)
@administrator(bp)
def reactivate(customer_no):
    return _access_change(customer_no, True)


# -------------------------------------------------------------- web access
def _web_access_page(customer, form, status=200, error=None, notice=None):
    company = _state().managed_company
    return admin_page(bp.current_request, "admin/web_access.html", status=status,
                      customer=customer, form=form, flags=portal_access.PAGE_FLAGS,
                      read_only=portal_access.read_only_reason(company), error=error,
                      notice=notice, back=_back(customer.customer_no),
                      linked_dealers=accounts.linked_dealer_codes(company.company_id,
                                                                  customer.customer_no))


@bp.route("/admin/customers/{customer_no}/web-access", methods=["GET"])
@administrator(bp)
def web_access_form(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    web = accounts.get_web_access(state.managed_company.company_id, customer.customer_no)
    notice = "Web access saved." if (_query().get("saved") == "1") else None
    return _web_access_page(customer, portal_access.WebAccessForm.of(web), notice=notice)


@bp.route("/admin/customers/{customer_no}/web-access", methods=["POST"],
          content_types=forms.FORM)
@administrator(bp)
def web_access_save(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    form = portal_access.WebAccessForm.parse(forms.parse(bp.current_request))
    error = portal_access.save_web_access(state.managed_company, customer.customer_no, form,
                                          state.user, state.source_ip, clock.now())
    if error:
        form.password = ""
        return _web_access_page(customer, form, status=400, error=error)
    return redirect(f"/admin/customers/{quote(customer.customer_no)}/web-access?saved=1")
