"""Admin API, company scope: batch upserts and deletes of ERP records."""
import base64
import json

import pytest

from chalicelib.models import (
    Contact,
    Customer,
    Dealer,
    DealerLink,
    Equipment,
    Invoice,
    LedgerEntry,
    Part,
    PartToken,
    Payment,
    Statement,
    WebAccess,
)
from chalicelib.repositories.keys import account_pk
from tests.api_support import EARLIER, LATER, PDF, UPDATED, customer, invoice, make_token
from tests.support import NOW, make_user, text

# --- outcomes and the stale rule ------------------------------------------------------------

def test_invoice_created_updated_unchanged_and_stale(api):
    assert api.batch("abc", "invoices", [invoice()]).outcomes() == ["created"]
    stored = Invoice.get("abc#W500")
    assert stored.total_cents == 2681 and stored.lines[0].price_cents == 1250
    assert stored.lines[0].extension_cents == 2500
    assert stored.state_key == "open#2026-11-02#W500" and stored.due_key == "2026-12-02#W500"
    assert stored.customer_pk == "abc#C1" and stored.ar_pk == "abc#C1"
    assert stored.location_id == "MAIN"  # no location given: the bill-to

    assert api.batch("abc", "invoices", [invoice()]).outcomes() == ["unchanged"]
    newer = invoice(state="closed", balance="0", updated_at=LATER)
    assert api.batch("abc", "invoices", [newer]).outcomes() == ["updated"]
    stored = Invoice.get("abc#W500")
    assert stored.state == "closed" and stored.ar_pk is None and stored.due_key is None

    older = invoice(status="Received", updated_at=EARLIER)
    answer = api.batch("abc", "invoices", [older])
    assert answer.outcomes() == ["skipped_stale"]
    assert answer.json["summary"]["skipped_stale"] == 1
    assert Invoice.get("abc#W500").state == "closed"  # the newer record stays


def test_same_content_with_a_later_time_keeps_older_pushes_out(api):
    api.batch("abc", "invoices", [invoice()])
    assert api.batch("abc", "invoices", [invoice(updated_at=LATER)]).outcomes() == ["unchanged"]
    between = invoice(status="Received", updated_at="2026-11-20T12:00:00Z")
    assert api.batch("abc", "invoices", [between]).outcomes() == ["skipped_stale"]


def test_a_batch_with_rejected_records_writes_the_good_ones(api):
    records = [invoice("W1"), invoice("W2", total="1.234"), {"invoice_no": "W3"},
               invoice("W4", state="maybe"), "not an object", invoice("W5", lines=[
                   {"line_no": 1, "price": 1.5}, {"line_no": 1, "price": 2}])]
    answer = api.batch("abc", "invoices", records)
    assert answer.status == 200
    results = answer.json["results"]
    assert [r["outcome"] for r in results] == ["created"] + ["rejected"] * 5
    assert results[1]["key"] == "W2"
    [error] = results[1]["errors"]
    assert error["field"] == "total" and "at most 2 decimals" in error["reason"]
    assert {e["field"] for e in results[2]["errors"]} >= {"customer_no", "updated_at", "state"}
    assert results[3]["errors"][0]["field"] == "state"
    assert results[5]["errors"][0]["field"] == "lines"
    assert answer.json["summary"] == {"created": 1, "updated": 0, "unchanged": 0,
                                      "skipped_stale": 0, "rejected": 5, "deleted": 0}
    assert Invoice.count() == 1


@pytest.mark.parametrize("field,value", [
    ("total", 10.005), ("total", "ten"), ("total", "1e3"), ("total", True), ("balance", None),
    ("invoice_date", "2026-13-01"), ("updated_at", "yesterday"), ("customer_no", "C#1"),
    ("customer_no", ""), ("invoice_no", "x" * 65), ("lines", [{"line_no": 0}]),
    ("lines", [{"line_no": 1, "qty_ordered": -1}]), ("status_dates", {"x": "not a date"}),
    ("unknown_field", 1),
])
def test_every_invoice_field_is_validated(api, field, value):
    record = invoice()
    record[field] = value
    if value is None:
        del record[field]
    result = api.batch("abc", "invoices", [record]).json["results"][0]
    assert result["outcome"] == "rejected"
    assert result["errors"][0]["field"].split(".")[0] == field
    assert Invoice.count() == 0


def test_money_is_exact_cents(api):
    api.batch("abc", "invoices", [invoice(subtotal=19.99, tax="0.01", total="20", balance=0.1)])
    stored = Invoice.get("abc#W500")
    assert (stored.subtotal_cents, stored.tax_cents, stored.total_cents, stored.balance_cents) \
        == (1999, 1, 2000, 10)


