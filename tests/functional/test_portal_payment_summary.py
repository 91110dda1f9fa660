"""The unapplied portal payments kept on the account's reservation item (issue 14).

The balance pages read them from that item (with the request context) instead of a
Query of the `unapplied` index, so after every transition of the payment state machine
the item must list exactly the payments the index lists, each once, with what the pages
show (amount, status), and the balance must be the same either way.  A retried
transition changes nothing; the ERP's apply and return take the payment out of both
in one write.
"""
from datetime import timedelta

import pytest
from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.ids import new_id
from chalicelib.models import Payment, PaymentReservations
from chalicelib.repositories import erp, ledger
from chalicelib.repositories import payments as payments_repo
from chalicelib.repositories.keys import account_pk
from chalicelib.services import balance
from tests.support import make_company, make_invoice

PK = account_pk("abc", "C1001")


@pytest.fixture
def company(aws):
    company = make_company("abc", "ABC Appliance Service", ["localhost"])
    make_invoice("abc", "W100", "C1001", "2026-09-01", balance=57172, due="2026-10-01")
    make_invoice("abc", "W200", "C1001", "2026-10-01", balance=5000, due="2026-11-01")
    return company


def confirmed(cents, allocations, method="card", kind="payment"):
    """A payment reviewed and confirmed (reviewed → pending with its hold), as the
    payment service does it (services/payments.py `_review`, `_confirm`)."""
    now = clock.utcnow()
    payment = Payment("abc", new_id(), customer_no="C1001", customer_pk=PK, user_id="u1",
                      method=method, status="reviewed", amount_cents=cents,
                      allocations=allocations, kind=kind, created_at=now, updated_at=now)
    assert payments_repo.create_reviewed(payment)
    holds = payments_repo.read_holds("abc", "C1001")
    assert payments_repo.reserve_and_confirm(payment, holds, "token") == payments_repo.RESERVED
    return Payment.get("abc", payment.payment_id)


def fresh(payment):
    return Payment.get("abc", payment.payment_id, consistent_read=True)


def summary(company):
    """{payment id: (cents, status)} as the balance pages read it from the account's item,
    checked against the `unapplied` index (the payments themselves), and the balance due
    computed from the item."""
    holds = payments_repo.account_holds("abc", "C1001")
    assert holds.complete
    from_item = {p.payment_id: (p.amount_cents, p.status) for p in holds.portal_payments()}
    from_index = {p.payment_id: (int(p.amount_cents), p.status)
                  for p in ledger.unapplied_payments("abc", "C1001")}
    assert from_item == from_index
    return from_item, balance.account_balance(company, "C1001").balance.total_cents


OPEN = 57172 + 5000


def test_a_confirmed_payment_counts_once_pending_then_approved_and_a_retry_changes_nothing(company):
    payment = confirmed(10000, {"W100": 10000})
    assert summary(company) == ({payment.payment_id: (10000, "pending")}, OPEN - 10000)
    assert payments_repo.resolve(payment, "approved", masked_account="************4242")
    assert summary(company) == ({payment.payment_id: (10000, "approved")}, OPEN - 10000)
    shown = payments_repo.account_holds("abc", "C1001").portal_payments()[0]
    assert shown.masked_account == "************4242"
    # The gateway's answer stored twice (a retry, the reconciler): refused, nothing moves.
    assert not payments_repo.resolve(fresh(payment), "approved")
    assert not payments_repo.resolve(fresh(payment), "declined")
    assert summary(company) == ({payment.payment_id: (10000, "approved")}, OPEN - 10000)


@pytest.mark.parametrize("outcome", ["declined", "failed"])
def test_a_declined_or_failed_payment_stops_counting(company, outcome):
    payment = confirmed(5000, {"W200": 5000})
    assert payments_repo.resolve(payment, outcome, message="Declined")
    assert summary(company) == ({}, OPEN)
    assert not payments_repo.resolve(fresh(payment), outcome)  # retried
    assert summary(company) == ({}, OPEN)


def test_a_voided_payment_stops_counting(company):
    payment = confirmed(5000, {"W200": 5000})
    assert payments_repo.resolve(payment, "approved")
    assert payments_repo.mark_voided(fresh(payment), "Voided by the office")
    assert summary(company) == ({}, OPEN)
    assert not payments_repo.mark_voided(fresh(payment), "again")
    assert summary(company) == ({}, OPEN)


