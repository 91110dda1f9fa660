"""One balance rule (docs/balance.md): Account, Account History, statements and the pay form
agree to the cent, read from the pages as a customer sees them."""
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.models import LedgerEntry, Payment
from chalicelib.repositories import ar_totals
from chalicelib.repositories.keys import account_pk, credit_key
from tests.support import Browser, make_invoice, make_user, text

MONEY = r"(-?\$[\d,]+\.\d\d)"


def cents(shown: str) -> int:
    sign = -1 if shown.startswith("-") else 1
    return sign * int(shown.lstrip("-$").replace(",", "").replace(".", ""))


def pages(browser, path):
    """Every page of a paged list, first to last, by its "Next page" links."""
    base, bodies = path.split("?")[0], []
    while path is not None:
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code)
        bodies.append(text(response))
        link = re.search(r'<a href="([^"]+)" rel="next">', bodies[-1])
        path = base + unquote(link.group(1).replace("&amp;", "&")) if link else None
    return bodies


def buckets_of(body: str):
    aging = re.search(r'<ul class="aging">(.*?)</ul>', body, re.S).group(1)
    return [cents(m) for m in re.findall(r'<span class="amount">' + MONEY + "</span>", aging)]


def account_figures(browser):
    bodies = pages(browser, "/account")
    first = bodies[0]
    total = cents(re.search(r'Balance due: <span class="amount">' + MONEY, first).group(1))
    count = re.search(r'Open invoices <span class="muted">\((\d+),', first)
    rows = [n for body in bodies
            for n in re.findall(r'<td data-label="Invoice #"><a href="/orders/([^"]+)"', body)]
    return {"total": total, "buckets": buckets_of(first),
            "count": int(count.group(1)) if count else 0, "rows": rows}


def history_closing(browser, today: date) -> int:
    bodies = pages(browser, f"/account/history?from=2000-01-01&to={today.isoformat()}")
    return closing_of(bodies[-1])


def closing_of(last_page: str) -> int:
    closing = re.search(r'<tr class="closing">.*?class="num">' + MONEY, last_page, re.S)
    if closing:
        return cents(closing.group(1))
    # else the running balance of the last row (or the opening balance: no rows)
    return cents(re.findall(r'<td data-label="Balance" class="num">' + MONEY, last_page)[-1])


def statement_figures(browser):
    body = text(browser.get("/statements"))
    total = cents(re.search(r'Total due</dt><dd class="balance">' + MONEY, body).group(1))
    # no ERP entry after the statement date here: the open items alone make the total
    assert 'class="settled"' not in body
    return total, buckets_of(body)


def pay_form_total(browser) -> int:
    body = text(browser.get("/account/pay"))
    found = re.search(r"Total open balance: <strong>" + MONEY, body)
    return cents(found.group(1)) if found else 0


def assert_one_balance(browser, today: date, label=""):
    account = account_figures(browser)
    assert sum(account["buckets"]) == account["total"], (label, account)
    assert account["count"] == len(account["rows"]), (label, account)
    assert len(set(account["rows"])) == len(account["rows"]), (label, account)
    assert history_closing(browser, today) == account["total"], label
    total_due, buckets = statement_figures(browser)
    assert sum(buckets) == total_due, (label, total_due, buckets)
    assert pay_form_total(browser) == account["total"], label
    return account


# ------------------------------------------------------------------ the demo data
def _demo_today():
    from chalicelib.repositories import companies
    from chalicelib.services.balance import company_today

    return company_today(companies.get_company("abc"))


def test_every_demo_customer_sees_one_balance_on_every_page(app):
    from chalice.test import Client

    from infra.local import seed

    seed.seed()
    accounts = [(company, number) for company, customers in seed.CUSTOMERS.items()
                for number, _, _ in customers]
    make_user("auditor@example.com", accounts=accounts)
    today = _demo_today()
    seen = {}
    with Client(app, stage_name="local") as client:
        for company_id in seed.CUSTOMERS:
            browser = Browser(client, "localhost" if company_id == "abc" else "pacific.localhost")
            assert browser.sign_in("auditor@example.com").status_code == 303
            for company, number in accounts:
                if company != company_id:
                    continue
                browser.get("/accounts")
                assert browser.post("/accounts", {"customer_no": number}).status_code == 303
                seen[number] = assert_one_balance(browser, today, number)
    # Rita (C1001): her open invoices less credit memo CM2201 and her unapplied $50 payment
    rita = seen["C1001"]
    assert rita["total"] == sum(r.balance_cents for r in _open("abc", "C1001")) - 2500 - 5000


