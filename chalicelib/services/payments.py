"""Pay on account by card or ACH (docs/payments.md): the rules that keep money safe.

- The payment is written `pending` (conditional put; its id is the gateway's
  `externalTransactionId`) **before** the gateway is called; its idempotency key
  is derived from that id, so every retry sends the same ids and the same body.
- Only a conditional update moves it out of `pending`; an answer that arrives
  late (a second click, a duplicate look-up, the reconciler) changes nothing.
- A pending or approved payment lowers the balances shown (index `unapplied`)
  until the ERP applies it; declined or failed ones stop doing so.
- `reconcile()` resolves payments left pending (timeouts, crashes) by look-up; what
  it cannot resolve is counted in a metric, flagged "needs attention" and kept.

Collaborators are injected (gateway factory, repository, mailer, clock) so tests
drive the local stand-in and inject faults without patching.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException

from .. import clock
from ..email import EmailError
from ..ids import new_id
from ..logs import logger
from ..models import Company, Payment
from ..models.base import plain_dict
from ..payments import gateway as gateway_module
from ..repositories import audit
from ..repositories import payments as payments_repo
from ..repositories.keys import account_pk

METHOD_LABELS = {"card": "Card", "ach": "Bank account (ACH)"}
ACCOUNT_TYPES = ("Checking", "Savings")
RECONCILE_AFTER = timedelta(minutes=3)  # a live request may still be waiting on checkout
ATTENTION_AFTER = timedelta(minutes=15)
ABANDON_AFTER = timedelta(minutes=30)  # unknown to the gateway this long: it never got there
FORM_LIFETIME = timedelta(hours=12)
REVIEW_LIFETIME = timedelta(minutes=20)  # reviewed but never confirmed: expired after this
RESERVE_ATTEMPTS = 3  # other payments of the account reserving at the same moment
EXPIRED_MESSAGE = "The review expired before it was confirmed."
UNAVAILABLE_MESSAGE = "The payment service is busy right now. Please try again in a minute."
BUSY_MESSAGE = "Another payment on this account is in progress right now. Wait a moment and review the payment again."
PAYMENT_ID = re.compile(r"^[0-9a-f]{24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$|^[A-Za-z0-9 -]{3,10}$")
KEY_NAMESPACE = uuid.UUID("5b0f7a4e-8f0e-4b55-9a51-6a0f2f4cbd2c")


class PaymentInputError(ValueError):
    """Something the customer entered or chose cannot be paid; the message says what,
    and `field` names the pay form's field it is about (None: the form as a whole)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class PaymentConflict(PaymentInputError):
    """Other payments already hold what this one would pay (two tabs, two people)."""


class PaymentUnavailable(RuntimeError):
    """A store or the gateway is not answering before anything was charged."""


class PaymentNotFound(LookupError):
    """No such payment for this account (another customer's id answers the same)."""