def test_an_ach_payment_settled_keeps_counting_until_applied_and_a_return_stops_it(company):
    now = clock.utcnow()
    settled = confirmed(5000, {"W200": 5000}, method="ach")
    returned = confirmed(7000, {"W100": 7000}, method="ach")
    for payment in (settled, returned):
        assert payments_repo.resolve(payment, "approved")
    assert erp.settle_ach(fresh(settled), "settled", None, now, now)
    assert erp.settle_ach(fresh(returned), "returned", "R01 insufficient funds", now, now)
    assert summary(company) == ({settled.payment_id: (5000, "settled")}, OPEN - 5000)
    # The same ERP word again (a retried push) is stale: nothing moves.
    assert not erp.settle_ach(fresh(returned), "returned", "R01", now, now)
    assert not erp.settle_ach(fresh(settled), "settled", None, now, now)
    assert summary(company) == ({settled.payment_id: (5000, "settled")}, OPEN - 5000)
    assert fresh(returned).unapplied_pk is None


def test_the_erp_applying_a_payment_takes_it_out_once_and_a_retried_push_is_harmless(company):
    applied = confirmed(10000, {"W100": 10000})
    kept = confirmed(5000, {"W200": 5000})
    for payment in (applied, kept):
        assert payments_repo.resolve(payment, "approved")
    erp.mark_applied("abc", [applied.payment_id])
    assert summary(company) == ({kept.payment_id: (5000, "approved")}, OPEN - 5000)
    erp.mark_applied("abc", [applied.payment_id, "no-such-payment"])
    assert summary(company) == ({kept.payment_id: (5000, "approved")}, OPEN - 5000)


def test_a_hold_left_behind_by_a_cut_off_apply_goes_on_the_retry(company):
    """Before the apply moved both in one transaction, a crash between the two writes left
    the payment out of the index but still held: the ERP's retry now releases it."""
    payment = confirmed(10000, {"W100": 10000})
    assert payments_repo.resolve(payment, "approved")
    fresh(payment).update(actions=[Payment.unapplied_pk.remove()])  # the first write only
    erp.mark_applied("abc", [payment.payment_id])
    assert summary(company) == ({}, OPEN)


def test_an_approved_refund_counts_negative_until_applied(company):
    sale = confirmed(10000, {"W100": 10000})
    assert payments_repo.resolve(sale, "approved")
    refund = Payment("abc", new_id(), customer_no="C1001", customer_pk=PK, user_id="u1",
                     method="card", amount_cents=-4000, allocations={"W100": -4000},
                     kind="refund", refund_of=sale.payment_id, created_at=clock.utcnow(),
                     updated_at=clock.utcnow())
    assert payments_repo.create_pending(refund)
    assert payments_repo.resolve(fresh(refund), "approved")
    figures, owed = summary(company)
    assert figures == {sale.payment_id: (10000, "approved"), refund.payment_id: (-4000, "approved")}
    assert owed == OPEN - 6000


def test_a_parts_order_payment_holds_but_does_not_lower_the_balance(company):
    now = clock.utcnow()
    payment = Payment("abc", new_id(), customer_no="C1001", customer_pk=PK, user_id="u1",
                      method="card", status="reviewed", amount_cents=2500, allocations={},
                      kind="payment", parts_order_id="O1", created_at=now, updated_at=now)
    assert payments_repo.create_reviewed(payment)
    holds = payments_repo.read_holds("abc", "C1001")
    assert payments_repo.reserve_and_confirm(payment, holds, "token") == payments_repo.RESERVED
    assert payment.payment_id in payments_repo.read_holds("abc", "C1001").holds
    assert summary(company) == ({}, OPEN)


def test_an_item_from_before_the_summary_is_backfilled_on_first_read(company):
    """Holds written before they carried what the pages show: the first read takes the
    payments from the index and completes the item; later reads need no Query."""
    payment = confirmed(10000, {"W100": 10000})
    assert payments_repo.resolve(payment, "approved")
    item = PaymentReservations.get(PK)
    old_shape = {payment.payment_id: {"cents": 10000, "invoices": {"W100": 10000}}}
    item.update(actions=[PaymentReservations.holds.set(old_shape)])
    holds = payments_repo.account_holds("abc", "C1001")
    assert not holds.complete
    first = payments_repo.portal_payments(holds)  # from the index, and the item completed
    assert [p.payment_id for p in first] == [payment.payment_id]
    assert summary(company) == ({payment.payment_id: (10000, "approved")}, OPEN - 10000)


