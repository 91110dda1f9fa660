"""Payment rules under faults (docs/payments.md), on the in-process emergepay stand-in.

The service gets its collaborators injected: the stand-in as gateway (with its
fault switches), a repository that can "crash", a mailer that can be down, a clock
that can move on.  Nothing is patched.
"""

import pytest

from chalicelib.ids import new_id
from chalicelib.models import Payment
from chalicelib.models.base import plain_dict
from chalicelib.payments import credentials
from chalicelib.payments import gateway as gateway_module
from chalicelib.repositories import payments as payments_repo
from chalicelib.services import payments as payments_service
from chalicelib.services.payments import PaymentService
from infra.local.emergepay import InProcessTransport, StandIn
from tests.payment_support import (
    CARD_OK,
    DEMO_CREDS,
    DETAILS,
    Clock,
    CrashingRepo,
    Mailbox,
    authorized_token,
    in_process_gateway,
    reconcile_later,
)
from tests.support import make_company, make_invoice


@pytest.fixture
def world(aws):
    company = make_company("abc", "ABC Appliance Service", ["localhost"])
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=10000)
    stand_in, now, mailbox, repo = StandIn(), Clock(), Mailbox(), CrashingRepo()
    metrics = []
    service = PaymentService(gateway_for=in_process_gateway(stand_in), repo=repo,
                             send_email=mailbox, now=now,
                             metric=lambda name, value, company_id: metrics.append((name, value)))
    return dict(company=company, stand_in=stand_in, now=now, mailbox=mailbox, repo=repo,
                service=service, metrics=metrics)






def review(world, payment_id=None, cents=10000, customer_no="C1001", invoices=("W100",)):
    return world["service"].review(world["company"], customer_no, "u1", payment_id or new_id(),
                                   selected=list(invoices), amount_cents=cents,
                                   details=lambda: DETAILS)


def pay(world, payment_id=None, cents=10000, token=None):
    """Review (unless this id was confirmed before: a retry) and confirm."""
    token = token or authorized_token(world["stand_in"])
    if payment_id is None or payments_repo.get("abc", payment_id) is None:
        payment_id = review(world, payment_id, cents).payment_id
    return world["service"].pay(world["company"], "C1001", payment_id, token)


def test_gateway_503_and_429_are_retried_with_the_same_key_and_charge_once(world):
    world["stand_in"].control({"fail": {"status": 503, "count": 1, "path": "checkout"}})
    world["stand_in"].control({"fail": {"status": 429, "count": 1, "path": "checkout"}})
    payment = pay(world)
    assert payment.status == "approved"
    assert world["stand_in"].calls.count(("PUT", "checkout")) == 3
    assert list(world["stand_in"].approved_sales()) == [payment.payment_id]


def test_gateway_500_leaves_it_pending_then_the_reconciler_fails_it_uncharged(world):
    world["stand_in"].control({"fail": {"status": 500, "count": 1, "path": "checkout"}})
    payment = pay(world)
    assert payment.status == "pending" and not world["stand_in"].approved_sales()
    assert reconcile_later(world, 5)["unresolved"] == 1  # not known yet: keep waiting
    assert reconcile_later(world, 30)["resolved"] == 1
    stored = Payment.get("abc", payment.payment_id)
    assert stored.status == "failed" and stored.unapplied_pk is None


def test_timeout_after_the_charge_is_resolved_by_look_up_not_by_charging_again(world):
    world["stand_in"].control({"hang": {"count": 1, "path": "checkout", "after": True}})
    payment = pay(world)
    assert payment.status == "approved"  # the immediate look-up found the charge
    again = pay(world, payment.payment_id)  # the customer clicks again
    assert again.status == "approved" and len(world["stand_in"].approved_sales()) == 1


def test_timeout_with_look_ups_rate_limited_waits_for_the_reconciler(world, capsys):
    stand_in = world["stand_in"]
    token = authorized_token(stand_in)
    stand_in.control({"hang": {"count": 1, "path": "checkout", "after": True}})
    stand_in.control({"fail": {"status": 429, "count": 3, "path": "lookup"}})
    payment = pay(world, token=token)
    assert payment.status == "pending" and len(stand_in.approved_sales()) == 1
    assert reconcile_later(world)["resolved"] == 1
    assert Payment.get("abc", payment.payment_id).status == "approved"
    assert world["mailbox"].sent == [("rita@example.com", payment.payment_id)]


