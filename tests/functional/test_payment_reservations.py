"""Concurrent payments of one account, the reviewed amount, and faults (issue 13).

The real PaymentService against moto, with the in-process emergepay stand-in as its
gateway.  Collaborators are injected (a repository that waits on a barrier between
reading the account's holds and writing its reservation, or that fails like a
throttled table); nothing is patched.
"""
import threading
from datetime import timedelta

import botocore.exceptions
import pytest
from pynamodb.exceptions import GetError, TransactWriteError, UpdateError

from chalicelib.ids import new_id
from chalicelib.models import Invoice, Payment, PaymentReservations
from chalicelib.repositories import erp
from chalicelib.repositories import payments as payments_repo
from chalicelib.repositories.keys import account_pk
from chalicelib.services import payments as payments_service
from chalicelib.services.payments import PaymentConflict, PaymentService, PaymentUnavailable
from infra.local.emergepay import StandIn
from tests.payment_support import (
    CARD_DECLINED,
    DETAILS,
    Clock,
    Mailbox,
    authorized_token,
    in_process_gateway,
    reconcile_later,
)
from tests.support import make_company, make_invoice


class Repo:
    """The payments repository with switches: a barrier after the first reads of the
    account's holds, and faults raised the way PynamoDB raises them."""

    def __init__(self, barrier=None):
        self.barrier, self.waits = barrier, 0
        self.faults = {}  # function name -> exceptions to raise on the next calls
        self.lock = threading.Lock()

    def __getattr__(self, name):
        real = getattr(payments_repo, name)
        if not callable(real):
            return real

        def call(*args, **kwargs):
            if self.faults.get(name):
                raise self.faults[name].pop(0)
            return real(*args, **kwargs)
        return call

    def read_holds(self, *args):
        if self.faults.get("read_holds"):
            raise self.faults["read_holds"].pop(0)
        holds = payments_repo.read_holds(*args)
        with self.lock:
            wait = self.barrier is not None and self.waits < 2
            self.waits += wait
        if wait:  # both confirms have read the holds before either writes
            self.barrier.wait(timeout=20)
        return holds


def throttled(error_class, operation):
    return error_class("Failed", botocore.exceptions.ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException",
                   "Message": "Rate of requests exceeds the allowed throughput."}}, operation))


@pytest.fixture
def world(aws):
    company = make_company("abc", "ABC Appliance Service", ["localhost"])
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=57172, due="2026-10-01")
    make_invoice("abc", "W200", "C1001", "2026-10-01", balance=5000, due="2026-11-01")
    stand_in, now, mailbox, repo = StandIn(), Clock(), Mailbox(), Repo()
    service = PaymentService(gateway_for=in_process_gateway(stand_in), repo=repo,
                             send_email=mailbox, now=now, metric=lambda *args: None)
    return dict(company=company, stand_in=stand_in, now=now, mailbox=mailbox, repo=repo,
                service=service)


def review(world, invoices=("W100",), cents=None, customer_no="C1001"):
    return world["service"].review(world["company"], customer_no, "u1", new_id(),
                                   selected=list(invoices), amount_cents=cents,
                                   details=lambda: DETAILS)


def confirm(world, payment, token=None, posted=None):
    return world["service"].pay(world["company"], payment.customer_no, payment.payment_id,
                                token or authorized_token(world["stand_in"]), posted)


def charged(world):
    """Cents the gateway approved, per payment id."""
    return {pid: record["_cents"] for pid, record in world["stand_in"].approved_sales().items()}


def holds(customer_no="C1001"):
    return payments_repo.read_holds("abc", customer_no).holds


@pytest.fixture
def dynamodb_serialized():
    """DynamoDB applies each request to an item atomically; moto's in-process backend
    has no lock, so two threads' transactions could interleave inside it.  One lock
    around each request makes moto answer like DynamoDB (requests still interleave
    freely between each other)."""
    lock = threading.RLock()
    clients = {model._get_connection().connection.client
               for model in (Payment, PaymentReservations, Invoice)}

    def acquire(**_):
        lock.acquire()

    def release(**_):
        lock.release()

    for client in clients:
        client.meta.events.register("before-call.dynamodb", acquire, unique_id="serialize-in")
        client.meta.events.register("after-call.dynamodb", release, unique_id="serialize-out")
    yield
    for client in clients:
        client.meta.events.unregister("before-call.dynamodb", unique_id="serialize-in")
        client.meta.events.unregister("after-call.dynamodb", unique_id="serialize-out")


def confirm_in_two_threads(world, first, second):
    world["repo"].barrier, world["repo"].waits = threading.Barrier(2), 0
    tokens = [authorized_token(world["stand_in"]) for _ in range(2)]
    outcomes = [None, None]

    def run(n, payment):
        try:
            outcomes[n] = confirm(world, payment, tokens[n])
        except Exception as error:  # the refusal is the outcome
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n, p)) for n, p in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert world["repo"].waits == 2, "both confirms read the holds before either wrote"
    assert world["repo"].barrier.n_waiting == 0 and not world["repo"].barrier.broken
    return outcomes


