"""Parts Lookup, cart, checkout and parts orders (docs/parts.md).

Every page is behind the "parts" menu item (company setting ∩ customer page flag):
hidden, it answers 404.  A cart is the signed-in login's, on the account it works on;
an order id of another account answers 404 like an unknown one.
"""

from urllib.parse import quote, urlencode

from chalice import BadRequestError, Blueprint, NotFoundError

from ..models.base import plain_dict
from ..payments import gateway as gateway_module
from ..repositories import accounts
from ..repositories import parts as parts_repo
from ..services import parts as parts_service
from ..services import parts_orders
from ..services import payments as payments_service
from . import forms
from .customer_routes import customer_page
from .pages import page, redirect

bp = Blueprint(__name__)


def payments() -> "payments_service.PaymentService":
    return payments_service.default_service()


def _query():
    return bp.current_request.query_params or {}


def _carts(state, as_read: bool = False) -> "parts_service.Carts":
    """The cart's rules for this login and account, with the bill-to row the request context
    read; `as_read`: also start from the cart it read (pages that have written nothing yet)."""
    return parts_service.Carts(
        state.company,
        state.account.customer_no,
        state.user.user_id,
        bill_to=state.account.bill_to,
        cart=state.account.cart if as_read else None,
    )


def _version(form) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise BadRequestError("This page is out of date. Reload it and try again.") from None


# ------------------------------------------------------------------ lookup
@bp.route("/parts", methods=["GET"])
@customer_page("parts")
def lookup(state):
    query = _query()
    text = (query.get("q") or "").strip()[:80]
    carts = _carts(state)
    result = parts_service.search(state.company, carts.view, text, query.get("after")) if text else None
    return page(
        bp.current_request, "parts.html", result=result, q=text, view=carts.view, query=query, error=None, values={}
    )


@bp.route("/parts/{part_no}", methods=["GET"])
@customer_page("parts")
def part_detail(state, part_no):
    carts = _carts(state)
    company_id = state.company.company_id
    number = parts_service.part_number_stored(_unquote(part_no))
    part = parts_repo.get(company_id, number) if number else None
    if part is None:
        raise NotFoundError("Page not found")
    row = parts_service.row(part, carts.view)
    alternates = [parts_service.row(p, carts.view) for p in parts_repo.many(company_id, part.alternates or []).values()]
    chain = [parts_service.row(p, carts.view) for p in parts_service.chain(company_id, part)]
    return page(bp.current_request, "part.html", row=row, alternates=alternates, chain=chain, view=carts.view)


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value or "")[:60]