def test_unresolvable_payment_raises_a_metric_is_flagged_and_kept(world):
    stand_in = world["stand_in"]
    token = authorized_token(stand_in)
    stand_in.control({"hang": {"count": 1, "path": "checkout", "after": True}})
    stand_in.control({"fail": {"status": 503, "count": 1000, "path": "lookup"}})
    payment = pay(world, token=token)
    reconcile_later(world, 5)
    stored = Payment.get("abc", payment.payment_id)
    assert stored.status == "pending" and not stored.needs_attention
    reconcile_later(world, 15)
    stored = Payment.get("abc", payment.payment_id)
    assert stored.status == "pending" and stored.needs_attention
    assert stored.reconcile_attempts == 2 and stored.pending_company == "abc"
    assert world["metrics"] == [("UnresolvedPayments", 1), ("UnresolvedPayments", 1)]
    flagged = payments_repo.for_company("abc", needs_attention=True)
    assert [p.payment_id for p in flagged.items] == [payment.payment_id]
    stand_in.failures.clear()  # the gateway is back
    assert reconcile_later(world)["resolved"] == 1
    assert not Payment.get("abc", payment.payment_id).needs_attention


def test_the_metric_is_an_embedded_metric_format_log_line(capsys):
    import json

    payments_service._emit_metric("UnresolvedPayments", 2, "abc")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["UnresolvedPayments"] == [2.0] or line["UnresolvedPayments"] == 2.0
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DealerPortal"
    assert line["company"] == "abc"


def test_crash_between_gateway_and_database_is_resolved_by_the_reconciler(world):
    world["repo"].crash_next = True
    payment_id = new_id()
    with pytest.raises(RuntimeError):
        pay(world, payment_id)
    stored = Payment.get("abc", payment_id)
    assert stored.status == "pending" and list(world["stand_in"].approved_sales()) == [payment_id]
    assert stored.unapplied_pk  # the balance already shows it: nobody pays it twice
    assert reconcile_later(world)["resolved"] == 1
    stored = Payment.get("abc", payment_id)
    assert stored.status == "approved" and stored.feed_company == "abc"
    assert world["mailbox"].sent == [("rita@example.com", payment_id)]


def test_conditional_writes_ignore_late_and_duplicate_answers(world):
    payment = pay(world)
    declined = gateway_module.Result({"externalTransactionId": payment.payment_id,
                                      "resultStatus": "false", "resultMessage": "Declined"})
    assert payments_repo.resolve(payment, "declined") is False
    world["service"]._apply(world["company"], payment, declined)
    assert Payment.get("abc", payment.payment_id).status == "approved"
    assert payments_repo.create_pending(Payment.get("abc", payment.payment_id)) is False
    assert len(world["mailbox"].sent) == 1


def test_ses_down_the_payment_stands_and_the_receipt_is_retried_once(world):
    world["mailbox"].down = True
    payment = pay(world)
    assert payment.status == "approved" and payment.receipt_company == "abc"
    assert reconcile_later(world)["receipts"] == 0
    world["mailbox"].down = False
    assert reconcile_later(world)["receipts"] == 1
    assert reconcile_later(world)["receipts"] == 0
    assert world["mailbox"].sent == [("rita@example.com", payment.payment_id)]
    assert Payment.get("abc", payment.payment_id).receipt_sent_at is not None


def test_reconcile_all_visits_companies_with_credentials(world):
    make_company("other", "Other Co", ["other.localhost"])
    make_company("none", "No Payments", ["none.localhost"])
    credentials.store("abc", "card", DEMO_CREDS)
    credentials.store("other", "ach", DEMO_CREDS)
    credentials.store("ghost", "ach", DEMO_CREDS)  # no such company: nothing to visit
    assert credentials.companies() == ["abc", "other"]
    world["service"].companies = None
    world["service"].company_loader = lambda cid: world["company"] if cid == "abc" else None
    assert world["service"].reconcile_all()["companies"] == 1