# ------------------------------------------------------------------ concurrency
@pytest.mark.parametrize("first_payment_of_the_account", [True, False])
def test_two_tabs_paying_the_same_invoice_at_once_charge_it_once(world, dynamodb_serialized,
                                                                 first_payment_of_the_account):
    earlier = None
    if not first_payment_of_the_account:  # the account's reservation item exists already
        earlier = confirm(world, review(world, ["W200"])).payment_id
    first, second = review(world), review(world)  # both reviewed $571.72 for W100
    assert first.amount_cents == second.amount_cents == 57172
    outcomes = confirm_in_two_threads(world, first, second)
    approved = [o for o in outcomes if isinstance(o, Payment) and o.status == "approved"]
    refused = [o for o in outcomes if isinstance(o, PaymentConflict)]
    assert len(approved) == 1 and len(refused) == 1, outcomes
    assert "Another payment on this account is already in progress" in str(refused[0])
    assert {pid: c for pid, c in charged(world).items() if pid != earlier} == {
        approved[0].payment_id: 57172}
    loser = second if approved[0].payment_id == first.payment_id else first
    assert ("oid-test", loser.payment_id) not in world["stand_in"].transactions
    assert world["stand_in"].calls.count(("PUT", "checkout")) == (1 if earlier is None else 2)
    assert Payment.get("abc", loser.payment_id).status == "reviewed"  # nothing held
    assert sorted(holds()) == sorted(filter(None, [approved[0].payment_id, earlier]))


def test_two_payments_of_different_invoices_at_once_are_both_charged(world, dynamodb_serialized):
    """The loser of the write checks again and still fits: no refusal without cause."""
    first, second = review(world, ["W100"]), review(world, ["W200"])
    outcomes = confirm_in_two_threads(world, first, second)
    assert [o.status for o in outcomes] == ["approved", "approved"], outcomes
    assert charged(world) == {first.payment_id: 57172, second.payment_id: 5000}
    assert sorted(holds()) == sorted([first.payment_id, second.payment_id])


def test_on_account_payments_at_once_never_pay_an_invoice_twice(world, dynamodb_serialized):
    world["company"].allow_payment_on_account = True
    first = review(world, [], cents=70000)  # W100 + W200 in full, $80.28 on account
    second = review(world, [], cents=70000)
    outcomes = confirm_in_two_threads(world, first, second)
    assert sorted(type(o).__name__ for o in outcomes) == ["Payment", "PaymentConflict"]
    assert list(charged(world).values()) == [70000]


def test_an_invoice_being_paid_elsewhere_is_not_offered_again(world):
    confirm(world, review(world, ["W100"]))
    with pytest.raises(payments_service.PaymentInputError, match="another payment for it"):
        review(world, ["W100"])
    assert review(world, [], cents=5000).allocations.as_dict() == {"W200": 5000}


# ------------------------------------------------------------- reviewed amount
@pytest.mark.parametrize("posted", [100, 9999900])
def test_confirm_refuses_an_amount_other_than_the_reviewed_one(world, posted):
    world["company"].allow_payment_on_account = True
    reviewed = review(world, [], cents=200)
    with pytest.raises(payments_service.PaymentInputError, match=r"not the amount you reviewed"):
        confirm(world, reviewed, posted=posted)
    assert charged(world) == {}
    assert confirm(world, reviewed, posted=200).status == "approved"
    assert charged(world) == {reviewed.payment_id: 200}


def test_a_confirm_without_a_reviewed_payment_charges_nothing(world):
    with pytest.raises(payments_service.PaymentInputError, match="not reviewed"):
        world["service"].pay(world["company"], "C1001", new_id(),
                             authorized_token(world["stand_in"]))
    assert charged(world) == {}


# ---------------------------------------------------------------- releases
def test_a_declined_payment_gives_its_hold_back(world):
    declined = confirm(world, review(world), authorized_token(world["stand_in"], entered=CARD_DECLINED))
    assert declined.status == "declined" and holds() == {}
    assert confirm(world, review(world)).status == "approved"


def test_a_voided_payment_gives_its_hold_back(world):
    paid = confirm(world, review(world))
    message = world["service"].void(world["company"], paid.payment_id, actor="admin",
                                    source_ip="127.0.0.1")
    assert message == "The payment was voided." and holds() == {}
    assert confirm(world, review(world)).status == "approved"


def test_a_refund_reopens_what_it_gives_back(world):
    paid = confirm(world, review(world))
    world["service"].refund(world["company"], paid.payment_id, new_id(), 7172, actor="admin",
                            source_ip="127.0.0.1")
    again = review(world, ["W100"])
    assert again.amount_cents == 7172