def test_batch_limits_answer_413(api):
    answer = api.batch("abc", "parts", [{"part_no": f"P{n}"} for n in range(501)])
    assert answer.status == 413 and "500" in answer.json["message"]
    big = {"records": [{"part_no": "P1", "description": "x" * (6 * 1024 * 1024)}]}
    answer = api.post("/companies/abc/parts", big)
    assert answer.status == 413 and "bytes" in answer.json["message"]


def test_batch_envelope_is_checked(api):
    assert api.post("/companies/abc/parts", {"rows": []}).status == 400
    assert api.post("/companies/abc/parts", {"records": []}).status == 400
    assert api.post("/companies/abc/parts", raw=b"{").status == 400
    assert api.batch("nope", "parts", [{"part_no": "X"}]).status == 404


def test_a_company_token_writes_its_own_company(api, pacific):
    token = make_token("company", "abc")
    assert api.batch("abc", "invoices", [invoice()], token=token).outcomes() == ["created"]
    assert api.batch("pacific", "invoices", [invoice()], token=token).status == 403


# --- customers and web access -----------------------------------------------------------------

def test_customer_with_locations_contacts_and_bill_to(api):
    assert api.batch("abc", "customers", [customer()]).outcomes() == ["created"]
    rows = {c.location_id: c for c in Customer.query("abc#C1")}
    assert set(rows) == {"MAIN", "LAKE"}
    assert rows["MAIN"].address == "1 Oak St" and rows["LAKE"].location_name == "Lake house"
    assert rows["MAIN"].name_key == "rita's kitchen#C1#MAIN"
    contacts = list(Contact.query("abc#C1"))
    assert contacts[0].email == "rita@example.com" and contacts[0].primary is True
    assert api.batch("abc", "customers", [customer()]).outcomes() == ["unchanged"]

    moved = customer(locations=[], contacts=[{"contact_id": "2", "email": "ap@example.com"}],
                     updated_at=LATER)
    assert api.batch("abc", "customers", [moved]).outcomes() == ["updated"]
    assert {c.location_id for c in Customer.query("abc#C1")} == {"MAIN"}
    assert [c.contact_id for c in Contact.query("abc#C1")] == ["2"]
    stale = customer(name="Old name", updated_at=EARLIER)
    assert api.batch("abc", "customers", [stale]).outcomes() == ["skipped_stale"]
    assert Customer.get("abc#C1", "MAIN").name == "Rita's Kitchen"


def test_a_customer_re_push_keeps_the_admin_list_summary_current(api):
    assert api.batch("abc", "customers", [customer()]).outcomes() == ["created"]
    assert Customer.get("abc#C1", "LAKE").contact_emails == 1
    for row in Customer.query("abc#C1"):  # what an invitation records on every row
        row.update(actions=[Customer.portal_status.set("invited"),
                            Customer.last_invited_at.set(NOW)])
    assert api.batch("abc", "customers", [customer()]).outcomes() == ["unchanged"]

    two = customer(updated_at=LATER, contacts=[
        {"contact_id": "1", "email": "rita@example.com"}, {"contact_id": "2", "email": "ap@example.com"},
        {"contact_id": "3", "name": "No e-mail"}])
    assert api.batch("abc", "customers", [two]).outcomes() == ["updated"]
    for row in Customer.query("abc#C1"):
        assert (row.contact_emails, row.portal_status, row.last_invited_at) == (2, "invited", NOW)


def test_web_access_pushes_are_ignored_when_the_portal_owns_them(api):
    record = customer(web_access={"access_type": "Dealer", "search_all": True})
    result = api.batch("abc", "customers", [record]).json["results"][0]
    assert result["outcome"] == "created" and result["ignored_fields"] == ["web_access"]
    with pytest.raises(WebAccess.DoesNotExist):
        WebAccess.get("abc#C1")


def test_web_access_is_applied_when_the_erp_owns_it(api):
    api.patch("/companies/abc", {"web_access_owner": "erp"})
    record = customer(web_access={"access_type": "Dealer", "pages": {"parts": False}})
    result = api.batch("abc", "customers", [record]).json["results"][0]
    assert result["outcome"] == "created" and result["ignored_fields"] == []
    access = WebAccess.get("abc#C1")
    assert access.access_type == "Dealer" and access.pages.as_dict() == {"parts": False}


# --- dealers (several linked accounts) and the OEM pages ------------------------------------------