def idempotency_key(payment_id: str, operation: str = "checkout") -> str:
    """The same key for the same payment and operation, on every retry."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"{payment_id}:{operation}"))


def status_label(payment: Payment) -> str:
    if payment.status == "approved" and payment.method == "ach" and payment.kind == "payment":
        return "Pending settlement"
    return {
        "pending": "Processing",
        "approved": "Approved",
        "declined": "Declined",
        "failed": "Failed",
        "voided": "Voided",
        "reviewed": "Not confirmed",
        "expired": "Expired",
    }.get(payment.status, payment.status.title())


# ------------------------------------------------------------ allocations
@dataclass
class OpenInvoice:
    invoice_no: str
    balance_cents: int  # shown balance: ERP balance minus unapplied portal payments


@dataclass
class Plan:
    allocations: dict[str, int]
    amount_cents: int

    @property
    def on_account_cents(self) -> int:
        return self.amount_cents - sum(self.allocations.values())


def parse_cents(text: str) -> int:
    cleaned = (text or "").strip().replace(",", "").lstrip("$").strip()
    if re.fullmatch(r"\d{8,}(\.\d*)?", cleaned):
        raise PaymentInputError("That amount is too large: online payments are at most $9,999,999.99.", "amount")
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", cleaned):
        raise PaymentInputError("Enter the amount in dollars and cents, e.g. 125.50.", "amount")
    whole, _, fraction = cleaned.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def plan(
    open_invoices: list[OpenInvoice], *, selected: list[str], amount_cents: int | None, allow_on_account: bool
) -> Plan:
    """Selected invoices paid in full (or `amount_cents` spread over them oldest first);
    with nothing selected, the amount goes to every open invoice oldest first.
    Beyond the open balances only where the company allows payment on account."""
    by_no = {inv.invoice_no: inv for inv in open_invoices}
    unknown = [n for n in selected if n not in by_no]
    if unknown:
        raise PaymentInputError(
            f"Invoice {unknown[0]} has no open balance to pay: it has been "
            "paid, or another payment for it is in progress. Reload the "
            "page to see your current balances.",
            "invoice",
        )
    targets = [inv for inv in open_invoices if inv.invoice_no in selected] if selected else list(open_invoices)
    if amount_cents is None:
        if not selected:
            raise PaymentInputError("Choose the invoices to pay, or enter an amount.", "amount")
        amount_cents = sum(inv.balance_cents for inv in targets)
    if amount_cents <= 0:
        raise PaymentInputError("The amount must be more than $0.00.", "amount")
    allocations, left = {}, amount_cents
    for inv in targets:  # open_invoices come oldest due first
        if left <= 0:
            break
        cents = min(left, inv.balance_cents)
        if cents > 0:
            allocations[inv.invoice_no] = cents
            left -= cents
    if left > 0 and not allow_on_account:
        owed = sum(inv.balance_cents for inv in targets)
        raise PaymentInputError(
            f"The amount is more than the {'selected invoices' if selected else 'open balance'} "
            f"(${owed / 100:,.2f}). Enter at most that amount.",
            "amount",
        )
    return Plan(allocations, amount_cents)


def open_invoices_for_payment(company_id: str, customer_no: str) -> list[OpenInvoice]:
    """What the account has open to pay, per invoice, oldest due first: the ERP's
    balances, before portal payments (those are subtracted from the account's holds).
    The one place payments read the open amount."""
    from ..repositories import invoices

    page = invoices.open_ar(company_id, customer_no)
    return [
        OpenInvoice(inv.invoice_no, int(inv.balance_cents or 0))
        for inv in page.items
        if int(inv.balance_cents or 0) > 0
    ]


def available(open_invoices: list[OpenInvoice], holds, exclude: str = "") -> list[OpenInvoice]:
    """Open invoices less what payments hold of them (the ones left with something)."""
    held = holds.by_invoice(exclude)
    left = [OpenInvoice(inv.invoice_no, inv.balance_cents - held.get(inv.invoice_no, 0)) for inv in open_invoices]
    return [inv for inv in left if inv.balance_cents > 0]


def check_room(payment: Payment, open_invoices: list[OpenInvoice], holds, *, allow_on_account: bool) -> None:
    """Refuse, with what happened in plain words, a payment that would pay an invoice
    beyond its open balance together with the payments that hold it already."""
    open_by_no = {inv.invoice_no: inv.balance_cents for inv in open_invoices}
    held = holds.by_invoice(exclude=payment.payment_id)
    allocations = {no: int(c) for no, c in plain_dict(payment.allocations).items()}
    for invoice_no, cents in sorted(allocations.items()):
        open_cents = open_by_no.get(invoice_no, 0)
        if cents <= open_cents - held.get(invoice_no, 0):
            continue
        if held.get(invoice_no, 0) > 0:
            raise PaymentConflict(
                f"Another payment on this account is already in progress or was just made "
                f"for invoice {invoice_no}, so this one would pay more than is open. "
                "Check your account and review the payment again."
            )
        raise PaymentConflict(
            f"Invoice {invoice_no} has already been paid"
            + (f" down to ${open_cents / 100:,.2f}" if open_cents else "")
            + ". Check your account and review the payment again."
        )
    if int(payment.amount_cents) > sum(allocations.values()) and not allow_on_account:
        raise PaymentConflict("Payments beyond the open invoices are no longer accepted. Review the payment again.")


@dataclass
class PayDetails:
    """What the customer entered on the pay form (never card or bank numbers)."""

    method: str
    billing_name: str
    billing_zip: str
    receipt_email: str
    account_type: str | None = None

    def validate(self, enabled: list[str]) -> "PayDetails":
        if self.method not in enabled:
            raise PaymentInputError(
                "Choose how to pay: " + " or ".join(METHOD_LABELS[m].lower() for m in enabled) + "."
                if enabled
                else "Online payments are not available right now.",
                "method",
            )
        self.billing_name = " ".join((self.billing_name or "").split())[:80]
        self.billing_zip = (self.billing_zip or "").strip()[:10]
        self.receipt_email = (self.receipt_email or "").strip()[:254]
        if not self.billing_name:
            raise PaymentInputError("Enter the billing name.", "billing_name")
        if not ZIP.match(self.billing_zip):
            raise PaymentInputError("Enter the billing ZIP code, e.g. 62704.", "billing_zip")
        if not EMAIL.match(self.receipt_email):
            raise PaymentInputError("Enter the e-mail address for the receipt.", "receipt_email")
        if self.method == "ach":
            if self.account_type not in ACCOUNT_TYPES:
                raise PaymentInputError("Choose the account type: checking or savings.", "account_type")
        else:
            self.account_type = None
        return self


# ------------------------------------------------------------------ service
def _emit_metric(name: str, value: int, company_id: str) -> None:
    """One CloudWatch metric as an EMF log line (Powertools single_metric)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric  # deferred: cold start

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace="DealerPortal") as metric:
        metric.add_dimension(name="company", value=company_id)


