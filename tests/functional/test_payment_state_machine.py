"""Hypothesis state machine over paying on account (issue 7, Quality).

Steps: open a pay form (one payment id), review and pay, pay again with the same id (retry,
double submit, refresh), gateway timeout after the charge, 5xx/429, a crash between
the gateway and the database, duplicate and out-of-order look-up answers, reconciler
runs with the gateway down or reachable.

Invariants after every step:
- every charge the gateway approved belongs to one payment that is approved, or
  still pending (its answer was lost); every approved payment was charged, once,
  for its amount;
- no invoice is over-paid: pending + approved allocations ≤ the ERP balance;
- the account's reservation item holds exactly the pending and approved payments;
- after a reconciler pass with the gateway reachable (and enough time), no payment
  is pending and the approved charges and approved payments match one to one.
"""
import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib.ids import new_id
from chalicelib.models import Payment
from chalicelib.models.base import plain_dict
from chalicelib.payments import gateway as gateway_module
from chalicelib.repositories import payments as payments_repo
from chalicelib.services import payments as payments_service
from chalicelib.services.payments import PayDetails, PaymentService
from infra.local.emergepay import StandIn
from tests.payment_support import CARD_DECLINED, CARD_OK, Clock, CrashingRepo, Mailbox, in_process_gateway
from tests.support import make_company, make_invoice

BALANCES = {"W1": 10000, "W2": 4000, "W3": 2550}
counter = itertools.count()


