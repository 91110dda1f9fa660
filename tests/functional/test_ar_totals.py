"""The open-AR totals /account reads stay equal to the open invoices, whatever the ERP pushes."""
import random
import re
from datetime import timedelta

from chalicelib import clock, dynamo_metrics
from chalicelib.contract.schemas import KINDS
from chalicelib.models import ArJournal, ArTotals, Company, Invoice, Payment
from chalicelib.repositories import ar_totals
from chalicelib.services import erp_import
from tests.ar_support import DAYS, age_journals, pushed
from tests.support import NOW, make_invoice, sign_in_rita, text


def _folded(attribute, days):
    """Days only ever "Over 90 days" may be stored as one entry (ar_totals.OLD)."""
    before = ar_totals._fold_before(attribute, clock.utcnow().date())
    result = {}
    for day, cents in days.items():
        key = ar_totals.OLD if day < before else day
        result[key] = result.get(key, 0) + cents
    return {day: cents for day, cents in result.items() if cents}


def recount(customer_no):
    """What the totals must say: every open invoice of the account, read from the table."""
    by_due, by_invoice_date, count = {}, {}, 0
    for invoice in Invoice.by_customer.query(f"abc#{customer_no}"):
        if invoice.balance_cents > 0:
            days = by_due if invoice.due_date else by_invoice_date
            day = invoice.due_date or invoice.invoice_date
            days[day] = days.get(day, 0) + invoice.balance_cents
            count += 1
    return _folded("by_due", by_due), _folded("by_invoice_date", by_invoice_date), count


def stored(customer_no):
    totals = ArTotals.get(f"abc#{customer_no}")
    days = lambda name: {d: int(c) for d, c in getattr(totals, name).attribute_values.items()}  # noqa: E731
    return _folded("by_due", days("by_due")), _folded("by_invoice_date", days("by_invoice_date")), \
        int(totals.open_count)






def test_random_erp_pushes_and_deletes_keep_the_totals_exact(api):
    rng = random.Random(20261123)
    for customer_no in ("C1", "C2"):  # counted (nothing yet), so every push moves them
        ar_totals.current("abc", customer_no)
    for step in range(1, 90):
        invoice_no = f"W{rng.randint(1, 8)}"
        if rng.random() < 0.15:
            answer = api.post("/companies/abc/invoices/delete", {"records": [
                {"invoice_no": invoice_no, "updated_at": pushed("x", "x", step, 0, None, "open")[
                    "updated_at"]}]})
        else:
            balance = rng.choice([0, 1, 2550, 10000, 49999])
            record = pushed(invoice_no, rng.choice(["C1", "C2"]), step, balance,
                            rng.choice(DAYS + [None]), rng.choice(["open", "open", "closed"]))
            if record["due_date"] is None:
                del record["due_date"]
            answer = api.batch("abc", "invoices", [record])
        assert answer.status == 200, answer.json
        for customer_no in ("C1", "C2"):
            assert stored(customer_no) == recount(customer_no), f"step {step}"
    assert Invoice.count() > 0  # the walk ended with invoices stored


def test_an_older_push_landing_between_read_and_write_is_counted_once(api):
    api.batch("abc", "invoices", [pushed("W1", "C1", 1, 10000, DAYS[0], "open")])
    ar_totals.current("abc", "C1")  # the account's first read counts it
    record = KINDS["invoices"].record.model_validate(pushed("W1", "C1", 5, 2500, DAYS[1], "open"))
    newer = erp_import._invoice(record, erp_import.Context(company=Company.get("abc"), now=NOW))
    # The writer read "nothing stored" before W1 landed: its write is refused, it re-reads, retries.
    assert ar_totals.save_invoice(newer, None) is False
    with ar_totals.Moves(["abc#C1"]) as moves:
        written, old = erp_import._save_invoice(moves, newer, None, newer.erp_updated_at)
    assert written and old is not None and old.balance_cents == 10000
    assert stored("C1") == ({DAYS[1]: 2500}, {}, 1) == recount("C1")


def test_account_totals_cover_every_open_invoice_while_the_list_pages(browser, abc):
    for n in range(60):
        make_invoice("abc", f"W{n:03d}", "C1", "2026-05-01", balance=1000, due=f"2026-10-{n % 28 + 1:02d}")
    make_invoice("abc", "W900", "C1", "2026-11-01", balance=500)  # no due date: 30 days' terms
    sign_in_rita(browser, abc)
    page = text(browser.get("/account"))
    assert 'Balance due: <span class="amount">$605.00' in page
    assert "Open invoices <span class=\"muted\">(61," in page
    first = re.findall(r'href="/orders/(W\d+)"', page)
    assert len(first) == 50 and first[0] in ("W000", "W028", "W056")
    cursor = re.search(r'href="\?after=([^"&]+)" rel="next"', page).group(1)
    rest = re.findall(r'href="/orders/(W\d+)"', text(browser.get(f"/account?after={cursor}")))
    assert len(rest) == 11 and not set(first) & set(rest)
    assert browser.get("/account?after=bm90LWEtY3Vyc29y").status_code == 400