def test_an_account_without_an_item_gets_an_empty_one_only_when_nothing_is_unapplied(company):
    holds = payments_repo.account_holds("abc", "C1001")
    assert holds.version is None and payments_repo.portal_payments(holds) == []
    assert PaymentReservations.get(PK).holds.as_dict() == {}
    # An account whose payments predate the item keeps the Query until its first confirm.
    Payment("abc", new_id(), customer_no="C1002", customer_pk=account_pk("abc", "C1002"),
            user_id="u1", method="card", status="approved", amount_cents=100, allocations={},
            kind="payment", unapplied_pk=account_pk("abc", "C1002"),
            created_at=clock.utcnow() - timedelta(days=1), updated_at=clock.utcnow()).save()
    other = payments_repo.account_holds("abc", "C1002")
    assert len(payments_repo.portal_payments(other)) == 1
    with pytest.raises(PaymentReservations.DoesNotExist):
        PaymentReservations.get(account_pk("abc", "C1002"))


def test_a_stale_reservation_write_is_refused(company):
    """`version` is a PynamoDB VersionAttribute: a write over an older version fails."""
    confirmed(10000, {"W100": 10000})
    first, second = PaymentReservations.get(PK), PaymentReservations.get(PK)
    first.holds = {}
    first.save()
    second.holds = {}
    with pytest.raises(PutError):
        second.save()
    # The payment service's confirm over holds read before another change: refused.
    stale = payments_repo.read_holds("abc", "C1001")
    confirmed(5000, {"W200": 5000})
    late = Payment("abc", new_id(), customer_no="C1001", customer_pk=PK, user_id="u1",
                   method="card", status="reviewed", amount_cents=100, allocations={},
                   kind="payment", created_at=clock.utcnow(), updated_at=clock.utcnow())
    assert payments_repo.create_reviewed(late)
    assert payments_repo.reserve_and_confirm(late, stale, "token") == payments_repo.HOLDS_CHANGED


# ------------------------------------------------- the ERP's last payment, for the home page
def _ledger_payment(entry_id, day, amount, when):
    return {"entry_id": entry_id, "customer_no": "C1", "entry_date": day, "kind": "payment",
            "reference": entry_id, "amount": amount, "updated_at": when}


def test_the_erps_last_payment_is_kept_on_the_totals_item_as_the_ledger_is_pushed(api):
    from chalicelib.models import Company
    from chalicelib.services import dashboard

    abc = Company.get("abc")
    make_invoice("abc", "W1", "C1", "2026-09-01", balance=10000, due="2026-10-01")
    # The first home page of the account: the totals item does not say yet, the ledger is
    # read once and what it says (no payment) is stored.
    assert dashboard.dashboard(abc, "C1").last_payment is None
    from chalicelib.repositories import ar_totals
    assert ar_totals.current("abc", "C1").last_payment == {}
    assert api.batch("abc", "ledger", [_ledger_payment("P2", "2026-10-20", "-30.00", "2026-11-01T00:00:00Z"),
                                       _ledger_payment("P1", "2026-10-05", "-12.00", "2026-11-01T00:00:00Z")]
                     ).outcomes() == ["created"] * 2
    assert ar_totals.current("abc", "C1").last_payment == {
        "entry_key": ar_totals.current("abc", "C1").last_payment["entry_key"], "day": "2026-10-20",
        "cents": -3000}
    last = dashboard.dashboard(abc, "C1").last_payment
    assert (last.day.isoformat(), last.amount_cents, last.how) == ("2026-10-20", 3000,
                                                                   "Recorded by ABC Appliance Service")
    # The newest one deleted: the item no longer says, the next home page reads the ledger.
    answer = api.post("/companies/abc/ledger/delete", {"records": [
        {"customer_no": "C1", "entry_id": "P2", "entry_date": "2026-10-20",
         "updated_at": "2026-11-03T00:00:00Z"}]})
    assert answer.outcomes() == ["deleted"]
    assert ar_totals.current("abc", "C1").last_payment is None
    last = dashboard.dashboard(abc, "C1").last_payment
    assert (last.day.isoformat(), last.amount_cents) == ("2026-10-05", 1200)
    assert ar_totals.current("abc", "C1").last_payment["day"] == "2026-10-05"
    # A recount of the open AR keeps it.
    assert ar_totals.rebuild("abc", "C1").last_payment["day"] == "2026-10-05"
