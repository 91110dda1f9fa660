"""Customer pages: orders, invoice detail, open parts, history, account, equipment."""

from datetime import timedelta

from chalice import Blueprint, NotFoundError

from ..models.base import plain_dict
from ..repositories import accounts, keys, paging, users
from ..services import account as account_service
from ..services import documents, orders, sessions
from . import forms, params
from . import state as request_state
from .guards import customer_page, signed_in
from .pages import menu_items, page, redirect

bp = Blueprint(__name__)
STATUSES = ["Received", "Scheduled", "Awaiting parts", "Ready", "Completed"]


def _query():
    return bp.current_request.query_params or {}


def _locations(account):
    """The Location filter's choices."""
    return accounts.account_locations(account.company_id, account.customer_no, account.locations)


def _field_errors(error: params.FieldError) -> dict:
    return {error.field: str(error)}


def _order_list(state, list_state: str, title: str):
    query = _query()
    account = state.account
    status, field_errors = 200, {}
    try:
        criteria = params.criteria(query)
        listing = orders.customer_orders(
            account.company_id,
            account.customer_no,
            list_state,
            criteria,
            query.get("after"),
            invoice_no=params.text(query, "invoice", "Invoice #"),
            items=account.balance_items,
        )
    except params.FieldError as error:  # the search form again, as typed, the field marked
        status, field_errors = 400, _field_errors(error)
        listing = orders.Listing([], None, False)
    return page(
        bp.current_request,
        "invoice_list.html",
        status=status,
        title=title,
        listing=listing,
        query=query,
        statuses=STATUSES,
        dealer_view=False,
        locations=_locations(account),
        detail_base="/orders",
        qs=params.query_string,
        field_errors=field_errors,
    )


@bp.route("/orders", methods=["GET"])
@customer_page("orders")
def current_orders(state):
    return _order_list(state, "open", "Current Orders")


@bp.route("/history", methods=["GET"])
@customer_page("history")
def history(state):
    return _order_list(state, "closed", "History")


# Pages that link to invoice details: the detail (and its PDF) is open when one is shown.
INVOICE_PAGES = ("orders", "history", "account", "open_parts", "purchases", "equipment", "statements")


def _own_invoice(state, invoice_no):
    detail = orders.invoice_for_customer(
        state.account.company_id, state.account.customer_no, invoice_no[:40], items=state.account.balance_items
    )
    if detail is None:
        raise NotFoundError("Page not found")
    return detail


@bp.route("/orders/{invoice_no}", methods=["GET"])
@customer_page(*INVOICE_PAGES)
def invoice_detail(state, invoice_no):
    detail = _own_invoice(state, invoice_no)
    return page(
        bp.current_request,
        "invoice.html",
        detail=detail,
        status_dates=plain_dict(detail.invoice.status_dates),
        read_only=False,
        pdf_url=f"/orders/{detail.invoice.invoice_no}/pdf",
        back=("/orders", "Current Orders") if detail.invoice.state == "open" else ("/history", "History"),
    )


@bp.route("/orders/{invoice_no}/pdf", methods=["GET"])
@customer_page(*INVOICE_PAGES)
def invoice_pdf(state, invoice_no):
    """Same access check as the detail page, then a presigned redirect (≤ 5 minutes)."""
    detail = _own_invoice(state, invoice_no)
    return redirect(documents.invoice_pdf_url(state.company, detail, bill_to=state.account.name))


@bp.route("/open-parts", methods=["GET"])
@customer_page("open_parts")
def open_parts(state):
    query = _query()
    lines, page_info, updated = orders.open_parts(
        state.account.company_id,
        state.account.customer_no,
        query.get("after"),
        location=(query.get("location") or "").strip()[: params.MAX_TEXT] or None,
    )
    return page(
        bp.current_request,
        "open_parts.html",
        lines=lines,
        page_info=page_info,
        updated_at=updated,
        query=query,
        qs=params.query_string,
        locations=_locations(state.account),
    )


@bp.route("/account", methods=["GET"])
@customer_page("account")
def open_ar(state):
    from ..services.payments import status_label

    query = _query()
    view = account_service.account_view(
        state.company,
        state.account.customer_no,
        terms_days=state.account.terms_days,
        cursor=query.get("after"),
        items=state.account.balance_items,
    )
    can_pay = "payments" in {item.key for item in menu_items(state)}
    return page(
        bp.current_request,
        "account.html",
        view=view,
        query=query,
        qs=params.query_string,
        buckets=account_service.BUCKETS,
        can_pay=can_pay,
        status_label=status_label,
    )