def test_dealer_linked_to_several_accounts_shows_in_the_oem_pages(api, browser):
    from tests.support import make_invoice
    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    record = {"dealer_code": "DLR9", "name": "Prairie", "linked_customer_nos": ["D1", "D2"],
              "updated_at": UPDATED}
    assert api.batch("abc", "dealers", [record]).outcomes() == ["created"]
    assert {link.linked_pk for link in DealerLink.query("abc#D1")} == {"abc#D1"}
    make_invoice("abc", "W77", "C9", "2026-11-10", dealer="DLR9")
    browser.sign_in("dan@example.com")
    assert "W77" in text(browser.get("/dealer/orders"))

    unlinked = dict(record, linked_customer_nos=["D2"], updated_at=LATER)
    assert api.batch("abc", "dealers", [unlinked]).outcomes() == ["updated"]
    assert list(DealerLink.query("abc#D1")) == []
    assert [link.dealer_code for link in DealerLink.query("abc#D2")] == ["DLR9"]


# --- the other kinds ------------------------------------------------------------------------------

def test_ledger_statements_parts_equipment(api):
    ledger = {"entry_id": "CM1", "customer_no": "C1", "entry_date": "2026-11-03",
              "kind": "credit", "reference": "Credit memo", "amount": "-25.00",
              "updated_at": UPDATED}
    statement = {"customer_no": "C1", "statement_date": "2026-10-31", "balance": "120.00",
                 "updated_at": UPDATED}
    part = {"part_no": "wp123", "description": "Door gasket for washer",
            "prices": {"retail": "12.50", "dealer": "10"}, "qty_available": 4,
            "updated_at": UPDATED}
    unit = {"customer_no": "C1", "serial_no": "SN-1", "make": "Whirlpool",
            "purchased_on": "2024-01-02", "invoice_nos": ["W500"], "updated_at": UPDATED}
    assert api.batch("abc", "ledger", [ledger]).outcomes() == ["created"]
    assert api.batch("abc", "statements", [statement]).outcomes() == ["created"]
    assert api.batch("abc", "parts", [part]).outcomes() == ["created"]
    assert api.batch("abc", "equipment", [unit]).outcomes() == ["created"]
    assert LedgerEntry.get("abc#C1", "2026-11-03#CM1").amount_cents == -2500
    assert Statement.get("abc#C1", "2026-10-31").balance_cents == 12000
    stored = Part.get("abc", "WP123")
    assert stored.prices.as_dict() == {"retail": 1250, "dealer": 1000}
    assert {t.token_pk for t in PartToken.query("abc#gasket")} == {"abc#gasket"}
    assert Equipment.get("abc#C1", "SN-1").invoice_nos == ["W500"]

    renamed = dict(part, description="Door seal", updated_at=LATER)
    assert api.batch("abc", "parts", [renamed]).outcomes() == ["updated"]
    assert list(PartToken.query("abc#gasket")) == []
    assert [t.part_no for t in PartToken.query("abc#seal")] == ["WP123"]
    assert api.batch("abc", "parts", [part]).outcomes() == ["skipped_stale"]


# --- deletes ----------------------------------------------------------------------------------------

def test_deletes_respect_the_stale_rule(api):
    api.batch("abc", "invoices", [invoice()])
    old = api.post("/companies/abc/invoices/delete",
                   {"records": [{"invoice_no": "W500", "updated_at": EARLIER}]})
    assert old.outcomes() == ["skipped_stale"] and Invoice.count() == 1
    answer = api.post("/companies/abc/invoices/delete",
                      {"records": [{"invoice_no": "W500", "updated_at": LATER}]})
    assert answer.outcomes() == ["deleted"] and answer.json["summary"]["deleted"] == 1
    assert Invoice.count() == 0
    again = api.post("/companies/abc/invoices/delete",
                     {"records": [{"invoice_no": "W500", "updated_at": LATER}]})
    assert again.outcomes() == ["unchanged"]


def test_deleting_a_part_and_a_customer_removes_their_side_items(api):
    api.batch("abc", "parts", [{"part_no": "P1", "description": "Drain pump",
                                "updated_at": UPDATED}])
    api.batch("abc", "customers", [customer()])
    api.post("/companies/abc/parts/delete", {"records": [{"part_no": "p1",
                                                          "updated_at": LATER}]})
    assert list(PartToken.query("abc#pump")) == []
    answer = api.post("/companies/abc/customers/delete",
                      {"records": [{"customer_no": "C1", "updated_at": LATER}]})
    assert answer.outcomes() == ["deleted"]
    assert list(Customer.query("abc#C1")) == [] and list(Contact.query("abc#C1")) == []