@dataclass
class PaymentService:
    gateway_for: Callable = gateway_module.for_company  # (company_id, method) -> Gateway
    repo: Any = payments_repo  # repositories/payments.py, or a stand-in with its functions
    send_email: Callable | None = None  # (company, to, template, **ctx); default SES
    now: Callable[[], datetime] = clock.utcnow
    metric: Callable = _emit_metric
    companies: Callable | None = None  # () -> company ids with gateway credentials
    company_loader: Callable | None = None
    open_invoices: Callable = open_invoices_for_payment  # (company_id, customer_no)
    # (company, payment) once a parts order's payment is approved: places the order
    on_order_paid: Callable | None = None
    # (company, now) -> counts: parts orders awaiting payment placed / expired by the reconciler
    reconcile_orders: Callable | None = None

    def _mail(self):
        if self.send_email is None:
            from .. import email

            return email.send
        return self.send_email

    # -------------------------------------------------------------- methods
    def enabled_methods(self, company_id: str) -> list[str]:
        """Methods whose credentials exist (Secrets Manager), card first."""
        from ..payments import credentials

        return [m for m in credentials.METHODS if credentials.load(company_id, m) is not None]

    def new_payment_id(self) -> str:
        return new_id()

    def check_payment_id(self, payment_id: str) -> str:
        """A payment id the pay form minted: well-formed and recent (not forged far ahead)."""
        if not PAYMENT_ID.match(payment_id or ""):
            raise PaymentInputError("This payment form is out of date. Start again.")
        minted = payments_repo.id_time(payment_id)
        now = self.now()
        if minted is None or not (now - FORM_LIFETIME <= minted <= now + timedelta(minutes=5)):
            raise PaymentInputError("This payment form is out of date. Start again.")
        return payment_id

    def start(self, company_id: str, method: str):
        """A hosted-fields transaction token and the script URL for the browser."""
        gateway = self.gateway_for(company_id, method)
        return gateway.start(), gateway.script_url

    # --------------------------------------------------------------- review
    def review(
        self,
        company: Company,
        customer_no: str,
        user_id: str,
        payment_id: str,
        *,
        selected: list[str],
        amount_cents: int | None,
        details: Callable[[], PayDetails],
        parts_order_id: str | None = None,
    ) -> Payment:
        """The review step creates the payment (`reviewed`), amount and allocations
        fixed: planned over what is open less what other payments hold.  It holds
        nothing yet (an abandoned review must not block the account); confirming
        reserves.  A payment already confirmed under this id is returned as it is.
        With `parts_order_id` it pays that parts order's total (`amount_cents`), not
        open invoices: no allocations, and it does not lower the balances shown."""
        self.check_payment_id(payment_id)
        try:
            payment = self._review(
                company, customer_no, user_id, payment_id, selected, amount_cents, details, parts_order_id
            )
        except PynamoDBException as error:
            logger.warning("payment not reviewed", extra={"payment_id": payment_id, "error": str(error)[:200]})
            raise PaymentUnavailable(UNAVAILABLE_MESSAGE) from error
        if payment is None or payment.customer_no != customer_no or payment.kind != "payment":
            raise PaymentNotFound(payment_id)
        return payment

    def _review(
        self, company, customer_no, user_id, payment_id, selected, amount_cents, details, parts_order_id=None
    ) -> Payment | None:
        company_id = company.company_id
        payment = self.repo.get(company_id, payment_id)
        if (
            payment is not None
            and payment.customer_no == customer_no
            and payment.kind == "payment"
            and payment.status != "reviewed"
        ):
            return payment  # confirmed already (the back button): the caller shows it
        if payment is not None:
            # Reviewed again (back, change, refresh): a new payment with what was sent
            # now; the earlier review held nothing and expires unconfirmed.
            payment_id, payment = self.new_payment_id(), None
        if payment is None:
            details_ = details()
            if parts_order_id:
                if not amount_cents or amount_cents <= 0:
                    raise PaymentInputError("The amount must be more than $0.00.")
                plan_ = Plan({}, amount_cents)
            else:
                holds = self.repo.read_holds(company_id, customer_no)
                plan_ = plan(
                    available(self.open_invoices(company_id, customer_no), holds),
                    selected=selected,
                    amount_cents=amount_cents,
                    allow_on_account=bool(company.allow_payment_on_account),
                )
            now = self.now()
            payment = Payment(
                company_id,
                payment_id,
                customer_no=customer_no,
                customer_pk=account_pk(company_id, customer_no),
                user_id=user_id,
                method=details_.method,
                status="reviewed",
                amount_cents=plan_.amount_cents,
                allocations=dict(plan_.allocations),
                kind="payment",
                idempotency_key=idempotency_key(payment_id),
                billing_name=details_.billing_name,
                billing_zip=details_.billing_zip,
                receipt_email=details_.receipt_email,
                account_type=details_.account_type,
                parts_order_id=parts_order_id,
                created_at=now,
                updated_at=now,
            )
            if not self.repo.create_reviewed(payment):  # a concurrent click won the put
                payment = self.repo.get(company_id, payment_id)
        return payment

    # ------------------------------------------------------------------ pay
    def pay(
        self,
        company: Company,
        customer_no: str,
        payment_id: str,
        transaction_token: str,
        posted_amount_cents: int | None = None,
    ) -> Payment:
        """Charge exactly the reviewed payment, once.  A second call with the same id
        (double click, refresh, retry) never charges again: it continues or shows the
        first attempt.  An amount posted with the confirm must be the reviewed one."""
        self.check_payment_id(payment_id)
        try:
            payment = self.repo.get(company.company_id, payment_id)
        except PynamoDBException as error:
            raise PaymentUnavailable(UNAVAILABLE_MESSAGE) from error
        if payment is None:
            raise PaymentInputError("This payment was not reviewed yet. Start again.")
        if payment.customer_no != customer_no or payment.kind != "payment":
            raise PaymentNotFound(payment_id)
        if payment.status == "reviewed":
            try:
                payment = self._confirm(company, payment, transaction_token, posted_amount_cents)
            except PynamoDBException as error:  # throttled or down: nothing charged yet
                logger.warning("payment not reserved", extra={"payment_id": payment_id, "error": str(error)[:200]})
                raise PaymentUnavailable(UNAVAILABLE_MESSAGE) from error
        if payment.status != "pending":
            return payment
        try:
            return self._checkout(company, payment)
        except PynamoDBException as error:
            # The gateway may have charged, but its answer was not stored: the payment
            # stays pending (it holds its amount), the page says it is being confirmed,
            # and the reconciler resolves it by look-up (never by charging again).
            logger.warning(
                "payment answer not stored; left to the reconciler",
                extra={"payment_id": payment_id, "error": str(error)[:200]},
            )
            return payment

    def _confirm(
        self, company: Company, payment: Payment, transaction_token: str, posted_amount_cents: int | None
    ) -> Payment:
        """reviewed → pending with the payment's hold reserved (one transaction), or a
        refusal that says why; nothing is charged before this succeeds."""
        if posted_amount_cents is not None and posted_amount_cents != int(payment.amount_cents):
            raise PaymentInputError(
                f"The amount sent (${posted_amount_cents / 100:,.2f}) is not the amount you "
                f"reviewed (${int(payment.amount_cents) / 100:,.2f}). Review the payment again."
            )
        if self.now() - (payment.created_at or self.now()) > REVIEW_LIFETIME:
            self.repo.expire_review(payment, EXPIRED_MESSAGE)
            raise PaymentInputError("This review has expired. Review the payment again.")
        if not transaction_token:
            raise PaymentInputError("Enter your payment details in the secure fields.")
        company_id, customer_no = payment.company_id, payment.customer_no
        for _attempt in range(RESERVE_ATTEMPTS):
            holds = self.repo.read_holds(company_id, customer_no)
            if not payment.parts_order_id:  # a parts order pays no invoice
                check_room(
                    payment,
                    self.open_invoices(company_id, customer_no),
                    holds,
                    allow_on_account=bool(company.allow_payment_on_account),
                )
            outcome = self.repo.reserve_and_confirm(payment, holds, transaction_token[:200])
            if outcome == payments_repo.RESERVED:  # what the transaction wrote; no re-read
                payment.status, payment.transaction_token = "pending", transaction_token[:200]
                if not payment.parts_order_id:
                    payment.unapplied_pk = account_pk(company_id, customer_no)
                return payment
            if outcome == payments_repo.NOT_REVIEWED:  # another click confirmed it, or expired
                return self.repo.get(company_id, payment.payment_id) or payment
        raise PaymentConflict(BUSY_MESSAGE)

    def _checkout(self, company: Company, payment: Payment) -> Payment:
        """Send the stored payment to the gateway (same ids and body on every retry)."""
        try:
            gateway = self.gateway_for(payment.company_id, payment.method)
        except gateway_module.NotConfigured:
            return self._resolve_failed(company, payment, "Online payments are not set up.")
        try:
            result = gateway.checkout(
                payment.transaction_token,
                external_id=payment.payment_id,
                amount_cents=int(payment.amount_cents),
                idempotency_key=payment.idempotency_key,
                reference=f"{payment.customer_no}"[:40],
                billing_name=payment.billing_name or "",
                billing_postal_code=payment.billing_zip or "",
                account_type=payment.account_type,
            )
        except gateway_module.GatewayError as error:
            logger.warning(
                "payment refused by gateway", extra={"payment_id": payment.payment_id, "status": error.status}
            )
            return self._resolve_failed(company, payment, str(error))
        except gateway_module.GatewayUncertain as error:
            logger.warning("payment outcome unknown", extra={"payment_id": payment.payment_id, "error": str(error)})
            return self._look_up_now(company, payment, gateway)
        return self._apply(company, payment, result)

    def _look_up_now(self, company, payment, gateway) -> Payment:
        """One immediate look-up after an unclear answer; else the reconciler takes over."""
        try:
            return self._apply(company, payment, gateway.look_up(payment.payment_id))
        except (gateway_module.GatewayError, gateway_module.GatewayUncertain):
            return self.repo.get(payment.company_id, payment.payment_id) or payment

    def _resolve_failed(self, company, payment, message: str) -> Payment:
        self.repo.resolve(payment, "failed", message=message[:300])
        return self.repo.get(payment.company_id, payment.payment_id) or payment

    def _apply(self, company: Company, payment: Payment, result) -> Payment:
        if result.external_id and result.external_id != payment.payment_id:
            raise gateway_module.GatewayUncertain("answer for another transaction")
        status = "approved" if result.approved else "declined"
        moved = self.repo.resolve(
            payment,
            status,
            gateway_id=result.unique_trans_id,
            masked_account=result.masked_account,
            message=result.message[:300] or None,
            approval_number=result.approval_number,
            card_type=result.card_type,
        )
        fresh = self.repo.get(payment.company_id, payment.payment_id) or payment
        if moved and status == "approved" and fresh.kind == "payment":
            self.send_receipt(company, fresh)
        if status == "approved" and fresh.kind == "payment" and fresh.parts_order_id:
            self._order_paid(company, fresh)
        if moved and status == "approved" and fresh.kind == "refund" and fresh.refund_of:
            sale = self.repo.get(fresh.company_id, fresh.refund_of)
            if sale is not None:
                self.repo.add_refunded(sale, -int(fresh.amount_cents))
        return self.repo.get(payment.company_id, payment.payment_id) or fresh

    def _order_paid(self, company: Company, payment: Payment) -> None:
        """Place the parts order this payment pays (once; a repeat changes nothing).
        A failure leaves the payment approved: the order page and the reconciler's
        next look at the order place it (chalicelib/services/parts_orders.py)."""
        try:
            if self.on_order_paid is None:
                from . import parts_orders

                parts_orders.place_paid(company, payment)
            else:
                self.on_order_paid(company, payment)
        except Exception:  # the money is safe and recorded; placing is retried
            logger.exception(
                "parts order not placed after payment",
                extra={"payment_id": payment.payment_id, "order_id": payment.parts_order_id},
            )

    # -------------------------------------------------------------- receipt
    def send_receipt(self, company: Company, payment: Payment) -> bool:
        """Send the receipt; on failure it stays due and the reconciler tries again."""
        if not payment.receipt_email or payment.receipt_sent_at or payment.status != "approved":
            return False
        try:
            self._mail()(
                company,
                payment.receipt_email,
                "payment_receipt",
                payment=payment,
                status=status_label(payment),
                method_label=METHOD_LABELS.get(payment.method, payment.method),
                allocations=sorted(plain_dict(payment.allocations).items()),
                on_account_cents=int(payment.amount_cents)
                - sum(int(c) for c in plain_dict(payment.allocations).values()),
            )
        except Exception as error:  # SES down or anything else: the payment stands
            if not isinstance(error, EmailError):
                logger.exception("receipt failed")
            logger.warning(
                "receipt not sent; will retry", extra={"payment_id": payment.payment_id, "error": str(error)[:200]}
            )
            return False
        self.repo.receipt_sent(payment)
        return True

    # ------------------------------------------------------------ reconcile
    def reconcile(self, company: Company) -> dict:
        """Resolve this company's payments pending longer than a few minutes; retry receipts."""
        now = self.now()
        summary = {"resolved": 0, "unresolved": 0, "receipts": 0, "expired": 0}
        bound = payments_repo.id_bound(now - RECONCILE_AFTER)
        for payment_id in self.repo.pending_ids(company.company_id, before=bound):
            payment = self.repo.get(company.company_id, payment_id)
            if payment is not None and payment.status == "reviewed":
                # Reviewed, never confirmed: it holds nothing; past its lifetime it
                # can no longer be confirmed and leaves the reconciler's index.
                if now - (payment.created_at or now) > REVIEW_LIFETIME and self.repo.expire_review(
                    payment, EXPIRED_MESSAGE
                ):
                    summary["expired"] += 1
                continue
            if payment is None or payment.status != "pending":
                continue
            if self._reconcile_one(company, payment, now):
                summary["resolved"] += 1
            else:
                summary["unresolved"] += 1
        for payment_id in self.repo.receipt_ids(company.company_id):
            payment = self.repo.get(company.company_id, payment_id)
            if payment is not None and self.send_receipt(company, payment):
                summary["receipts"] += 1
        summary.update(self._reconcile_orders(company, now))
        if summary["unresolved"]:
            self.metric("UnresolvedPayments", summary["unresolved"], company.company_id)
        return summary

    def _reconcile_orders(self, company: Company, now: datetime) -> dict:
        """Parts orders whose payment was approved but which were not placed (the request
        died in between) are placed; orders never paid are expired (services/parts_orders.py)."""
        if self.reconcile_orders is not None:
            return self.reconcile_orders(company, now)
        from . import parts_orders

        return parts_orders.reconcile_awaiting(company, self.repo, now)

    def _reconcile_one(self, company: Company, payment: Payment, now: datetime) -> bool:
        age = now - (payment.created_at or now)
        try:
            gateway = self.gateway_for(payment.company_id, payment.method)
            result = gateway.look_up(payment.payment_id)
        except gateway_module.NotFound:
            if age >= ABANDON_AFTER:  # the gateway never received it: nobody was charged
                self.repo.resolve(payment, "failed", message="The payment did not reach the gateway.")
                return True
            reason = "Not yet known to the gateway."
        except (gateway_module.GatewayError, gateway_module.GatewayUncertain, gateway_module.NotConfigured) as error:
            reason = f"Look-up failed: {error}"
        else:
            try:
                self._apply(company, payment, result)
            except gateway_module.GatewayUncertain as error:
                reason = str(error)
            else:
                return True
        flagged = age >= ATTENTION_AFTER
        self.repo.mark_unresolved(payment, flagged, reason)
        if flagged:
            logger.error(
                "payment needs attention",
                extra={"company": payment.company_id, "payment_id": payment.payment_id, "reason": reason[:200]},
            )
        return False

    def reconcile_all(self) -> dict:
        """Every company with gateway credentials (the scheduled job)."""
        from ..payments import credentials
        from ..repositories import companies

        totals = {
            "companies": 0,
            "resolved": 0,
            "unresolved": 0,
            "receipts": 0,
            "expired": 0,
            "orders_placed": 0,
            "orders_expired": 0,
        }
        for company_id in (self.companies or credentials.companies)():
            company = (self.company_loader or companies.get_company)(company_id)
            if company is None:
                continue
            try:
                summary = self.reconcile(company)
            except Exception:  # one company's trouble must not stop the others
                logger.exception("reconcile failed", extra={"company": company_id})
                self.metric("ReconcileErrors", 1, company_id)
                continue
            totals["companies"] += 1
            for key, value in summary.items():
                totals[key] += value
        return totals

    # ------------------------------------------------------- administrators
    def void(self, company: Company, payment_id: str, *, actor: str, source_ip: str) -> str:
        """Void an approved sale before settlement; the message says what happened."""
        sale = self.repo.get(company.company_id, payment_id)
        if sale is None or sale.kind != "payment":
            raise PaymentNotFound(payment_id)
        if sale.status != "approved" or int(sale.refunded_cents or 0):
            raise PaymentInputError("Only an approved payment without refunds can be voided.")
        gateway = self.gateway_for(company.company_id, sale.method)
        try:
            result = gateway.void(
                unique_trans_id=sale.gateway_id,
                external_id=sale.payment_id,
                idempotency_key=idempotency_key(sale.payment_id, "void"),
            )
        except gateway_module.GatewayError as error:
            message = f"The gateway refused the void: {error}"
        except gateway_module.GatewayUncertain as error:
            message = f"The gateway did not confirm the void ({error}). Try again: it is safe."
        else:
            if result.approved:
                self.repo.mark_voided(sale, result.message or "Voided")
                message = "The payment was voided."
            else:
                message = f"The gateway did not void it: {result.message}. If it has settled, refund it instead."
        audit.record(
            company.company_id, "payment_void", actor=actor, source_ip=source_ip, payment_id=payment_id, result=message
        )
        return message

    def refund(
        self, company: Company, payment_id: str, refund_id: str, cents: int, *, actor: str, source_ip: str
    ) -> str:
        """Refund part or all of an approved sale, as its own payment row (same
        pending-first rules; `refund_id` is minted by the form, so a double submit
        refunds once)."""
        sale = self.repo.get(company.company_id, payment_id)
        if sale is None or sale.kind != "payment":
            raise PaymentNotFound(payment_id)
        self.check_payment_id(refund_id)
        refund = self.repo.get(company.company_id, refund_id)
        if refund is None:
            room = int(sale.amount_cents) - int(sale.refunded_cents or 0)
            if sale.status != "approved" or not sale.gateway_id:
                raise PaymentInputError("Only an approved payment can be refunded.")
            if not 0 < cents <= room:
                raise PaymentInputError(f"Refund between $0.01 and ${room / 100:,.2f}.")
            now = self.now()
            refund = Payment(
                company.company_id,
                refund_id,
                customer_no=sale.customer_no,
                customer_pk=sale.customer_pk,
                user_id=actor,
                method=sale.method,
                status="pending",
                amount_cents=-cents,
                kind="refund",
                refund_of=sale.payment_id,
                allocations=_refund_allocations(sale, cents),
                masked_account=sale.masked_account,
                idempotency_key=idempotency_key(refund_id, "refund"),
                created_at=now,
                updated_at=now,
            )
            if not self.repo.create_pending(refund):
                refund = self.repo.get(company.company_id, refund_id)
        if refund is None or refund.refund_of != sale.payment_id:
            raise PaymentNotFound(refund_id)
        if refund.status == "pending":
            refund = self._send_refund(company, sale, refund)
        message = {
            "approved": f"Refunded ${-int(refund.amount_cents) / 100:,.2f}.",
            "pending": "The gateway did not confirm the refund yet; it will be checked again automatically.",
        }.get(refund.status, f"The refund was not made: {refund.result_message or refund.status}.")
        audit.record(
            company.company_id,
            "payment_refund",
            actor=actor,
            source_ip=source_ip,
            payment_id=payment_id,
            refund_id=refund_id,
            cents=-int(refund.amount_cents),
            result=refund.status,
        )
        return message

    def _send_refund(self, company, sale, refund) -> Payment:
        gateway = self.gateway_for(company.company_id, sale.method)
        try:
            # ACH too: the portal never holds bank numbers, so the refund refers to the
            # sale by uniqueTransId (unconfirmed with Gravity for AchSale; see README).
            result = gateway.tokenized_refund(
                unique_trans_id=sale.gateway_id,
                external_id=refund.payment_id,
                amount_cents=-int(refund.amount_cents),
                idempotency_key=refund.idempotency_key,
                reference=sale.payment_id[-20:],
            )
        except gateway_module.GatewayError as error:
            return self._resolve_failed(company, refund, str(error))
        except gateway_module.GatewayUncertain:
            return self._look_up_now(company, refund, gateway)
        return self._apply(company, refund, result)


def _refund_allocations(sale: Payment, cents: int) -> dict[str, int]:
    """A refund takes money back from the sale's invoices, newest invoice number first."""
    allocations, left = {}, cents
    for invoice_no, paid in sorted(plain_dict(sale.allocations).items(), reverse=True):
        if left <= 0:
            break
        take = min(left, int(paid))
        allocations[invoice_no] = -take
        left -= take
    return allocations


def default_service() -> PaymentService:
    return PaymentService()