def _open(company_id, customer_no):
    from chalicelib.repositories import invoices

    return invoices.open_ar(company_id, customer_no).items


def test_paying_an_invoice_in_full_here_drops_it_from_the_open_count(app):
    """After W10025 is paid here (not yet applied by the ERP) it is neither listed nor counted."""
    from chalice.test import Client

    from infra.local import seed

    seed.seed()
    invoice = next(i for i in _open("abc", "C1001") if i.invoice_no == "W10025")
    _portal_payment("C1001", "9" * 12 + "paidw10025xx", int(invoice.balance_cents),
                    {"W10025": int(invoice.balance_cents)}, status="pending")
    with Client(app, stage_name="local") as client:
        browser = Browser(client)
        browser.sign_in("retail@example.com", seed.DEMO_PASSWORD)
        account = assert_one_balance(browser, _demo_today(), "C1001")
    assert "W10025" not in account["rows"] and account["count"] == len(account["rows"]) == 5


def _portal_payment(customer_no, payment_id, amount, allocations, *, status="approved",
                    kind="payment", when=None, company_id="abc"):
    when = when or datetime.now(timezone.utc)
    unapplied = status in ("pending", "approved", "settled")
    Payment(company_id, payment_id, customer_no=customer_no,
            customer_pk=account_pk(company_id, customer_no), user_id="u", method="card",
            status=status, amount_cents=amount, allocations=allocations, kind=kind,
            masked_account="************4242",
            unapplied_pk=account_pk(company_id, customer_no) if unapplied else None,
            created_at=when, updated_at=when).save()


# ------------------------------------------------------------- generated ledgers
DAY = timedelta(days=1)