def test_ach_settlements_cannot_be_deleted(api):
    answer = api.post("/companies/abc/ach-settlements/delete",
                      {"records": [{"payment_id": "x", "updated_at": UPDATED}]})
    assert answer.status == 404


# --- ACH settlements and applied payments ---------------------------------------------------------

def _payment(payment_id, method="ach", status="approved"):
    Payment("abc", payment_id, customer_no="C1", customer_pk="abc#C1", user_id="u",
            method=method, status=status, amount_cents=5000, allocations={"W500": 5000},
            unapplied_pk="abc#C1", created_at=NOW, updated_at=NOW).save()


def test_ach_settlement_and_return(api):
    _payment("P1")
    _payment("P2")
    _payment("P3", method="card")
    records = [{"payment_id": "P1", "outcome": "settled", "updated_at": UPDATED},
               {"payment_id": "P2", "outcome": "returned", "reason": "R01 insufficient funds",
                "updated_at": UPDATED},
               {"payment_id": "P3", "outcome": "settled", "updated_at": UPDATED},
               {"payment_id": "nope", "outcome": "settled", "updated_at": UPDATED}]
    answer = api.batch("abc", "ach-settlements", records)
    assert answer.outcomes() == ["updated", "updated", "rejected", "rejected"]
    assert Payment.get("abc", "P1").status == "settled"
    returned = Payment.get("abc", "P2")
    assert returned.status == "returned" and returned.unapplied_pk is None
    assert api.batch("abc", "ach-settlements", records[:1]).outcomes() == ["unchanged"]
    stale = dict(records[0], outcome="returned", updated_at=EARLIER)
    assert api.batch("abc", "ach-settlements", [stale]).outcomes() == ["skipped_stale"]


def test_an_invoice_listing_applied_payments_clears_them(api):
    _payment("P9", method="card")
    api.batch("abc", "invoices", [invoice(applied_payment_ids=["P9"])])
    assert Payment.get("abc", "P9").unapplied_pk is None


# --- invoice PDFs ---------------------------------------------------------------------------------



def test_invoice_pdf_upload_raw_and_base64(api):
    from chalicelib import aws, config
    api.batch("abc", "invoices", [invoice()])
    answer = api.put("/companies/abc/invoices/W500/pdf", raw=PDF,
                     headers={"Content-Type": "application/pdf"})
    assert answer.status == 204, answer
    answer = api.put("/companies/abc/invoices/W500/pdf", raw=PDF,
                     headers={"Content-Type": None, "content-type": "application/pdf"})
    assert answer.status == 204, answer  # base64-encoded by the gateway: a binary type
    key = Invoice.get("abc#W500").pdf_key
    assert key.startswith("abc/invoices/") and key.endswith(".pdf")
    stored = aws.client("s3").get_object(Bucket=config.documents_bucket(), Key=key)
    assert stored["Body"].read() == PDF
    answer = api.put("/companies/abc/invoices/W500/pdf",
                     {"pdf_base64": base64.b64encode(PDF).decode()})
    assert answer.status == 204
    # a later push of the invoice keeps its PDF
    api.batch("abc", "invoices", [invoice(status="Ready", updated_at=LATER)])
    assert Invoice.get("abc#W500").pdf_key == key


def test_invoice_pdf_upload_is_checked(api):
    api.batch("abc", "invoices", [invoice()])
    not_pdf = api.put("/companies/abc/invoices/W500/pdf",
                      {"pdf_base64": base64.b64encode(b"hello").decode()})
    assert not_pdf.status == 400 and "PDF" in not_pdf.json["message"]
    assert api.put("/companies/abc/invoices/W999/pdf",
                   {"pdf_base64": base64.b64encode(PDF).decode()}).status == 404
    assert api.put("/companies/abc/invoices/W500/pdf", {"pdf_base64": "***"}).status == 400
    big = base64.b64encode(PDF + b"0" * (10 * 1024 * 1024)).decode()
    assert api.put("/companies/abc/invoices/W500/pdf", {"pdf_base64": big}).status == 413
    assert Invoice.get("abc#W500").pdf_key is None


def test_results_are_json_with_natural_keys(api):
    answer = api.batch("abc", "ledger", [{"entry_id": "E1", "customer_no": "C1",
                                          "entry_date": "2026-11-01", "kind": "payment",
                                          "amount": "-5", "updated_at": UPDATED}])
    assert json.loads(answer.body)["results"][0]["key"] == "C1/E1"
    assert Dealer.count("abc") == 0 and account_pk("abc", "C1") == "abc#C1"


