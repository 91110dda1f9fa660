"""Dealer Administration: the selected company's parts orders (/admin/parts-orders), so
staff can act when the ERP is slow: list with filters (status, customer, dates), detail."""

import functools

from chalice import BadRequestError, Blueprint, NotFoundError

from .. import clock
from ..repositories import paging
from ..repositories import parts as parts_repo
from ..repositories import payments as payments_repo
from ..services import parts_orders
from . import params
from . import state as request_state
from .guards import administrator
from .pages import admin_page

bp = Blueprint(__name__)


def _day_bound(day, company, end: bool):
    """The first (or last) moment of a day in the company's time zone."""
    if not day:
        return None
    from datetime import UTC, date, datetime, time

    moment = datetime.combine(date.fromisoformat(day), time.max if end else time.min, clock.zone(company.time_zone))
    return moment.astimezone(UTC)


def _statuses() -> list:
    return [s for s in parts_orders.STATUS_LABELS if s != parts_repo.AWAITING_PAYMENT]


def admin_only(view):
    @functools.wraps(view)
    @administrator(bp)
    def wrapper(*args, **kwargs):
        state = request_state.of(bp.current_request)
        try:
            return view(state, state.managed_company, *args, **kwargs)
        except paging.BadCursor:
            raise BadRequestError("This page link is out of date.") from None

    return wrapper


@bp.route("/admin/parts-orders", methods=["GET"])
@admin_only
def parts_orders_list(state, company):
    query = bp.current_request.query_params or {}
    date_from, date_to = params.date_range(query)  # checked: dates, and From ≤ To (400 otherwise)
    status = query.get("status") if query.get("status") in _statuses() else ""
    customer = (params.text(query, "customer") or "").upper()[:40]
    listing = parts_repo.company_orders(
        company.company_id,
        status=status,
        customer_no=customer,
        date_from=_day_bound(date_from, company, end=False),
        date_to=_day_bound(date_to, company, end=True),
        cursor=query.get("after"),
    )
    return admin_page(
        bp.current_request,
        "admin/parts_orders.html",
        listing=listing,
        query=query,
        statuses=_statuses(),
        qs=params.query_string,
        label=parts_orders.status_label,
        labels=parts_orders.STATUS_LABELS,
    )


@bp.route("/admin/parts-orders/{order_id}", methods=["GET"])
@admin_only
def parts_order_detail(state, company, order_id):
    order = (
        parts_repo.get_order(company.company_id, order_id[:40]) if parts_orders.ORDER_ID.match(order_id or "") else None
    )
    if order is None:
        raise NotFoundError("Page not found")
    payment = (
        payments_repo.get(company.company_id, order.paying_payment_id or order.payment_id) if order.payment_id else None
    )
    return admin_page(
        bp.current_request,
        "admin/parts_order.html",
        **parts_orders.order_view(company, order, payment),
    )