@bp.route("/account/history", methods=["GET"])
@customer_page("account_history")
def account_history(state):
    query = _query()
    today = account_service.company_today(state.company)
    try:
        date_from, date_to = params.date_range(query, (today - timedelta(days=365)).isoformat(), today.isoformat())
    except params.FieldError as error:  # the period form again, as typed, the field marked
        return page(
            bp.current_request,
            "account_history.html",
            status=400,
            view=None,
            date_from=query.get("from", "")[:10],
            date_to=query.get("to", "")[:10],
            query=query,
            qs=params.query_string,
            field_errors=_field_errors(error),
        )
    opening = query.get("opening")
    if opening is not None:  # carried by the pager so page 2 continues the running balance
        try:
            opening = int(opening)
        except ValueError:
            raise paging.BadCursor("opening balance of another list") from None
    view = account_service.history(
        state.company,
        state.account.customer_no,
        date_from,
        date_to,
        query.get("after"),
        opening,
        items=state.account.balance_items,
    )
    return page(
        bp.current_request,
        "account_history.html",
        view=view,
        date_from=date_from,
        date_to=date_to,
        query=query,
        qs=params.query_string,
    )


@bp.route("/purchases", methods=["GET"])
@customer_page("purchases")
def purchases(state):
    query = _query()
    try:
        date_from, date_to = params.date_range(query)
        rows, page_info = account_service.purchases(
            state.account.company_id,
            state.account.customer_no,
            params.text(query, "q", "Part number or words"),
            date_from,
            date_to,
            query.get("after"),
        )
    except params.FieldError as error:  # the search form again, as typed, the field marked
        return page(
            bp.current_request,
            "purchases.html",
            status=400,
            rows=[],
            page_info=paging.Page(),
            query=query,
            qs=params.query_string,
            field_errors=_field_errors(error),
        )
    return page(
        bp.current_request, "purchases.html", rows=rows, page_info=page_info, query=query, qs=params.query_string
    )


@bp.route("/equipment", methods=["GET"])
@customer_page("equipment")
def equipment(state):
    units = account_service.equipment(state.account.company_id, state.account.customer_no)
    return page(bp.current_request, "equipment.html", units=units)


@bp.route("/search", methods=["GET"])
@customer_page("search_all")
def search_all(state):
    query = _query()
    try:
        number = params.text(query, "invoice", "Invoice number")
    except params.FieldError as error:
        return page(
            bp.current_request,
            "search.html",
            status=400,
            number=query.get("invoice"),
            not_found=False,
            field_errors=_field_errors(error),
        )
    if number:
        return redirect(f"/search/{number.upper()}")
    return page(bp.current_request, "search.html", number=None, not_found=False)


@bp.route("/search/{invoice_no}", methods=["GET"])
@customer_page("search_all")
def search_result(state, invoice_no):
    detail = orders.search_any(
        state.company.company_id, invoice_no, state.user.user_id, state.session.account_pk, state.source_ip
    )
    if detail is None:
        return page(bp.current_request, "search.html", status=404, number=invoice_no[:40], not_found=True)
    return page(
        bp.current_request,
        "invoice.html",
        detail=detail,
        status_dates=plain_dict(detail.invoice.status_dates),
        read_only=True,
        pdf_url=None,  # another customer's invoice: never its PDF
        back=("/search", "Search All Invoices"),
    )


@bp.route("/accounts", methods=["GET"])
@signed_in(bp)
def choose_account():
    state = request_state.of(bp.current_request)
    numbers = sorted(keys.customer_no_of(pk) for pk in (state.session.account_pks or []))
    customers = accounts.bill_tos(state.company.company_id, numbers)
    return page(bp.current_request, "accounts.html", numbers=numbers, customers=customers)


@bp.route("/accounts", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def switch_account():
    state = request_state.of(bp.current_request)
    wanted = keys.account_pk(state.company.company_id, forms.parse(bp.current_request).get("customer_no", ""))
    if wanted not in (state.session.account_pks or set()):
        raise NotFoundError("Page not found")
    membership = users.get_membership_by_pk(state.user.user_id, wanted)
    if membership is None or membership.status != "active":
        raise NotFoundError("Page not found")  # inactivated since sign-in
    sessions.switch_account(state.session, wanted)
    return redirect("/")
