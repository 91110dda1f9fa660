"""OEM pages: work the dealership does for a sub-dealer's own customers."""

from chalice import Blueprint, NotFoundError

from ..models.base import plain_dict
from ..repositories import accounts, invoices
from ..services import documents, orders
from . import params
from .customer_routes import STATUSES
from .guards import customer_page
from .pages import page, redirect

bp = Blueprint(__name__)


def _query():
    return bp.current_request.query_params or {}


def _dealer_list(state, list_state, title, customer_no=None):
    """An OEM list; `customer_no` limits it to that end customer, shown only when this
    dealer has served it (an invoice with it): any other number, known or not, answers
    the same 404 (a dealer learns no other customer's name)."""
    query = _query()
    company_id = state.account.company_id
    try:
        criteria = params.criteria(query)
        criteria.customer_no = customer_no
        listing = orders.dealer_orders(
            company_id,
            state.account.dealer_codes,
            list_state,
            criteria,
            query.get("after"),
            invoice_no=params.text(query, "invoice", "Invoice #"),
        )
    except params.FieldError as error:  # the search form again, as typed, the field marked
        return page(
            bp.current_request,
            "invoice_list.html",
            status=400,
            title=title,
            listing=orders.Listing([], None, False),
            query=query,
            statuses=STATUSES,
            dealer_view=True,
            customer_names={},
            locations=[],
            detail_base="/dealer/orders",
            qs=params.query_string,
            field_errors={error.field: str(error)},
        )
    if customer_no is not None:
        # Rows on the page prove the customer was served; only an empty page asks the index.
        served = bool(listing.rows) or invoices.customer_has_dealer_invoice(
            company_id, customer_no, state.account.dealer_codes
        )
        customer = accounts.bill_to(company_id, customer_no) if served else None
        if customer is None:
            raise NotFoundError("Page not found")
        names = {customer.customer_no: customer.name}
        title = title.format(name=customer.name)
    else:
        names = accounts.names(company_id, [row.invoice.customer_no for row in listing.rows])
    return page(
        bp.current_request,
        "invoice_list.html",
        title=title,
        listing=listing,
        query=query,
        statuses=STATUSES,
        dealer_view=True,
        customer_names=names,
        locations=[],
        detail_base="/dealer/orders",
        qs=params.query_string,
    )


def _oem(state):
    return state.company.oem_label or "OEM"


@bp.route("/dealer/orders", methods=["GET"])
@customer_page("dealer_orders")
def dealer_open_orders(state):
    return _dealer_list(state, "open", f"{_oem(state)} Open Orders")


@bp.route("/dealer/history", methods=["GET"])
@customer_page("dealer_history")
def dealer_history(state):
    return _dealer_list(state, "closed", f"{_oem(state)} History")


@bp.route("/dealer/customers/{customer_no}", methods=["GET"])
@customer_page("dealer_orders")
def dealer_customer(state, customer_no):
    return _dealer_list(state, "open", "{name}: open orders with you", customer_no=customer_no[:40])


def _dealer_invoice(state, invoice_no):
    detail = orders.invoice_for_dealer(state.account.company_id, state.account.dealer_codes, invoice_no[:40])
    if detail is None:
        raise NotFoundError("Page not found")
    return detail


@bp.route("/dealer/orders/{invoice_no}", methods=["GET"])
@customer_page("dealer_orders", "dealer_history")
def dealer_invoice(state, invoice_no):
    detail = _dealer_invoice(state, invoice_no)
    back = "/dealer/orders" if detail.invoice.state == "open" else "/dealer/history"
    return page(
        bp.current_request,
        "invoice.html",
        detail=detail,
        status_dates=plain_dict(detail.invoice.status_dates),
        read_only=True,
        pdf_url=f"/dealer/orders/{detail.invoice.invoice_no}/pdf",
        back=(back, f"{_oem(state)} orders"),
    )


@bp.route("/dealer/orders/{invoice_no}/pdf", methods=["GET"])
@customer_page("dealer_orders", "dealer_history")
def dealer_invoice_pdf(state, invoice_no):
    """The dealer on the invoice may download it, as it may open its details."""
    return redirect(documents.invoice_pdf_url(state.company, _dealer_invoice(state, invoice_no)))