def test_the_erp_applying_a_payment_releases_its_hold(world):
    paid = confirm(world, review(world, ["W100"], cents=50000))
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=7172, due="2026-10-01",
                 applied=[paid.payment_id])
    erp.mark_applied("abc", [paid.payment_id])
    assert holds() == {}
    assert review(world, ["W100"]).amount_cents == 7172  # not 7172 - 50000 held twice


def test_payments_from_before_reservations_are_counted(world):
    """An account without a reservation item starts from its unapplied payments."""
    now, older = world["now"](), new_id()
    Payment("abc", older, customer_no="C1001", customer_pk=account_pk("abc", "C1001"),
            user_id="demo", method="card", status="approved", amount_cents=50000,
            allocations={"W100": 50000}, unapplied_pk=account_pk("abc", "C1001"),
            created_at=now, updated_at=now).save()
    assert review(world, ["W100"]).amount_cents == 7172
    paid = confirm(world, review(world, [], cents=10000))  # W100's 71.72, then W200
    assert paid.allocations.as_dict() == {"W100": 7172, "W200": 2828}
    assert holds() == {older: {"cents": 50000, "invoices": {"W100": 50000}},
                       paid.payment_id: {"cents": 10000, "invoices": {"W100": 7172, "W200": 2828}}}
    with pytest.raises(payments_service.PaymentInputError, match="more than the open balance"):
        review(world, [], cents=2173)


def test_the_reconciler_expires_reviews_nobody_confirmed(world):
    reviewed = review(world)
    assert reconcile_later(world, 5)["expired"] == 0
    assert reconcile_later(world, 20)["expired"] == 1
    stored = Payment.get("abc", reviewed.payment_id)
    assert stored.status == "expired" and stored.pending_company is None
    assert confirm(world, reviewed).status == "expired" and charged(world) == {}


def test_a_review_confirmed_too_late_is_refused(world):
    reviewed = review(world)
    world["now"].offset += timedelta(minutes=25)
    with pytest.raises(payments_service.PaymentInputError, match="expired"):
        confirm(world, reviewed)
    assert charged(world) == {} and Payment.get("abc", reviewed.payment_id).status == "expired"


# ------------------------------------------------------------------ faults
def test_gateway_failure_keeps_the_hold_until_the_reconciler_fails_it(world):
    world["stand_in"].control({"fail": {"status": 500, "count": 1, "path": "checkout"}})
    payment = confirm(world, review(world))
    assert payment.status == "pending" and list(holds()) == [payment.payment_id]
    reconcile_later(world, 35)
    assert Payment.get("abc", payment.payment_id).status == "failed" and holds() == {}
    assert charged(world) == {}


def test_throttled_reservation_tells_the_user_and_charges_nothing(world):
    reviewed = review(world)
    world["repo"].faults["reserve_and_confirm"] = [
        throttled(TransactWriteError, "TransactWriteItems")]
    with pytest.raises(PaymentUnavailable, match="busy"):
        confirm(world, reviewed)
    assert charged(world) == {} and holds() == {}
    assert Payment.get("abc", reviewed.payment_id).status == "reviewed"
    assert confirm(world, reviewed).status == "approved"  # trying again works


def test_throttled_holds_read_tells_the_user(world):
    reviewed = review(world)
    world["repo"].faults["read_holds"] = [throttled(GetError, "GetItem")]
    with pytest.raises(PaymentUnavailable, match="busy"):
        confirm(world, reviewed)
    assert charged(world) == {} and Payment.get("abc", reviewed.payment_id).status == "reviewed"


@pytest.mark.parametrize("error", [throttled(TransactWriteError, "TransactWriteItems"),
                                   throttled(UpdateError, "UpdateItem")])
def test_answer_not_stored_is_pending_then_resolved_and_never_charged_twice(world, error):
    world["repo"].faults["resolve"] = [error]
    payment = confirm(world, review(world))
    assert payment.status == "pending"  # the page says it is being confirmed
    assert charged(world) == {payment.payment_id: 57172}
    again = world["service"].pay(world["company"], "C1001", payment.payment_id, "other-token")
    assert again.status == "approved" and len(charged(world)) == 1  # a retry looks it up
    assert reconcile_later(world)["resolved"] == 0
    assert world["mailbox"].sent == [("rita@example.com", payment.payment_id)]


def test_answer_not_stored_is_resolved_by_the_reconciler(world):
    world["repo"].faults["resolve"] = [throttled(TransactWriteError, "TransactWriteItems")]
    payment = confirm(world, review(world))
    assert payment.status == "pending"
    assert reconcile_later(world)["resolved"] == 1
    assert Payment.get("abc", payment.payment_id).status == "approved"
    assert list(holds()) == [payment.payment_id] and len(charged(world)) == 1


def test_ses_down_on_the_receipt_keeps_the_payment_and_its_hold(world):
    world["mailbox"].down = True
    payment = confirm(world, review(world))
    assert payment.status == "approved" and list(holds()) == [payment.payment_id]
    world["mailbox"].down = False
    assert reconcile_later(world)["receipts"] == 1