def test_statement_pdf_upload(api):
    api.batch("abc", "statements", [{"customer_no": "C1", "statement_date": "2026-10-31",
                                     "balance": "120.00", "updated_at": UPDATED}])
    answer = api.put("/companies/abc/statements/C1/2026-10-31/pdf", raw=PDF,
                     headers={"Content-Type": "application/pdf"})
    assert answer.status == 204, answer
    key = Statement.get("abc#C1", "2026-10-31").pdf_key
    assert key.startswith("abc/statements/")
    assert api.put("/companies/abc/statements/C1/2026-09-30/pdf", raw=PDF,
                   headers={"Content-Type": "application/pdf"}).status == 404
    assert api.put("/companies/abc/statements/C1/not-a-date/pdf", raw=PDF,
                   headers={"Content-Type": "application/pdf"}).status == 404
    newer = {"customer_no": "C1", "statement_date": "2026-10-31", "balance": "99.00",
             "updated_at": LATER}
    assert api.batch("abc", "statements", [newer]).outcomes() == ["updated"]
    assert Statement.get("abc#C1", "2026-10-31").pdf_key == key  # the PDF stays


# --- the statements page's list ---------------------------------------------------------------------

def _statement(day, balance="10.00", updated_at=UPDATED):
    return {"customer_no": "C1", "statement_date": day, "balance": balance, "updated_at": updated_at}


def _listed(abc):
    from chalicelib.services import balance, statements

    totals = balance.account_totals(abc, "C1")
    return [(past.statement_date, past.balance_cents) for past in statements.past_statements(abc, "C1", totals)]


def test_the_statements_list_follows_what_the_erp_pushes_and_deletes(api):
    """/statements lists the ERP's statements from the account's AR totals item (no Query of
    the statements table): every push and delete moves that list."""
    from chalicelib.models import ArTotals, Company

    abc = Company.get("abc")
    assert api.batch("abc", "statements", [_statement("2026-09-30"), _statement("2026-10-31", "120.00")]
                     ).outcomes() == ["created"] * 2
    # the account's first look reads the table once and keeps the list on the totals item
    assert _listed(abc) == [("2026-10-31", 12000), ("2026-09-30", 1000)]
    assert ArTotals.get("abc#C1").statements.as_dict() == {"2026-10-31": 12000, "2026-09-30": 1000}
    # a push moves the list on the item itself
    assert api.batch("abc", "statements", [_statement("2026-11-30", "80.00"),
                                           _statement("2026-10-31", "125.00", LATER)]
                     ).outcomes() == ["created", "updated"]
    assert ArTotals.get("abc#C1").statements.as_dict() == \
        {"2026-11-30": 8000, "2026-10-31": 12500, "2026-09-30": 1000}
    # a delete makes the next look read the table again
    answer = api.post("/companies/abc/statements/delete", {"records": [
        {"customer_no": "C1", "statement_date": "2026-09-30", "updated_at": LATER}]})
    assert answer.outcomes() == ["deleted"]
    assert ArTotals.get("abc#C1").statements is None
    assert _listed(abc) == [("2026-11-30", 8000), ("2026-10-31", 12500)]
    # two years of monthly statements stay listed, the oldest go
    months = [f"{2024 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}-28" for m in range(1, 30)]
    assert set(api.batch("abc", "statements", [_statement(day) for day in months]).outcomes()) == {"created"}
    kept = ArTotals.get("abc#C1").statements.as_dict()
    assert len(kept) == 24 and min(kept) == "2024-08-28"  # 31 sent, the 7 oldest gone and "2026-11-30" in kept
    assert [day for day, _ in _listed(abc)][:2] == ["2026-11-30", "2026-10-31"]


def test_a_list_read_before_an_erp_push_is_not_stored_over_it(api):
    """The page read the table (no list on the item yet), the ERP pushed a statement, then the
    page stores what it read: refused, so the new statement is not left out of the list."""
    from chalicelib.models import ArTotals
    from chalicelib.repositories import ar_totals

    read = ar_totals.current("abc", "C1")  # the request context's copy of the item
    assert read.statements is None
    assert api.batch("abc", "statements", [_statement("2026-10-31")]).outcomes() == ["created"]
    assert not ar_totals.store_statements("abc", "C1", read.version, {})
    assert ArTotals.get("abc#C1").statements is None
    fresh = ar_totals.current("abc", "C1")
    assert ar_totals.store_statements("abc", "C1", fresh.version, {"2026-10-31": 1000})