@bp.route("/parts/quick-order", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def quick_order(state):
    """A part number and a quantity straight into the cart."""
    form = forms.parse(bp.current_request)
    try:
        part = _carts(state).add((form.get("part_no") or "").strip()[:60], form.get("quantity", ""))
    except parts_service.PartsInputError as error:
        return _lookup_error(state, str(error), form)
    return redirect(f"/cart?added={quote(part.part_no)}")


def _lookup_error(state, message, form):
    carts = _carts(state)
    return page(
        bp.current_request,
        "parts.html",
        status=400,
        result=None,
        q="",
        view=carts.view,
        query={},
        error=message,
        values=form,
    )


# -------------------------------------------------------------------- cart
def _cart_page(state, *, error=None, status=200, notice=None, as_read=False, tell_again=False):
    carts = _carts(state, as_read)
    again = _told_again(carts) if tell_again else None  # before `show` may write the cart
    view, _ = carts.show(remember=True)
    return page(
        bp.current_request,
        "cart.html",
        status=status,
        cart=view,
        cart_count=view.count,
        view=carts.view,
        error=error,
        notice=notice,
        again=again,
        added=_query().get("added", "")[:40],
    )


@bp.route("/cart", methods=["GET"])
@customer_page("parts")
def cart(state):
    return _cart_page(state, as_read=True, tell_again=True)


@bp.route("/cart/add", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def cart_add(state):
    form = forms.parse(bp.current_request)
    try:
        part = _carts(state).add((form.get("part_no") or "")[:60], form.get("quantity", ""))
    except parts_service.PartsInputError as error:
        return _cart_page(state, error=str(error), status=409 if isinstance(error, parts_service.StaleCart) else 400)
    return redirect(f"/cart?added={quote(part.part_no)}")


@bp.route("/cart/update", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def cart_update(state):
    form = forms.parse(bp.current_request)
    carts = _carts(state)
    try:
        if form.get("action") == "remove":
            carts.remove((form.get("part_no") or "")[:60], _version(form))
        elif form.get("action") == "empty":
            carts.empty(_version(form))
        else:
            carts.change((form.get("part_no") or "")[:60], form.get("quantity", ""), _version(form))
    except parts_service.PartsInputError as error:
        return _cart_page(state, error=str(error), status=409 if isinstance(error, parts_service.StaleCart) else 400)
    return redirect("/cart")


# ---------------------------------------------------------------- checkout
def _checkout_page(state, *, values=None, error=None, status=200, notice=None, as_read=False):
    carts = _carts(state, as_read)
    cart_view, _ = carts.show(remember=True)
    methods = payments().enabled_methods(state.company.company_id)
    options = parts_orders.payment_options(state.company, carts.bill_to, methods, carts.view)
    values = values or {
        "order_id": payments().new_payment_id(),
        "method": options[0] if options else "",
        "po_number": "",
        "notes": "",
        "delivery": "",
        "billing_name": state.account.name,
        "billing_zip": "",
        "receipt_email": state.user.email or "",
        "account_type": "Checking",
    }
    return page(
        bp.current_request,
        "checkout.html",
        status=status,
        cart=cart_view,
        cart_count=cart_view.count,
        view=carts.view,
        options=options,
        labels=dict(payments_service.METHOD_LABELS, account="Charge to my account"),
        locations=accounts.account_locations(
            state.company.company_id, state.account.customer_no, state.account.locations
        ),
        branches=sorted(carts.view.branches.items()),
        values=dict(values, cart_version=str(cart_view.version)),
        error=error,
        notice=notice,
        po_required=bool(state.company.parts_po_required),
    )


@bp.route("/checkout", methods=["GET"])
@customer_page("parts")
def checkout(state):
    return _checkout_page(state, as_read=True)


def _pay_values(form: dict) -> dict:
    return {
        key: (form.get(key) or "")[:254]
        for key in (
            "order_id",
            "method",
            "po_number",
            "notes",
            "delivery",
            "billing_name",
            "billing_zip",
            "receipt_email",
            "account_type",
            "cart_version",
        )
    }


@bp.route("/checkout", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def checkout_review(state):
    """Charge to account: placed now.  Card / ACH: the order waits for its payment,
    reviewed here with the hosted fields."""
    form = forms.parse(bp.current_request)
    values = _pay_values(form)
    carts = _carts(state)
    company = state.company
    methods = payments().enabled_methods(company.company_id)
    try:
        order, _cart = parts_orders.review(
            company,
            state.account.customer_no,
            state.user,
            parts_orders.CheckoutForm.parse(form),
            enabled_methods=methods,
            carts=carts,
        )
    except parts_orders.CartChanged as error:
        return _checkout_page(state, values=values, error=str(error), status=409)
    except parts_orders.CheckoutError as error:
        return _checkout_page(state, values=values, error=str(error), status=400)
    if order.status != parts_repo.AWAITING_PAYMENT or order.paying_payment_id:
        return redirect(f"/parts-orders/{order.order_id}")
    try:
        payment = payments().review(
            company,
            state.account.customer_no,
            state.user.user_id,
            order.payment_id or order.order_id,
            selected=[],
            amount_cents=int(order.total_cents),
            details=lambda: payments_service.PayDetails(
                values["method"],
                values["billing_name"],
                values["billing_zip"],
                values["receipt_email"],
                values["account_type"] or None,
            ).validate(methods),
            parts_order_id=order.order_id,
        )
        if payment.status != "reviewed":
            return redirect(f"/parts-orders/{order.order_id}")
        if not parts_orders.set_payment(order, payment.payment_id):
            return redirect(f"/parts-orders/{order.order_id}")
        token, script_url = payments().start(company.company_id, payment.method)
    except payments_service.PaymentInputError as error:
        return _checkout_page(state, values=values, error=str(error), status=400)
    except payments_service.PaymentNotFound:
        raise NotFoundError("Page not found") from None
    except (
        payments_service.PaymentUnavailable,
        gateway_module.GatewayError,
        gateway_module.GatewayUncertain,
        gateway_module.NotConfigured,
    ):
        return _checkout_page(
            state,
            values=values,
            status=503,
            error=(
                "The payment service is not answering. Nothing was charged and nothing was "
                "ordered; please try again in a few minutes."
            ),
        )
    state.frame_origins = gateway_module.asset_origins()
    cents = int(payment.amount_cents)
    return page(
        bp.current_request,
        "checkout_pay.html",
        order=order,
        payment=payment,
        amount_text=f"{cents // 100}.{cents % 100:02d}",
        token=token,
        script_url=script_url,
        labels=payments_service.METHOD_LABELS,
        transaction_type=gateway_module.TRANSACTION_TYPES[payment.method],
        lines=[plain_dict(line) for line in order.lines or []],
    )


@bp.route("/checkout/confirm", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def checkout_confirm(state):
    """Pay the reviewed payment of the order (once); the order is placed when approved."""
    form = forms.parse(bp.current_request)
    company = state.company
    order = parts_orders.own_order(company.company_id, state.account.customer_no, (form.get("order_id") or "")[:40])
    payment_id = (form.get("payment_id") or "")[:40]
    if order is None:
        raise NotFoundError("Page not found")
    if order.status != parts_repo.AWAITING_PAYMENT:
        return redirect(f"/parts-orders/{order.order_id}")
    if not parts_repo.start_paying(order, payment_id):
        return _checkout_page(
            state,
            status=409,
            error=(
                "This checkout was changed in another tab or is already being paid. "
                "Nothing more was charged. Check your parts orders, or start again here."
            ),
        )
    try:
        amount = payments_service.parse_cents(form.get("amount", "")) if form.get("amount") else None
        payment = payments().pay(
            company, state.account.customer_no, payment_id, (form.get("transaction_token") or "").strip(), amount
        )
    except (
        payments_service.PaymentConflict,
        payments_service.PaymentInputError,
        payments_service.PaymentUnavailable,
    ) as error:
        return _checkout_page(
            state, status=400, error=(f"{error} Nothing was charged and nothing was ordered; start the checkout again.")
        )
    except payments_service.PaymentNotFound:
        raise NotFoundError("Page not found") from None
    if payment.status in ("approved", "settled"):
        parts_orders.place_paid(company, payment)  # a repeat (or the hook did it) is a no-op
    elif payment.status in ("declined", "failed"):
        return _checkout_page(
            state,
            status=402,
            error=(
                f"The payment was not accepted: {payment.result_message or payment.status}. "
                "Nothing was ordered and your cart is unchanged. Try again or choose another "
                "way to pay."
            ),
        )
    return redirect(f"/parts-orders/{order.order_id}")


# ------------------------------------------------------------- parts orders
@bp.route("/parts-orders", methods=["GET"])
@customer_page("parts")
def orders_list(state):
    query = _query()
    listing = parts_repo.customer_orders(state.company.company_id, state.account.customer_no, 25, query.get("after"))
    return page(bp.current_request, "parts_orders.html", listing=listing, query=query, label=parts_orders.status_label)


@bp.route("/parts-orders/{order_id}", methods=["GET"])
@customer_page("parts")
def order_detail(state, order_id):
    order = parts_orders.own_order(state.company.company_id, state.account.customer_no, order_id[:40])
    if order is None:
        raise NotFoundError("Page not found")
    payment = None
    if order.payment_id and order.payment_method in ("card", "ach"):
        from ..repositories import payments as payments_repo

        payment = payments_repo.get(state.company.company_id, order.paying_payment_id or order.payment_id)
        if (
            payment is not None
            and payment.status in ("approved", "settled")
            and order.status == parts_repo.AWAITING_PAYMENT
        ):
            # the request that paid was cut short: the approval places it here
            parts_orders.place_paid(state.company, payment)
            order = parts_repo.get_order(state.company.company_id, order.order_id) or order
    return page(
        bp.current_request,
        "parts_order.html",
        **parts_orders.order_view(state.company, order, payment),
    )


@bp.route("/parts-orders/{order_id}/again", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def order_again(state, order_id):
    order = parts_orders.own_order(state.company.company_id, state.account.customer_no, order_id[:40])
    if order is None or order.status == parts_repo.AWAITING_PAYMENT:
        raise NotFoundError("Page not found")
    wanted = [(plain_dict(line)["part_no"], int(plain_dict(line)["quantity"])) for line in order.lines or []]
    return _again(state, wanted)


@bp.route("/purchases/again", methods=["POST"], content_types=forms.FORM)
@customer_page("parts")
def purchases_again(state):
    """Purchase History line(s) → cart (part numbers and quantities of the customer's own
    lines are only what the form sends: the catalogue decides what can be ordered)."""
    fields = forms.parse_lists(bp.current_request)
    numbers = [n.strip()[:40] for n in fields.get("part_no", [])][:50]
    quantities = fields.get("quantity", [])
    wanted = []
    for index, number in enumerate(numbers):
        raw = quantities[index] if index < len(quantities) else "1"
        try:
            qty = parts_service.parse_quantity(raw)
        except parts_service.PartsInputError as error:
            return _cart_page(state, error=f"{number}: {error}", status=400)
        if number:
            wanted.append((number, qty))
    if not wanted:
        return _cart_page(state, error="Choose the lines to order again.", status=400)
    return _again(state, wanted)


def _again(state, wanted):
    """Add the lines, then 303 to the cart (a refresh repeats the GET, never the adding), whose
    address names what was added and what was not; the cart page tells why (`_told_again`)."""
    try:
        result = _carts(state).add_many(wanted)
    except parts_service.PartsInputError as error:  # nothing was written
        return _cart_page(state, error=str(error), status=409 if isinstance(error, parts_service.StaleCart) else 400)
    told = [("ordered", f"{n}*{q}") for n, q in result.added]
    told += [("not_added", f"{s.part_no}*{s.quantity}") for s in result.skipped]
    return redirect(f"/cart?{urlencode(told)}")


def _told_again(carts):
    """The outcome of an order again from the cart's address (`_again`), or None.  Entries
    that do not read as part*quantity are left out: the address is only a hint
    (Carts.told_again checks it against the cart and the catalogue)."""
    query = bp.current_request.query_params
    if not query or not ("ordered" in query or "not_added" in query):
        return None

    def lines(name):
        found = []
        for entry in query.getlist(name)[: parts_service.MAX_CART_LINES] if name in query else []:
            number, _, qty = entry.rpartition("*")
            number = number.strip()[:60]
            whole = qty.isascii() and qty.isdigit()  # not "²": int() refuses it
            if parts_service.part_number_stored(number) and whole and 0 < int(qty) <= parts_service.MAX_QTY:
                found.append((number, int(qty)))
        return found

    return carts.told_again(lines("ordered"), lines("not_added"))
