"""Pay on account (/account/pay): choose → review with hosted fields → confirm → result.

The pay form mints a one-time payment id; every later step carries it, so a
double click, a refresh or a retry reaches the same payment and never charges twice.
Card and bank numbers are typed into the gateway's hosted fields (an iframe from
its own origin) and never reach these routes.
"""

from chalice import Blueprint, NotFoundError

from ..models.base import plain_dict
from ..payments import gateway as gateway_module
from ..repositories import payments as payments_repo
from ..services import account as account_service
from ..services import payments as payments_service
from . import forms
from .guards import customer_page
from .pages import page, redirect

bp = Blueprint(__name__)


def service() -> "payments_service.PaymentService":
    return payments_service.default_service()


def _open_invoices(state):
    summary = account_service.open_ar(
        state.company,
        state.account.customer_no,
        terms_days=state.account.terms_days,
        items=state.account.balance_items,
    )
    return summary, [payments_service.OpenInvoice(row.invoice.invoice_no, row.balance_cents) for row in summary.rows]


def _form_values(fields: dict) -> dict:
    first = {key: values[0] for key, values in fields.items()}
    return {
        "payment_id": first.get("payment_id", ""),
        "invoices": [n[:40] for n in fields.get("invoice", [])][:200],
        "amount": first.get("amount", "").strip()[:20],
        "method": first.get("method", ""),
        "billing_name": first.get("billing_name", ""),
        "billing_zip": first.get("billing_zip", ""),
        "receipt_email": first.get("receipt_email", ""),
        "account_type": first.get("account_type", "") or None,
        "transaction_token": first.get("transaction_token", "").strip(),
    }


def _details(values: dict, methods) -> "payments_service.PayDetails":
    return payments_service.PayDetails(
        values["method"], values["billing_name"], values["billing_zip"], values["receipt_email"], values["account_type"]
    ).validate(methods)


def _amount(values):
    return payments_service.parse_cents(values["amount"]) if values["amount"] else None


def _pay_form(state, *, values=None, error=None, status=200, field=None):
    """`field`: the one `error` is about; its message goes next to it."""
    summary, _ = _open_invoices(state)
    methods = service().enabled_methods(state.company.company_id)
    values = values or {
        "payment_id": service().new_payment_id(),
        "invoices": [],
        "amount": "",
        "method": methods[0] if methods else "",
        "billing_name": state.account.name,
        "billing_zip": "",
        "receipt_email": state.user.email or "",
        "account_type": "Checking",
    }
    field_errors = {field: error} if field and error else {}
    if field_errors:
        error = "Nothing was charged: correct the field marked below."
    return page(
        bp.current_request,
        "pay.html",
        status=status,
        summary=summary,
        methods=methods,
        labels=payments_service.METHOD_LABELS,
        values=values,
        error=error,
        field_errors=field_errors,
        allow_on_account=bool(state.company.allow_payment_on_account),
    )


def _refused(state, values, error, status):
    """Back to the pay form, filled in as sent, with a new payment id."""
    return _pay_form(
        state,
        values=dict(values, payment_id=service().new_payment_id()),
        error=f"{error} Nothing was charged.",
        status=status,
    )


@bp.route("/account/pay", methods=["GET"])
@customer_page("payments")
def pay_form(state):
    return _pay_form(state)


@bp.route("/account/pay", methods=["POST"], content_types=forms.FORM)
@customer_page("payments")
def pay_review(state):
    """Create the payment (amount and allocations fixed, oldest first) and show it
    with the hosted fields."""
    values = _form_values(forms.parse_lists(bp.current_request))
    methods = service().enabled_methods(state.company.company_id)
    try:
        payment = service().review(
            state.company,
            state.account.customer_no,
            state.user.user_id,
            values["payment_id"],
            selected=values["invoices"],
            amount_cents=_amount(values),
            details=lambda: _details(values, methods),
        )
        if payment.status != "reviewed":
            return redirect(f"/account/pay/{payment.payment_id}")  # back button after paying
        token, script_url = service().start(state.company.company_id, payment.method)
    except payments_service.PaymentInputError as error:
        return _pay_form(state, values=values, error=str(error), status=400, field=error.field)
    except payments_service.PaymentNotFound:
        raise NotFoundError("Page not found") from None
    except (
        payments_service.PaymentUnavailable,
        gateway_module.GatewayError,
        gateway_module.GatewayUncertain,
        gateway_module.NotConfigured,
    ):
        return _pay_form(
            state,
            values=values,
            status=503,
            error="The payment service is not answering. Nothing was charged; please try again in a few minutes.",
        )
    state.frame_origins = gateway_module.asset_origins()
    cents = int(payment.amount_cents)
    return page(
        bp.current_request,
        "pay_review.html",
        values=values,
        payment=payment,
        plan=payments_service.Plan(plain_dict(payment.allocations), cents),
        amount_text=f"{cents // 100}.{cents % 100:02d}",
        token=token,
        script_url=script_url,
        transaction_type=gateway_module.TRANSACTION_TYPES[payment.method],
        labels=payments_service.METHOD_LABELS,
    )


@bp.route("/account/pay/confirm", methods=["POST"], content_types=forms.FORM)
@customer_page("payments")
def pay_confirm(state):
    """Charge the reviewed payment: its stored amount and allocations, nothing posted."""
    values = _form_values(forms.parse_lists(bp.current_request))
    try:
        payment = service().pay(
            state.company, state.account.customer_no, values["payment_id"], values["transaction_token"], _amount(values)
        )
    except payments_service.PaymentConflict as error:
        return _refused(state, values, error, 409)
    except payments_service.PaymentInputError as error:
        return _refused(state, values, error, 400)
    except payments_service.PaymentUnavailable as error:
        return _refused(state, values, error, 503)
    except payments_service.PaymentNotFound:
        raise NotFoundError("Page not found") from None
    return redirect(f"/account/pay/{payment.payment_id}")


@bp.route("/account/pay/{payment_id}", methods=["GET"])
@customer_page("payments")
def pay_result(state, payment_id):
    payment = (
        payments_repo.get(state.company.company_id, payment_id[:40])
        if payments_service.PAYMENT_ID.match(payment_id or "")
        else None
    )
    if payment is None or payment.customer_no != state.account.customer_no or payment.kind != "payment":
        raise NotFoundError("Page not found")
    return page(
        bp.current_request,
        "pay_result.html",
        payment=payment,
        status_text=payments_service.status_label(payment),
        method_label=payments_service.METHOD_LABELS.get(payment.method, payment.method),
        allocations=sorted(plain_dict(payment.allocations).items()),
        on_account_cents=int(payment.amount_cents) - sum(int(c) for c in plain_dict(payment.allocations).values()),
    )
