"""Dealer Administration: the selected company's portal payments (/admin/payments).

List with filters (status, method, date, customer, needs attention), detail, void
(before settlement) and refund; every void and refund is audited.  Behind
`guards.administrator` (404 for anyone else); everything works on
`state.managed_company`, the company chosen with "Select Dealer".
"""

from datetime import UTC, datetime, time
from urllib.parse import quote

from chalice import Blueprint, NotFoundError

from .. import clock
from ..models.base import plain_dict
from ..repositories import payments as payments_repo
from ..services import payments as payments_service
from . import forms, params
from .guards import admin_view
from .pages import admin_page, redirect

bp = Blueprint(__name__)
STATUSES = ["pending", "approved", "declined", "failed", "voided"]


def service() -> "payments_service.PaymentService":
    return payments_service.default_service()


admin_only = admin_view(bp)


def _day_bound(day: str, company, end: bool):
    if not day:
        return None
    zone = clock.zone(company.time_zone)
    from datetime import date

    moment = datetime.combine(date.fromisoformat(day), time.max if end else time.min, zone)
    return moment.astimezone(UTC)


@bp.route("/admin/payments", methods=["GET"])
@admin_only
def payments_list(state, company):
    query = bp.current_request.query_params or {}
    date_from = params.iso_date(query, "from", "From date")
    date_to = params.iso_date(query, "to", "To date")
    status = query.get("status") if query.get("status") in STATUSES else None
    method = query.get("method") if query.get("method") in ("card", "ach") else None
    customer = (params.text(query, "customer") or "").upper() or None
    attention = query.get("attention") == "1"
    listing = payments_repo.for_company(
        company.company_id,
        date_from=_day_bound(date_from, company, False),
        date_to=_day_bound(date_to, company, True),
        status=status,
        method=method,
        customer_no=customer,
        needs_attention=attention,
        cursor=query.get("after"),
    )
    return admin_page(
        bp.current_request,
        "admin/payments.html",
        listing=listing,
        query=query,
        statuses=STATUSES,
        qs=params.query_string,
        label=payments_service.status_label,
    )


def _payment(company, payment_id):
    payment = (
        payments_repo.get(company.company_id, payment_id[:40])
        if payments_service.PAYMENT_ID.match(payment_id or "")
        else None
    )
    if payment is None:
        raise NotFoundError("Page not found")
    return payment


@bp.route("/admin/payments/{payment_id}", methods=["GET"])
@admin_only
def payment_detail(state, company, payment_id):
    payment = _payment(company, payment_id)
    refunds = payments_repo.refunds_of(payment) if payment.kind == "payment" else []
    notice = (bp.current_request.query_params or {}).get("notice")
    return admin_page(
        bp.current_request,
        "admin/payment.html",
        payment=payment,
        refunds=refunds,
        allocations=sorted(plain_dict(payment.allocations).items()),
        label=payments_service.status_label,
        notice=notice[:300] if notice else None,
        refund_id=service().new_payment_id(),
        room_cents=int(payment.amount_cents) - int(payment.refunded_cents or 0),
    )


@bp.route("/admin/payments/{payment_id}/void", methods=["POST"], content_types=forms.FORM)
@admin_only
def payment_void(state, company, payment_id):
    payment = _payment(company, payment_id)
    try:
        message = service().void(company, payment.payment_id, actor=state.user.user_id, source_ip=state.source_ip)
    except (payments_service.PaymentInputError, payments_service.PaymentNotFound) as error:
        message = str(error) or "Not found."
    return redirect(f"/admin/payments/{payment.payment_id}?notice={quote(message)}")


@bp.route("/admin/payments/{payment_id}/refund", methods=["POST"], content_types=forms.FORM)
@admin_only
def payment_refund(state, company, payment_id):
    payment = _payment(company, payment_id)
    fields = forms.parse(bp.current_request)
    try:
        cents = payments_service.parse_cents(fields.get("amount", ""))
        message = service().refund(
            company,
            payment.payment_id,
            fields.get("refund_id", ""),
            cents,
            actor=state.user.user_id,
            source_ip=state.source_ip,
        )
    except payments_service.PaymentInputError as error:
        message = str(error)
    except payments_service.PaymentNotFound:
        raise NotFoundError("Page not found") from None
    return redirect(f"/admin/payments/{payment.payment_id}?notice={quote(message)}")