@st.composite
def ledgers(draw):
    """An ERP-consistent account: its ledger adds up to its open invoice balances less its
    open credits, plus portal payments in every state (those the ERP applied are in its
    ledger and invoice balances too)."""
    today = date.today()
    invoices = []
    for n in range(draw(st.integers(0, 7))):
        total = draw(st.integers(100, 500_000))
        paid = draw(st.sampled_from([0, 0, total, total // 2, draw(st.integers(0, total))]))
        age = draw(st.integers(0, 200))
        due = draw(st.sampled_from([None, 30, 0, -15]))
        invoices.append(dict(no=f"G{n:03d}", total=total, paid=paid,
                             day=today - age * DAY,
                             due=None if due is None else today - (age - due) * DAY))
    credits = []
    for n in range(draw(st.integers(0, 3))):
        amount = draw(st.integers(1, 100_000))
        credits.append(dict(ref=f"CM{n}", kind=draw(st.sampled_from(["credit", "payment"])),
                            amount=amount, open=draw(st.sampled_from([amount, 0, amount // 3])),
                            day=today - draw(st.integers(0, 150)) * DAY))
    portal = []
    for n in range(draw(st.integers(0, 4))):
        status = draw(st.sampled_from(["pending", "approved", "settled", "declined", "failed",
                                       "voided", "returned", "applied"]))
        target = draw(st.sampled_from([None] + [i["no"] for i in invoices]))
        amount = draw(st.integers(1, 300_000))
        on_invoice = draw(st.integers(0, amount)) if target else 0
        refund = draw(st.integers(0, amount)) if status == "approved" and draw(st.booleans()) else 0
        portal.append(dict(id=f"{n:012x}gen{n:09d}", status=status, amount=amount,
                           allocations={target: on_invoice} if target and on_invoice else {},
                           refund=refund, day=today - draw(st.integers(0, 20)) * DAY))
    return today, invoices, credits, portal


def _write_ledger(customer_no, today, invoices, credits, portal):
    pk = account_pk("abc", customer_no)
    entries = [("2000-01-01", "bf", "balance_forward", "Balance forward", 0, None)]
    for inv in invoices:
        balance = inv["total"] - inv["paid"]
        make_invoice("abc", customer_no + inv["no"], customer_no, inv["day"].isoformat(),
                     balance=balance, due=inv["due"].isoformat() if inv["due"] else None,
                     state="open" if balance else "closed")
        entries.append((inv["day"].isoformat(), inv["no"], "invoice", customer_no + inv["no"],
                        inv["total"], None))
        if inv["paid"]:
            entries.append((inv["day"].isoformat(), f"P{inv['no']}", "payment", inv["no"],
                            -inv["paid"], None))
    for credit in credits:
        entries.append((credit["day"].isoformat(), credit["ref"], credit["kind"], credit["ref"],
                        -credit["amount"], credit["open"]))
        # what the ERP applied of it came off some invoice: an adjustment keeps the ERP's
        # ledger equal to its open invoices less its open credits
        applied = credit["amount"] - credit["open"]
        if applied:
            entries.append((credit["day"].isoformat(), f"A{credit['ref']}", "invoice",
                            "applied elsewhere", applied, None))
    for key, entry_id, kind, reference, amount, open_cents in entries:
        entry = LedgerEntry(pk, f"{key}#{entry_id}", kind=kind, reference=reference,
                            amount_cents=amount, entry_date=key, open_cents=open_cents or None,
                            credit_pk=credit_key("abc", customer_no, kind, open_cents),
                            erp_updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        assert ar_totals.save_ledger_entry(entry, None)
    for p in portal:
        when = datetime(p["day"].year, p["day"].month, p["day"].day, 0, 30, tzinfo=timezone.utc)
        allocations = {customer_no + k: v for k, v in p["allocations"].items()}
        if p["status"] == "applied":  # the ERP applied it: in its ledger, no longer counted
            _portal_payment(customer_no, customer_no + p["id"], p["amount"], allocations,
                            status="approved", when=when)
            Payment("abc", customer_no + p["id"]).update(actions=[Payment.unapplied_pk.remove()])
            # unapplied cash in the ERP until it applies it to an invoice
            assert ar_totals.save_ledger_entry(LedgerEntry(
                pk, f"{p['day'].isoformat()}#{p['id']}", kind="payment", reference="portal",
                amount_cents=-p["amount"], entry_date=p["day"].isoformat(),
                open_cents=p["amount"], credit_pk=credit_key("abc", customer_no, "payment",
                                                             p["amount"]),
                erp_updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc)), None)
            continue
        _portal_payment(customer_no, customer_no + p["id"], p["amount"], allocations,
                        status=p["status"], when=when)
        if p["refund"]:
            refund_id = (customer_no + p["id"])[:-1] + "r"
            share = {k: -min(v, p["refund"]) for k, v in allocations.items()}
            _portal_payment(customer_no, refund_id, -p["refund"], share, status="approved",
                            kind="refund", when=when)


EXAMPLES = iter(range(10_000))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ledger=ledgers())
def test_generated_ledgers_show_one_balance_on_every_page(app, ledger):
    from chalice.test import Client

    from chalicelib.models import Company
    from chalicelib.payments import credentials
    from tests.support import make_company

    today, invoices, credits, portal = ledger
    try:
        Company.get("abc")
    except Company.DoesNotExist:  # once per test: the examples differ by customer
        # cut on today's day in UTC, so the current statement is today's
        make_company("abc", "ABC Appliance Service", ["localhost"], time_zone="UTC",
                     statement_day=min(today.day, 28), allow_payment_on_account=True)
        credentials.store("abc", "card", credentials.GatewayCredentials("o", "t", "sandbox"))
    customer_no = f"G{next(EXAMPLES)}"
    make_user(f"{customer_no.lower()}@example.com", accounts=[("abc", customer_no)])
    _write_ledger(customer_no, today, invoices, credits, portal)
    expected = (sum(i["total"] - i["paid"] for i in invoices)
                - sum(c["open"] for c in credits)
                - sum(p["amount"] for p in portal if p["status"] == "applied")  # ERP's open cash
                - sum(p["amount"] - p["refund"] for p in portal
                      if p["status"] in ("pending", "approved", "settled")))
    with Client(app, stage_name="local") as client:
        browser = Browser(client)
        assert browser.sign_in(f"{customer_no.lower()}@example.com").status_code == 303
        account = assert_one_balance(browser, today, customer_no)
        assert account["total"] == expected, (invoices, credits, portal)
        if today.day <= 28:  # the statement is today's: its total due is the balance due
            assert statement_figures(browser)[0] == expected


def test_a_long_history_pages_to_the_balance_due_with_portal_payments_on_the_last_page(browser,
                                                                                     abc):
    """120 ledger rows (three pages), a balance forward inside them, and portal payments made
    before and inside the period: the last page closes at Account's balance due."""
    pk = account_pk("abc", "C1")
    today = date.today()
    start = today - timedelta(days=130)
    for n in range(60):
        day = (start + n * 2 * DAY).isoformat()
        make_invoice("abc", f"W{n:03d}", "C1", day, balance=0 if n < 40 else 1000,
                     state="closed" if n < 40 else "open")
        for entry_id, kind, amount in ((f"W{n:03d}", "invoice", 1000),
                                       (f"P{n:03d}", "payment", -1000 if n < 40 else 0)):
            if amount:
                LedgerEntry(pk, f"{day}#{entry_id}", kind=kind, reference=entry_id,
                            amount_cents=amount, entry_date=day,
                            erp_updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc)).save()
    bf_day = (start + 70 * DAY).isoformat()  # the ERP restates its (unchanged) balance
    LedgerEntry(pk, f"{bf_day}#~bf", kind="balance_forward", reference="BF", amount_cents=0,
                entry_date=bf_day, erp_updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc)).save()
    _portal_payment("C1", "000000000001early", 700, {"W045": 700},
                    when=datetime.combine(start - 5 * DAY, datetime.min.time(), timezone.utc))
    _portal_payment("C1", "000000000002later", 300, {},
                    when=datetime.combine(today - DAY, datetime.min.time(), timezone.utc))
    from tests.support import set_pages
    set_pages(abc)
    make_user("rita@example.com", accounts=[("abc", "C1")])
    browser.sign_in("rita@example.com")
    account = account_figures(browser)
    assert account["total"] == 20 * 1000 - 700 - 300
    bodies = pages(browser, f"/account/history?from={start.isoformat()}&to={today.isoformat()}")
    assert len(bodies) >= 2
    assert closing_of(bodies[-1]) == account["total"]
    assert "Portal payment" in bodies[-1] and "-$3.00" in bodies[-1]


# ------------------------------------------------------------------ the ERP's open credits
def _credit(entry_id, amount, open_amount, when, kind="credit"):
    record = {"entry_id": entry_id, "customer_no": "C1", "entry_date": "2026-10-01",
              "kind": kind, "reference": entry_id, "amount": amount, "updated_at": when}
    if open_amount is not None:
        record["open_amount"] = open_amount
    return record


def test_the_erps_open_credits_move_the_balance_due_as_they_are_pushed_and_deleted(api):
    from chalicelib.models import Company
    from chalicelib.services import balance

    abc = Company.get("abc")
    make_invoice("abc", "W1", "C1", "2026-09-01", balance=10000, due="2026-10-01")
    assert balance.balance_due_cents(abc, "C1") == 10000
    assert api.batch("abc", "ledger", [_credit("CM1", "-25.00", "25.00", "2026-11-01T00:00:00Z"),
                                       _credit("UC1", "-40.00", "15.00", "2026-11-01T00:00:00Z",
                                               kind="payment")]).outcomes() == ["created"] * 2
    assert balance.balance_due_cents(abc, "C1") == 10000 - 2500 - 1500
    # the ERP applied CM1 to an invoice: it says so with an open amount of 0
    assert api.batch("abc", "ledger", [_credit("CM1", "-25.00", "0", "2026-11-02T00:00:00Z")]
                     ).outcomes() == ["updated"]
    assert balance.balance_due_cents(abc, "C1") == 10000 - 1500
    # an older push of it changes nothing
    assert api.batch("abc", "ledger", [_credit("CM1", "-25.00", "25.00", "2026-11-01T12:00:00Z")]
                     ).outcomes() == ["skipped_stale"]
    answer = api.post("/companies/abc/ledger/delete", {"records": [
        {"customer_no": "C1", "entry_id": "UC1", "entry_date": "2026-10-01",
         "updated_at": "2026-11-03T00:00:00Z"}]})
    assert answer.outcomes() == ["deleted"]
    assert balance.balance_due_cents(abc, "C1") == 10000
    # and a recount from the index says the same as the moved totals
    assert ar_totals.rebuild("abc", "C1").open_credits_cents == 0


def test_an_open_amount_that_does_not_fit_its_entry_is_refused(api):
    bad = [_credit("CM1", "-25.00", "30.00", "2026-11-01T00:00:00Z"),  # more than the credit
           dict(_credit("W1", "25.00", "5.00", "2026-11-01T00:00:00Z"), kind="invoice"),
           _credit("CM2", "-25.00", "-5.00", "2026-11-01T00:00:00Z")]
    answer = api.batch("abc", "ledger", bad)
    assert answer.status == 200 and answer.outcomes() == ["rejected"] * 3
    assert not list(LedgerEntry.query(account_pk("abc", "C1")))  # nothing written
    assert ar_totals.current("abc", "C1").open_credits_cents == 0