def test_a_pending_portal_payment_lowers_the_aging_bucket_of_its_invoice(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-05-01", balance=10000, due="2026-06-30")
    make_invoice("abc", "W2", "C1", "2026-11-01", balance=4000, due="2099-01-01")
    Payment("abc", "p1", customer_no="C1", customer_pk="abc#C1", user_id="u", method="card",
            status="approved", amount_cents=12500, allocations={"W1": 12500},  # more than W1
            unapplied_pk="abc#C1", created_at=NOW, updated_at=NOW).save()
    sign_in_rita(browser, abc)
    page = text(browser.get("/account"))
    # the balance rule (docs/balance.md): the whole payment counts until the ERP applies
    # it; the $25 beyond W1's balance comes off the oldest balance left (W2's)
    assert 'Balance due: <span class="amount">$15.00' in page
    assert page.count('href="/orders/') == 1  # W1 is shown paid
    assert 'Open invoices <span class="muted">(1,' in page


def test_aging_by_day_agrees_with_the_bucket_of_each_invoice():
    from datetime import date

    from chalicelib.services import account

    today = date(2026, 11, 23)
    for late in range(-40, 200):
        buckets = [0] * len(account.BUCKETS)
        account._add_by_day(buckets, {(today - timedelta(days=late)).isoformat(): 7}, today)
        assert buckets.index(7) == account.bucket(late), late


def test_a_batch_cut_off_before_its_totals_moved_is_recounted_by_the_repair(api):
    api.batch("abc", "invoices", [pushed("W1", "C1", 1, 10000, DAYS[-1], "open")])
    assert ar_totals.repair() == 0  # a journal younger than any running batch is left alone
    age_journals()
    assert ar_totals.repair() == 1  # a new account is counted from the index: checked again
    assert stored("C1") == ({DAYS[-1]: 10000}, {}, 1)
    # The batch writes its journal and the invoice, then the Lambda dies before the totals move.
    record = KINDS["invoices"].record.model_validate(pushed("W1", "C1", 5, 2500, DAYS[-1], "open"))
    cut_off = erp_import._invoice(record, erp_import.Context(company=Company.get("abc"), now=NOW))
    assert ar_totals.Moves(["abc#C1"]).save(cut_off, Invoice.get("abc#W1"))
    assert stored("C1") != recount("C1")
    age_journals()
    assert ar_totals.repair(budget_seconds=0) == 0  # out of time: the journal waits for the next run
    assert ArJournal.count() == 1
    from chalice.test import Client

    from app import app
    with Client(app) as client:  # the scheduled handler, as EventBridge calls it
        event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                detail={}, resources=[])
        assert client.lambda_.invoke("repair_ar_totals", event).payload == {"accounts": 1}
    assert stored("C1") == ({DAYS[-1]: 2500}, {}, 1) == recount("C1")
    assert ArJournal.count() == 0 and ar_totals.repair() == 0


def test_a_batch_moves_each_account_once_and_leaves_no_journal(api):
    api.batch("abc", "invoices", [pushed("W0", "C1", 1, 100, DAYS[-1], "open")])
    age_journals()
    ar_totals.repair()  # C1 has totals now
    dynamo_metrics.start()
    records = [pushed(f"W{n}", "C1", 2, 1000 + n, DAYS[n % 2 + 3], "open") for n in range(1, 41)]
    assert api.batch("abc", "invoices", records).status == 200
    operations = dynamo_metrics.current().operations
    assert operations.count(("UpdateItem", ArTotals.Meta.table_name)) == 1
    assert operations.count(("PutItem", Invoice.Meta.table_name)) == 40
    assert ArJournal.count() == 0
    assert stored("C1") == recount("C1")


def test_days_paid_off_are_removed_and_old_days_folded_into_one(abc):
    make_invoice("abc", "W999", "C1", "2026-11-01", balance=100, due="2026-12-15")
    ar_totals.current("abc", "C1")  # the account's first read counts it
    for n in range(ar_totals.FOLD_AT + 5):  # due 200+ days ago: "Over 90 days" for good
        make_invoice("abc", f"W{n:03d}", "C1", "2025-01-01", balance=100,
                     due=f"2026-0{1 + n // 28}-{1 + n % 28:02d}")
    make_invoice("abc", "W900", "C1", "2026-11-01", balance=700, due=DAYS[-1])
    make_invoice("abc", "W900", "C1", "2026-11-01", balance=0, due=DAYS[-1], state="closed")
    totals = ArTotals.get("abc#C1").by_due.attribute_values
    assert DAYS[-1] not in totals  # paid: no zero entry left behind
    assert len(totals) < ar_totals.FOLD_AT and totals[ar_totals.OLD] >= 100 * ar_totals.FOLD_AT
    assert stored("C1") == recount("C1")