class PayingOnAccount(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.company_id = f"sm{next(counter)}"
        self.company = make_company(self.company_id, "State machine", [f"{self.company_id}.test"])
        for n, (invoice_no, cents) in enumerate(BALANCES.items()):
            make_invoice(self.company_id, invoice_no, "C1", f"2026-0{n + 1}-01", balance=cents,
                         due=f"2026-0{n + 1}-15")
        self.stand_in, self.clock, self.repo = StandIn(), Clock(), CrashingRepo()
        self.service = PaymentService(gateway_for=in_process_gateway(self.stand_in),
                                      repo=self.repo, send_email=Mailbox(), now=self.clock,
                                      metric=lambda *args: None)
        self.forms = []  # (payment id, token, amount or None, selected)

    # ------------------------------------------------------------- helpers
    def _payments(self):
        return list(Payment.query(self.company_id))

    def _submit(self, form):
        """Review (the first time) and confirm; a form submitted again confirms the
        payment its first review created."""
        payment_id, token, amount, selected = form
        details = PayDetails("card", "Rita", "62704", "rita@example.com")
        try:
            if Payment.count(self.company_id, Payment.payment_id == payment_id) == 0:
                payment_id = self.service.review(
                    self.company, "C1", "u1", payment_id, selected=selected,
                    amount_cents=amount, details=lambda: details).payment_id
            self.service.pay(self.company, "C1", payment_id, token)
        except payments_service.PaymentInputError:
            pass  # e.g. the invoice is already (being) paid: refused, nothing charged
        except RuntimeError:
            pass  # the injected crash

    # --------------------------------------------------------------- rules
    @rule(declined=st.booleans(), amount=st.one_of(st.none(), st.integers(1, 20000)),
          selected=st.lists(st.sampled_from(sorted(BALANCES)), unique=True, max_size=3))
    def open_form(self, declined, amount, selected):
        gateway = in_process_gateway(self.stand_in)(self.company_id, "card")
        try:
            token = gateway.start()
        except gateway_module.GatewayUncertain:
            return
        self.stand_in.authorize(token, dict(CARD_DECLINED if declined else CARD_OK))
        if amount is None and not selected:
            selected = ["W1"]
        self.forms.append((new_id(), token, amount, selected))

    @precondition(lambda self: self.forms)
    @rule(data=st.data())
    def pay(self, data):
        self._submit(data.draw(st.sampled_from(self.forms)))

    @precondition(lambda self: self.forms)
    @rule(data=st.data())
    def double_submit(self, data):
        form = data.draw(st.sampled_from(self.forms))
        self._submit(form)
        self._submit(form)

    @precondition(lambda self: self.forms)
    @rule(data=st.data(), fault=st.sampled_from(["timeout_after", "timeout_before", "503",
                                                  "429", "500", "crash"]))
    def pay_with_fault(self, data, fault):
        form = data.draw(st.sampled_from(self.forms))
        if fault == "crash":
            self.repo.crash_next = True
        elif fault.startswith("timeout"):
            self.stand_in.control({"hang": {"count": 1, "path": "checkout",
                                            "after": fault == "timeout_after"}})
            self.stand_in.control({"fail": {"status": 503, "count": 3, "path": "lookup"}})
        else:
            self.stand_in.control({"fail": {"status": int(fault), "count": 1,
                                            "path": "checkout"}})
        self._submit(form)
        self.repo.crash_next = False
        self.stand_in.failures.clear()
        self.stand_in.hangs.clear()

    @precondition(lambda self: self._payments())
    @rule(data=st.data())
    def late_look_up_answer(self, data):
        """A duplicate or out-of-order answer arrives for some payment: for a pending
        one, the gateway's real record; for a resolved one, even a contradicting answer
        (only the first answer may count: the write is conditional on `pending`)."""
        payment = data.draw(st.sampled_from(self._payments()))
        record = self.stand_in.transactions.get(("oid-test", payment.payment_id))
        if payment.status == "pending":
            if record is None:
                return
            raw = {k: v for k, v in record.items() if not k.startswith("_")}
        else:
            raw = {"externalTransactionId": payment.payment_id, "uniqueTransId": "stale",
                   "resultStatus": "false" if payment.status == "approved" else "true"}
        self.service._apply(self.company, payment, gateway_module.Result(raw))

    @rule(minutes=st.integers(0, 40))
    def reconcile_gateway_down(self, minutes):
        self.clock.offset += timedelta(minutes=minutes)
        self.stand_in.control({"fail": {"status": 429, "count": 1000, "path": "lookup"}})
        self.service.reconcile(self.company)
        self.stand_in.failures.clear()

    @rule()
    def reconcile_gateway_reachable(self):
        self.clock.offset += timedelta(minutes=31)  # past every waiting period
        self.service.reconcile(self.company)
        assert not [p for p in self._payments() if p.status == "pending"]
        self._charges_match(allow_pending=False)

    # ---------------------------------------------------------- invariants
    def _charges_match(self, allow_pending=True):
        if not hasattr(self, "stand_in"):
            return
        charged = self.stand_in.approved_sales()
        payments = {p.payment_id: p for p in self._payments()}
        for external_id, record in charged.items():
            payment = payments.get(external_id)
            assert payment is not None, "a charge without a payment"
            assert payment.status == "approved" or (allow_pending and payment.status == "pending")
            assert record["_cents"] == int(payment.amount_cents)
        for payment in payments.values():
            if payment.status == "approved":
                assert payment.payment_id in charged, "approved but never charged"

    @invariant()
    def charges_and_payments_match(self):
        self._charges_match()

    @invariant()
    def no_invoice_is_over_paid(self):
        if not hasattr(self, "stand_in"):
            return
        paid = {}
        for payment in self._payments():
            if payment.status in ("pending", "approved"):
                for invoice_no, cents in plain_dict(payment.allocations).items():
                    paid[invoice_no] = paid.get(invoice_no, 0) + int(cents)
        for invoice_no, cents in paid.items():
            assert cents <= BALANCES[invoice_no], f"{invoice_no} over-paid"

    @invariant()
    def the_account_holds_exactly_the_payments_that_are_money(self):
        if not hasattr(self, "stand_in"):
            return
        holds = payments_repo.read_holds(self.company_id, "C1").holds
        for payment in self._payments():
            held = payment.payment_id in holds
            assert held == (payment.status in ("pending", "approved")), payment.status
            if held:
                assert holds[payment.payment_id]["invoices"] == {
                    no: int(c) for no, c in plain_dict(payment.allocations).items()}

    @invariant()
    def every_unsettled_payment_lowers_the_balance(self):
        if not hasattr(self, "stand_in"):
            return
        for payment in self._payments():
            assert bool(payment.unapplied_pk) == (payment.status in ("pending", "approved"))


def test_paying_on_account_never_charges_twice_nor_loses_a_payment(aws):
    run_state_machine_as_test(PayingOnAccount, settings=settings(
        max_examples=20, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
