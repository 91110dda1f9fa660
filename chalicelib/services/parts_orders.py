"""Checkout and parts orders (docs/parts.md).

- The checkout form mints the order id; every later step carries it, so a double
  click, a refresh or a retry reaches the same order.
- "Charge to my account": the order is written placed at once, only if its id is new.
- Card / ACH: the order is written `awaiting_payment`, its payment reviewed and paid
  through PaymentService (pending first, idempotency key, reconciler, receipt,
  payments feed); the order is placed by one conditional update when that payment is
  approved (ACH: pending settlement), by whichever of the request or the reconciler
  sees the approval first.  Only the placer sends the confirmation and empties the cart.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import clock
from ..email import EmailError
from ..logs import logger
from ..models import Company, PartsOrder, Payment
from ..models.base import plain_dict
from ..repositories import accounts
from ..repositories import parts as parts_repo
from . import parts as parts_service

STATUS_LABELS = {
    "awaiting_payment": "Awaiting payment",
    "placed": "Placed",
    "received": "Received",
    "picking": "Being picked",
    "shipped": "Shipped",
    "backordered": "Back-ordered",
    "invoiced": "Invoiced",
    "cancelled": "Cancelled",
    "expired": "Expired: never paid",
}
# An order still awaiting payment this long after it (and its payment) was written, whose
# payment is not pending, approved or settled, is expired by the payment reconciler.  A
# review can be confirmed for 20 minutes only (services/payments.py REVIEW_LIFETIME), so
# nothing can still charge it; should its own payment be approved anyway, it is placed.
AWAITING_LIFETIME = timedelta(hours=24)
UNPAID_FINAL = ("declined", "failed", "expired", "voided")
ORDER_ID = re.compile(r"^[0-9a-f]{24}$")
PO = re.compile(r"^[\w .,/#&()-]{1,40}$")


class CheckoutError(ValueError):
    """The checkout cannot go on as sent; the message says why (the form shows it)."""


class CartChanged(CheckoutError):
    """Prices, availability or the cart changed since the page was shown."""


def status_label(order: PartsOrder) -> str:
    return STATUS_LABELS.get(order.status, (order.status or "").title())


@dataclass
class Delivery:
    ship_to: dict | None
    pickup_branch: str | None


@dataclass
class CheckoutForm:
    order_id: str
    cart_version: str
    delivery: str  # "ship:<location id>" or "pickup:<branch code>"
    po_number: str
    notes: str
    method: str  # account | card | ach

    @classmethod
    def parse(cls, form: dict) -> "CheckoutForm":
        return cls(
            order_id=(form.get("order_id") or "")[:40],
            cart_version=(form.get("cart_version") or "")[:12],
            delivery=(form.get("delivery") or "")[:90],
            po_number=" ".join((form.get("po_number") or "").split())[:41],
            notes=(form.get("notes") or "").strip()[:1001],
            method=(form.get("method") or "")[:10],
        )


def payment_options(company: Company, bill_to, enabled_methods: list[str], view: parts_service.View) -> list[str]:
    """ "account" when the company offers it and the ERP allows it for this customer;
    card/ACH with credentials, when the customer can see what they pay."""
    options = []
    if company.parts_charge_to_account and bill_to is not None and bill_to.charge_to_account:
        options.append("account")
    if view.prices_shown:
        options.extend(enabled_methods)
    return options


def delivery_of(form: CheckoutForm, locations, branches: dict, bill_to) -> Delivery:
    kind, _, value = form.delivery.partition(":")
    if kind == "ship":
        location = next((loc for loc in locations if loc.location_id == value), None)
        if location is None:
            raise CheckoutError("Choose where to ship the order: one of your locations.")
        address = {
            "location_id": location.location_id,
            "name": location.location_name or (bill_to.name if bill_to else ""),
            "city": location.city or "",
        }
        return Delivery(address, None)
    if kind == "pickup" and value in branches:
        return Delivery(None, value)
    raise CheckoutError("Choose where to ship the order, or a branch to pick it up at.")


def check_form(company: Company, form: CheckoutForm, options: list[str]) -> None:
    if not ORDER_ID.match(form.order_id):
        raise CheckoutError("This checkout page is out of date. Start again from your cart.")
    if company.parts_po_required and not form.po_number:
        raise CheckoutError("Enter your PO number: it is required for parts orders.")
    if form.po_number and not PO.match(form.po_number):
        raise CheckoutError("The PO number is 1 to 40 letters, digits, spaces or . , / # & ( ) -")
    if len(form.notes) > 1000:
        raise CheckoutError("Notes can be at most 1,000 characters.")
    if form.method not in options:
        raise CheckoutError(
            "Choose how to pay." if options else "Online ordering is not available for your account; call us."
        )


def build_order(
    company: Company,
    customer_no: str,
    user,
    form: CheckoutForm,
    delivery: Delivery,
    cart_view,
    carts: parts_service.Carts,
    now: datetime,
) -> PartsOrder:
    found = {line.row.part.part_no: line.row.part for line in cart_view.lines}
    lines, total = [], 0
    for line in cart_view.lines:
        part = found[line.row.part.part_no]
        price = parts_service.price_of(part, carts.view.order_level)
        ext = price * line.quantity
        total += ext
        lines.append(
            {
                "part_no": part.part_no,
                "description": part.description,
                "unit": part.unit or "EA",
                "quantity": line.quantity,
                "price_cents": price,
                "extension_cents": ext,
            }
        )
    return PartsOrder(
        company.company_id,
        form.order_id,
        customer_no=customer_no,
        user_id=user.user_id,
        status=parts_repo.AWAITING_PAYMENT if form.method != "account" else parts_repo.PLACED,
        po_number=form.po_number or None,
        notes=form.notes or None,
        ship_to=delivery.ship_to,
        pickup_branch=delivery.pickup_branch,
        lines=lines,
        total_cents=total,
        payment_method=form.method,
        receipt_email=user.email,
        cart_version=cart_view.version,
        created_at=now,
        placed_at=now if form.method == "account" else None,
        history=[{"status": "placed", "at": now.isoformat()}] if form.method == "account" else [],
    )


def review(
    company: Company,
    customer_no: str,
    user,
    form: CheckoutForm,
    *,
    enabled_methods: list[str],
    carts: parts_service.Carts,
    repo=parts_repo,
    now=clock.utcnow,
):
    """Check the checkout as sent against the cart as it is now.  Returns
    (order, cart_view): an order placed (charge to account) or awaiting payment."""
    existing = repo.get_order(company.company_id, form.order_id) if ORDER_ID.match(form.order_id) else None
    if existing is not None:
        if existing.customer_no != customer_no:
            raise CheckoutError("This checkout page is out of date. Start again from your cart.")
        if existing.status != parts_repo.AWAITING_PAYMENT or existing.paying_payment_id:
            return existing, None  # placed or being paid already: shown as it is
    cart_view, _cart = carts.show(remember=True)
    if not cart_view.lines:
        raise CheckoutError("Your cart is empty.")
    if str(cart_view.version) != form.cart_version or cart_view.notices:
        raise CartChanged(
            "Your cart changed since this page was shown"
            + (": " + " ".join(cart_view.notices) if cart_view.notices else ".")
            + " Check it and place the order again."
        )
    if cart_view.blocked:
        raise CheckoutError(" ".join(cart_view.blocked))
    bill_to = carts.bill_to
    options = payment_options(company, bill_to, enabled_methods, carts.view)
    check_form(company, form, options)
    delivery = delivery_of(form, accounts.locations(company.company_id, customer_no), carts.view.branches, bill_to)
    order = build_order(company, customer_no, user, form, delivery, cart_view, carts, now())
    if form.method == "account":
        if repo.create_placed(order):
            after_placed(company, order, repo=repo, now=now)
            return order, cart_view
        return repo.get_order(company.company_id, form.order_id), cart_view
    if not repo.save_draft(order):  # being paid meanwhile (another tab)
        return repo.get_order(company.company_id, form.order_id), cart_view
    return order, cart_view


def set_payment(order: PartsOrder, payment_id: str, repo=parts_repo) -> bool:
    order.payment_id = payment_id
    return repo.save_draft(order)


def place_paid(company: Company, payment: Payment, repo=parts_repo, now=clock.utcnow) -> bool:
    """The payment of an order is approved: place the order (once)."""
    if not payment.parts_order_id or payment.status not in ("approved", "settled"):
        return False
    order = repo.get_order(company.company_id, payment.parts_order_id)
    if order is None or order.customer_no != payment.customer_no:
        return False
    if order.status not in (parts_repo.AWAITING_PAYMENT, parts_repo.EXPIRED):
        return False
    if not repo.place(order, payment.payment_id, now()):
        return False
    order = repo.get_order(company.company_id, order.order_id) or order
    after_placed(company, order, repo=repo, now=now)
    return True


def reconcile_awaiting(company: Company, payments_repo, now: datetime, repo=parts_repo, limit: int = 100) -> dict:
    """The scheduled reconciler's look at the orders awaiting payment (oldest first,
    ≤ `limit` a run): one whose payment is approved/settled is placed (the request that
    paid died before placing it); one older than AWAITING_LIFETIME whose payment never
    happened is expired.  A pending payment is left to the payment reconciler."""
    summary = {"orders_placed": 0, "orders_expired": 0}
    for order_id in repo.awaiting_ids(company.company_id, limit):
        order = repo.get_order(company.company_id, order_id)
        if order is None or order.status != parts_repo.AWAITING_PAYMENT:
            continue
        payment_id = order.paying_payment_id or order.payment_id
        payment = payments_repo.get(company.company_id, payment_id) if payment_id else None
        if payment is not None and payment.status in ("approved", "settled"):
            if place_paid(company, payment, repo=repo, now=lambda: now):
                summary["orders_placed"] += 1
            continue
        if not _unpaid_for_good(order, payment, now):
            continue
        if repo.expire(order, now):
            summary["orders_expired"] += 1
            logger.info("parts order expired unpaid", extra={"order_id": order.order_id})
    return summary


def _unpaid_for_good(order: PartsOrder, payment: Payment | None, now: datetime) -> bool:
    if now - (order.created_at or now) < AWAITING_LIFETIME:
        return False
    if payment is None:
        return True
    if payment.status in UNPAID_FINAL:
        return True
    return payment.status == "reviewed" and now - (payment.created_at or now) >= AWAITING_LIFETIME


def after_placed(company: Company, order: PartsOrder, repo=parts_repo, now=clock.utcnow, send=None) -> None:
    """Empty the cart the order came from (unless it changed since) and send the
    confirmation; a mail failure leaves the order placed (the page shows it)."""
    repo.empty_after_order(company.company_id, order.customer_no, order.user_id, int(order.cart_version or 0), now())
    if not order.receipt_email:
        return
    from .. import email

    try:
        (send or email.send)(
            company,
            order.receipt_email,
            "parts_order",
            order=order,
            lines=[plain_dict(line) for line in order.lines or []],
            status=status_label(order),
            ship_to=plain_dict(order.ship_to) if order.ship_to else None,
            branch_name=plain_dict(company.parts_branches or {}).get(order.pickup_branch or "", order.pickup_branch),
        )
    except EmailError as error:
        logger.warning("order confirmation not sent", extra={"order_id": order.order_id, "error": str(error)[:200]})
        return
    repo.mark_confirmation_sent(order)


def own_order(company_id: str, customer_no: str, order_id: str, repo=parts_repo) -> PartsOrder | None:
    """The account's order, or None (another account's id answers the same)."""
    if not ORDER_ID.match(order_id or ""):
        return None
    order = repo.get_order(company_id, order_id)
    if order is None or order.customer_no != customer_no:
        return None
    return order


# ------------------------------------------------------------ the ERP's status
def apply_erp_status(company: Company, record, repo=parts_repo) -> tuple[str, str | None]:
    """(outcome, error) of one `parts-order-status` record (stale rule as for records)."""
    order = repo.get_order(company.company_id, record.order_id) if ORDER_ID.match(record.order_id) else None
    if order is None or order.status == parts_repo.AWAITING_PAYMENT:
        return "rejected", "no placed parts order with this id"
    if order.erp_updated_at is not None and order.erp_updated_at >= record.updated_at:
        same = order.status == record.status
        return ("unchanged" if same else "skipped_stale"), None
    history = list(order.history or []) + [
        {"status": record.status, "at": record.updated_at.isoformat(), "note": record.note or ""}
    ]
    actions = [PartsOrder.status.set(record.status), PartsOrder.history.set(history[-50:])]
    if record.carrier:
        actions.append(PartsOrder.carrier.set(record.carrier))
    if record.tracking_no:
        actions.append(PartsOrder.tracking_no.set(record.tracking_no))
    if record.invoice_no:
        actions.append(PartsOrder.invoice_no.set(record.invoice_no))
    if record.backordered_lines:
        actions.append(PartsOrder.backordered.set({line.part_no: line.qty for line in record.backordered_lines}))
    if not repo.set_erp_status(order, actions, record.updated_at):
        return "skipped_stale", None
    return "updated", None


def order_view(company: Company, order: PartsOrder, payment: Payment | None) -> dict:
    """What a parts order's page shows, for the customer's and the administrator's page alike."""
    from . import payments as payments_service

    return {
        "order": order,
        "payment": payment,
        "status_text": status_label(order),
        "payment_status": payments_service.status_label(payment) if payment else None,
        "lines": [plain_dict(line) for line in order.lines or []],
        "ship_to": plain_dict(order.ship_to) if order.ship_to else None,
        "backordered": plain_dict(order.backordered or {}),
        "history": [plain_dict(h) for h in order.history or []],
        "branch_name": plain_dict(company.parts_branches or {}).get(order.pickup_branch or "", order.pickup_branch),
        "labels": dict(payments_service.METHOD_LABELS, account="Charged to account"),
    }