def test_a_payment_id_from_the_far_past_or_future_is_refused(world):
    service = world["service"]
    for bad in ("0" * 24, "f" * 24, "not-an-id", ""):
        with pytest.raises(payments_service.PaymentInputError):
            service.check_payment_id(bad)


# ------------------------------------------------------------ gateway client
class Recorder:
    def __init__(self, answers):
        self.answers, self.calls = list(answers), []

    def __call__(self, method, url, headers, body, timeout):
        self.calls.append((method, url, headers, body))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def gateway(answers, method="card"):
    transport = Recorder(answers)
    return gateway_module.Gateway(DEMO_CREDS, method, transport=transport,
                                  sleep=lambda _: None), transport


def test_checkout_sends_the_documented_body_and_idempotency_key():
    gw, transport = gateway([(200, {"transactionResponse": {"resultStatus": "true",
                                                            "uniqueTransId": "u1"}})], "ach")
    result = gw.checkout("tok/1", external_id="p1", amount_cents=12345, idempotency_key="k1",
                         billing_name="Rita", billing_postal_code="62704",
                         account_type="Savings")
    method, url, headers, body = transport.calls[0]
    assert method == "PUT" and url.endswith("/orgs/oid-test/transactions/checkout/tok%2F1")
    assert headers["idempotency-key"] == "k1" and headers["Authorization"] == "Bearer token-test"
    assert body == {"transactionData": {"externalTransactionId": "p1", "amount": "123.45",
                                        "billingName": "Rita", "billingPostalCode": "62704",
                                        "accountType": "Savings"}}
    assert result.approved and result.unique_trans_id == "u1"


def test_checkout_read_timeout_is_not_retried_but_a_look_up_is():
    gw, transport = gateway([gateway_module.TransportTimeout("slow")])
    with pytest.raises(gateway_module.GatewayUncertain):
        gw.checkout("t", external_id="p", amount_cents=1, idempotency_key="k")
    assert len(transport.calls) == 1
    gw, transport = gateway([gateway_module.TransportTimeout("slow"), (503, None),
                             (200, {"transactionResponse": {"resultStatus": "false"}})])
    assert not gw.look_up("p").approved and len(transport.calls) == 3


def test_conflict_and_server_errors_are_uncertain_client_errors_are_refusals():
    for status in (409, 500):
        gw, _ = gateway([(status, {"message": "x"})])
        with pytest.raises(gateway_module.GatewayUncertain):
            gw.checkout("t", external_id="p", amount_cents=1, idempotency_key="k")
    gw, _ = gateway([(400, {"message": "Invalid transaction token"})])
    with pytest.raises(gateway_module.GatewayError, match="Invalid transaction token"):
        gw.checkout("t", external_id="p", amount_cents=1, idempotency_key="k")
    gw, _ = gateway([(404, {"message": "Transaction not found"})])
    with pytest.raises(gateway_module.NotFound):
        gw.look_up("p")


def test_stand_in_idempotency_same_body_same_answer_other_body_409():
    stand_in = StandIn()
    gw = gateway_module.Gateway(DEMO_CREDS, "card", transport=InProcessTransport(stand_in))
    token = gw.start()
    stand_in.authorize(token, dict(CARD_OK))
    first = gw.checkout(token, external_id="p1", amount_cents=500, idempotency_key="k")
    again = gw.checkout(token, external_id="p1", amount_cents=500, idempotency_key="k")
    assert first.raw == again.raw and len(stand_in.approved_sales()) == 1
    with pytest.raises(gateway_module.GatewayUncertain) as conflict:
        gw.checkout(token, external_id="p1", amount_cents=600, idempotency_key="k")
    assert conflict.value.status == 409
    assert gw.look_up("p1").raw == first.raw


def test_amount_ending_51_and_the_decline_card_are_declined():
    stand_in = StandIn()
    gw = gateway_module.Gateway(DEMO_CREDS, "card", transport=InProcessTransport(stand_in))
    for cents, card in ((1051, CARD_OK), (1000, dict(CARD_OK, cardNumber="4000000000000002"))):
        token = gw.start()
        stand_in.authorize(token, dict(card))
        assert not gw.checkout(token, external_id=f"p{cents}{card['cardNumber'][-1]}",
                               amount_cents=cents, idempotency_key=new_id()).approved
    assert plain_dict(None) == {}
