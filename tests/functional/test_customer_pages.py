"""Customer pages: content, search, paging, access rules and isolation."""
import re

from chalicelib import dynamo_metrics
from chalicelib.models import AuditEvent, Customer, Equipment, LedgerEntry, Payment, WebAccess
from chalicelib.repositories.keys import account_pk
from tests.support import NOW, bulk_invoices, link_dealer, make_invoice, make_user, set_pages, sign_in_rita, text

LINES = [("WP100", "Door gasket for washer", 2, 1, 2500), ("WP200", "Drain pump", 1, 1, 8000)]




def invoice_numbers(page):
    return re.findall(r'<a href="/(?:orders|dealer/orders)/([A-Z0-9-]+)"', page)


def test_current_orders_lists_only_this_customers_open_invoices(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", status="Scheduled", po="PO-7", lines=LINES)
    make_invoice("abc", "W2", "C1", "2026-10-01", state="closed", status="Completed")
    make_invoice("abc", "W3", "C2", "2026-11-02")  # another customer's
    sign_in_rita(browser, abc)
    page = text(browser.get("/orders"))
    assert invoice_numbers(page) == ["W1"]
    assert "Scheduled" in page and "PO-7" in page and "$102.29" not in page
    assert "Last updated from ABC Appliance Service" in page
    assert invoice_numbers(text(browser.get("/history"))) == ["W2"]


def test_orders_search_by_status_location_po_dates_and_number(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", status="Ready", po="PO-1001")
    make_invoice("abc", "W2", "C1", "2026-10-15", status="Scheduled", location="LAKE")
    make_invoice("abc", "W3", "C1", "2026-09-01", status="Ready", po="PO-2002")
    sign_in_rita(browser, abc)
    assert invoice_numbers(text(browser.get("/orders?status=Ready"))) == ["W1", "W3"]
    assert invoice_numbers(text(browser.get("/orders?location=LAKE"))) == ["W2"]
    assert invoice_numbers(text(browser.get("/orders?po=2002"))) == ["W3"]
    assert invoice_numbers(text(browser.get("/orders?from=2026-10-01&to=2026-10-31"))) == ["W2"]
    assert invoice_numbers(text(browser.get("/orders?sort=oldest"))) == ["W3", "W2", "W1"]
    assert invoice_numbers(text(browser.get("/orders?invoice=w2"))) == ["W2"]
    assert "Lake house" in text(browser.get("/orders"))  # the location filter offers both
    assert "Nothing matches this search" in text(browser.get("/orders?status=Ready&location=LAKE"))


def test_bad_search_input_gets_a_clear_400(browser, abc):
    sign_in_rita(browser, abc)
    response = browser.get("/orders?from=yesterday")
    assert response.status_code == 400 and "use a date like 2026-11-23" in text(response)
    response = browser.get("/orders?from=2026-11-02&to=2026-11-01")
    assert response.status_code == 400 and "on or before" in text(response)
    response = browser.get("/orders?after=bm90LWEtY3Vyc29y")
    assert response.status_code == 400 and "out of date" in text(response)


def test_orders_page_through_with_a_cursor(browser, abc):
    for n in range(60):
        make_invoice("abc", f"W{n:03d}", "C1", f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}")
    sign_in_rita(browser, abc)
    first = text(browser.get("/orders"))
    numbers = invoice_numbers(first)
    assert len(numbers) == 50 and numbers[0] == "W059"
    next_link = re.search(r'href="(\?after=[^"]+)" rel="next"', first).group(1)
    second = invoice_numbers(text(browser.get("/orders" + next_link.replace("&amp;", "&"))))
    assert len(second) == 10 and not set(numbers) & set(second)
    assert 'rel="next"' not in text(browser.last)


def test_a_cursor_cannot_open_another_customers_list(browser, abc):
    for n in range(55):
        make_invoice("abc", f"X{n:03d}", "C2", f"2026-01-{1 + n % 28:02d}")
    make_user("other@example.com", accounts=[("abc", "C2")])
    browser.sign_in("other@example.com")
    cursor = re.search(r'\?after=([^"&]+)', text(browser.get("/orders"))).group(1)
    browser.post("/logout", {})
    sign_in_rita(browser, abc)
    response = browser.get(f"/orders?after={cursor}")
    assert response.status_code == 400


def test_a_filtered_list_reads_ahead_and_pages_exactly(browser, abc):
    for n in range(130):  # every other one Ready: 65 matches spread over the list
        make_invoice("abc", f"W{n:03d}", "C1", f"2026-{1 + n // 28:02d}-{1 + n % 28:02d}",
                     status="Ready" if n % 2 else "Received")
    sign_in_rita(browser, abc)
    dynamo_metrics.start()
    first = text(browser.get("/orders?status=Ready"))
    invoice_queries = [op for op, table in dynamo_metrics.current().operations
                       if op == "Query" and table.endswith("invoices")]
    # 50 read, 25 matched; then half matching says 60 more reads find the other 25
    assert len(invoice_queries) == 2
    numbers = invoice_numbers(first)
    assert numbers == [f"W{n:03d}" for n in range(129, 29, -2)]
    next_link = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', first).group(1)
    second = invoice_numbers(text(browser.get("/orders" + next_link.replace("&amp;", "&"))))
    assert second == [f"W{n:03d}" for n in range(29, 0, -2)]  # none skipped, none twice
    assert 'rel="next"' not in text(browser.last)


def test_a_filtered_list_says_when_it_stopped_early(browser, abc):
    from chalicelib.repositories import paging

    # More non-matching invoices than the page's budget reads (5 calls of 200 items).
    bulk_invoices("abc", "C1", paging.DEFAULT_MAX_CALLS * paging.FILTERED_READ + 50,
                  status="Received")
    make_invoice("abc", "W999", "C1", "2020-01-01", status="Ready")
    sign_in_rita(browser, abc)
    dynamo_metrics.start()
    page = text(browser.get("/orders?status=Ready"))
    invoice_queries = [op for op, table in dynamo_metrics.current().operations
                       if op == "Query" and table.endswith("invoices")]
    assert len(invoice_queries) == 5  # the page's budget
    assert "We stopped searching to keep this page quick" in page
    assert "W999" not in page
    next_link = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', page).group(1)
    assert "W999" in text(browser.get("/orders" + next_link.replace("&amp;", "&")))


def test_invoice_detail_shows_lines_totals_and_payments(browser, abc):
    Payment("abc", "p1", customer_no="C1", customer_pk=account_pk("abc", "C1"), user_id="u",
            method="card", status="approved", amount_cents=3000, allocations={"W1": 3000},
            masked_account="************4242", created_at=NOW, updated_at=NOW).save()
    Payment("abc", "p2", customer_no="C1", customer_pk=account_pk("abc", "C1"), user_id="u",
            method="card", status="approved", amount_cents=2000, allocations={"W1": 2000},
            unapplied_pk=account_pk("abc", "C1"), created_at=NOW, updated_at=NOW).save()
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES, balance=10000, applied=["p1"],
                 po="PO-9", dealer="DLR01")
    sign_in_rita(browser, abc)
    page = text(browser.get("/orders/W1"))
    for expected in ("Invoice W1", "Door gasket for washer", "WP200", "PO-9", "$130.00",
                     "Payment (being applied)", "−$20.00", "−$30.00", "4242"):
        assert expected in page, expected
    # balance = ERP balance 100.00 minus the 20.00 the ERP has not applied yet
    assert re.search(r'class="balance">\$80\.00', page)


def test_an_invoice_that_is_not_yours_is_404(browser, abc, pacific):
    make_invoice("abc", "W5", "C2", "2026-11-01")
    make_invoice("pacific", "S1", "C1", "2026-11-01")
    sign_in_rita(browser, abc)
    assert browser.get("/orders/W5").status_code == 404
    assert browser.get("/orders/S1").status_code == 404
    assert browser.get("/orders/NOPE").status_code == 404


def test_open_parts_lists_every_back_ordered_line(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    make_invoice("abc", "W2", "C1", "2026-10-01", state="closed", lines=LINES)
    sign_in_rita(browser, abc)
    page = text(browser.get("/open-parts"))
    assert "Door gasket for washer" in page and "Drain pump" not in page  # shipped in full
    assert invoice_numbers(page) == ["W1"]


def test_account_shows_aging_buckets_and_total(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", balance=1000, due="2099-01-01")
    make_invoice("abc", "W2", "C1", "2026-06-01", balance=2000, due="2026-06-30")
    make_invoice("abc", "W3", "C1", "2026-06-01", balance=0, state="closed")
    sign_in_rita(browser, abc)
    page = text(browser.get("/account"))
    assert "Balance due: <span class=\"amount\">$30.00" in page
    assert invoice_numbers(page) == ["W2", "W1"]  # oldest due first
    assert "Over 90 days" in page and "days past due" in page


def test_account_history_runs_a_balance_from_the_balance_forward(browser, abc):
    pk = account_pk("abc", "C1")
    for key, kind, cents in [("2026-01-01#bf", "balance_forward", 5000),
                             ("2026-02-01#W1", "invoice", 2000),
                             ("2026-03-01#CM1", "credit", -500),
                             ("2026-04-01#P1", "payment", -1500)]:
        LedgerEntry(pk, key, kind=kind, reference=key.split("#")[1], amount_cents=cents,
                    entry_date=key[:10], erp_updated_at=NOW).save()
    sign_in_rita(browser, abc)
    page = text(browser.get("/account/history?from=2026-02-15&to=2026-12-31"))
    assert "Opening balance" in page and "$70.00" in page  # 50 forward + 20 invoice
    assert "$65.00" in page and "$50.00" in page  # after the credit, after the payment
    assert "Credit memo" in page


def test_purchases_find_lines_by_part_number_or_words(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=LINES)
    make_invoice("abc", "W2", "C1", "2025-01-01", state="closed",
                 lines=[("WP300", "Igniter for range", 1, 1, 4000)])
    sign_in_rita(browser, abc)
    assert "Igniter for range" in text(browser.get("/purchases"))
    page = text(browser.get("/purchases?q=wp1"))
    assert "Door gasket" in page and "Igniter" not in page
    page = text(browser.get("/purchases?q=pump+drain"))
    assert "Drain pump" in page and "Door gasket" not in page
    assert "Igniter" not in text(browser.get("/purchases?from=2026-01-01"))


def test_equipment_lists_units_and_their_orders(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", serial="SN-1")
    make_invoice("abc", "W9", "C2", "2026-11-01")
    Equipment(account_pk("abc", "C1"), "SN-1", make="Whirlpool", model="WFW5620",
              warranty_ends_on="2027-04-20", invoice_nos=["W1", "W9"]).save()
    sign_in_rita(browser, abc)
    page = text(browser.get("/equipment"))
    assert "Whirlpool" in page and "SN-1" in page and "Apr 20, 2027" in page
    assert invoice_numbers(page) == ["W1"]  # never another customer's invoice


def test_a_page_the_company_turns_off_answers_404(browser, abc):
    sign_in_rita(browser, abc, equipment=False)
    assert browser.get("/equipment").status_code == 404
    assert 'href="/equipment"' not in text(browser.get("/"))


def test_a_page_the_customer_flag_hides_answers_404(browser, abc):
    sign_in_rita(browser, abc)
    WebAccess(account_pk("abc", "C1"), pages={"history": False}).save()
    assert browser.get("/history").status_code == 404
    assert browser.get("/orders").status_code == 200


def test_search_all_finds_any_invoice_read_only_and_is_audited(browser, abc):
    make_invoice("abc", "W77", "C9", "2026-11-01", lines=LINES)
    sign_in_rita(browser, abc)
    assert browser.get("/search").status_code == 404  # the customer flag is off
    WebAccess(account_pk("abc", "C1"), search_all=True).save()
    assert browser.get("/search?invoice=w77").headers["Location"] == "/search/W77"
    page = text(browser.get("/search/W77"))
    assert "Invoice W77" in page and "Read-only view" in page
    assert browser.get("/orders/W77").status_code == 404
    assert browser.get("/search/NOPE").status_code == 404
    events = [e for e in AuditEvent.query("abc") if e.action == "search_all_invoices"]
    assert [e.details["invoice_no"] for e in events] == ["W77", "NOPE"]


def test_retail_customers_have_no_dealer_pages(browser, abc):
    sign_in_rita(browser, abc)
    assert browser.get("/dealer/orders").status_code == 404


def _sign_in_dealer(browser, abc, codes=("DLR01",)):
    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    for code in codes:
        link_dealer("abc", code, "D1")
    Customer(account_pk("abc", "C3"), "MAIN", company_id="abc", customer_no="C3",
             name="Harper Family", name_key="harper family#C3#MAIN").save()
    browser.sign_in("dan@example.com")


def test_a_dealer_sees_only_invoices_where_it_is_the_dealer(browser, abc):
    make_invoice("abc", "W1", "C3", "2026-11-01", dealer="DLR01")
    make_invoice("abc", "W2", "C4", "2026-11-02", dealer="DLR02")  # another dealer's
    make_invoice("abc", "W3", "C3", "2026-11-03")  # the distributor's own AR
    make_invoice("abc", "W4", "C3", "2026-01-03", state="closed", dealer="DLR01")
    _sign_in_dealer(browser, abc)
    page = text(browser.get("/dealer/orders"))
    assert "OEM Open Orders" in page  # a new company's default label
    assert invoice_numbers(page) == ["W1"]
    assert 'href="/dealer/customers/C3">Harper Family' in page
    assert invoice_numbers(text(browser.get("/dealer/history"))) == ["W4"]
    assert invoice_numbers(text(browser.get("/dealer/customers/C3"))) == ["W1"]
    assert browser.get("/dealer/orders/W1").status_code == 200
    for other in ("W2", "W3"):
        assert browser.get(f"/dealer/orders/{other}").status_code == 404
    assert browser.get("/orders/W1").status_code == 404  # not the dealer's own invoice


def test_a_dealer_sees_no_customer_it_never_served(browser, abc):
    Customer(account_pk("abc", "C1001"), "MAIN", company_id="abc", customer_no="C1001",
             name="Rita's Kitchen", name_key="rita's kitchen#C1001#MAIN").save()
    make_invoice("abc", "W5", "C1001", "2026-11-01")  # the distributor's own sale
    make_invoice("abc", "W6", "C1001", "2026-11-02", dealer="DLR02")  # another dealer's
    make_invoice("abc", "W7", "C3", "2026-01-03", state="closed", dealer="DLR01")
    _sign_in_dealer(browser, abc)
    never_served = browser.get("/dealer/customers/C1001")
    unknown = browser.get("/dealer/customers/C9999")
    assert never_served.status_code == unknown.status_code == 404
    assert "Rita" not in text(never_served)
    nonce = re.compile(r'nonce="[^"]+"')
    assert nonce.sub("", text(never_served)) == nonce.sub("", text(unknown))
    served_once = browser.get("/dealer/customers/C3")  # a closed invoice is enough
    assert served_once.status_code == 200 and "Harper Family" in text(served_once)


def test_the_oem_label_is_the_companys(browser, abc):
    abc.oem_label = "Your Customer"
    _sign_in_dealer(browser, abc)
    set_pages(abc)
    page = text(browser.get("/dealer/orders"))
    assert "Your Customer Open Orders" in page


def test_a_dealer_without_a_linked_dealer_record_has_no_oem_pages(browser, abc):
    make_user("dan@example.com", accounts=[("abc", "D1")], access_type="Dealer")
    browser.sign_in("dan@example.com")
    assert browser.get("/dealer/orders").status_code == 404


def test_several_dealer_records_are_merged_by_date(browser, abc):
    make_invoice("abc", "W1", "C3", "2026-11-01", dealer="DLR01")
    make_invoice("abc", "W2", "C4", "2026-11-03", dealer="DLR02")
    make_invoice("abc", "W3", "C4", "2026-11-02", dealer="DLR01")
    _sign_in_dealer(browser, abc, codes=("DLR01", "DLR02"))
    assert invoice_numbers(text(browser.get("/dealer/orders"))) == ["W2", "W3", "W1"]


def test_several_dealer_records_page_without_gaps_or_repeats(browser, abc):
    for n in range(40):
        make_invoice("abc", f"A{n:02d}", "C3", f"2026-03-{1 + n % 28:02d}", dealer="DLR01")
        make_invoice("abc", f"B{n:02d}", "C3", f"2026-04-{1 + n % 28:02d}", dealer="DLR02")
    _sign_in_dealer(browser, abc, codes=("DLR01", "DLR02"))
    seen, path = [], "/dealer/orders"
    while path:
        page = text(browser.get(path))
        seen += invoice_numbers(page)
        link = re.search(r'href="(\?after=[^"]+)" rel="next"', page)
        path = "/dealer/orders" + link.group(1).replace("&amp;", "&") if link else None
    assert sorted(seen) == sorted([f"A{n:02d}" for n in range(40)] + [f"B{n:02d}" for n in range(40)])


def test_a_login_with_two_accounts_switches_between_them(browser, abc, pacific):
    make_user("bo@example.com", accounts=[("abc", "C1"), ("abc", "C2"), ("pacific", "P1")])
    make_invoice("abc", "W1", "C1", "2026-11-01")
    make_invoice("abc", "W2", "C2", "2026-11-01")
    browser.sign_in("bo@example.com")
    assert invoice_numbers(text(browser.get("/orders"))) == ["W1"]
    page = text(browser.get("/accounts"))
    assert 'value="C2"' in page and 'value="P1"' not in page
    browser.post("/accounts", {"customer_no": "C2"})
    assert invoice_numbers(text(browser.get("/orders"))) == ["W2"]
    browser.get("/accounts")
    assert browser.post("/accounts", {"customer_no": "P1"}).status_code == 404


def test_an_orders_page_costs_the_same_calls_for_few_and_many_invoices(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01")
    sign_in_rita(browser, abc)
    browser.get("/orders")
    dynamo_metrics.start()
    browser.get("/orders")
    few = [op for op, _ in dynamo_metrics.current().operations]
    for n in range(120):
        make_invoice("abc", f"Z{n:03d}", "C1", f"2026-05-{1 + n % 28:02d}")
    dynamo_metrics.start()
    browser.get("/orders")
    many = [op for op, _ in dynamo_metrics.current().operations]
    assert few == many and len(few) <= 9


def test_an_administrator_without_an_account_gets_404_on_customer_pages(browser, abc):
    make_user("ada@example.com", admin_of=["abc"])
    browser.sign_in("ada@example.com")
    assert browser.get("/orders").status_code == 404
    assert "Dealer Administration" in text(browser.get("/"))


def test_money_and_dates_are_formatted(browser, abc):
    make_invoice("abc", "W1", "C1", "2026-11-01", lines=[("P", "Thing", 3, 3, 123456)])
    sign_in_rita(browser, abc)
    page = text(browser.get("/orders"))
    assert "Nov 1, 2026" in page and "$3,703.68" in page


def test_pacific_keeps_a_new_companys_menu(browser, pacific):
    make_user("pat@example.com", accounts=[("pacific", "P1")])
    browser.host = "pacific.localhost"
    browser.sign_in("pat@example.com")
    assert browser.get("/open-parts").status_code == 404
    assert browser.get("/orders").status_code == 200


def test_aging_uses_the_customers_terms_when_the_erp_gives_no_due_date(browser, abc):
    sign_in_rita(browser, abc)
    customer = Customer.get(account_pk("abc", "C1"), "MAIN")
    customer.terms_days = 10
    customer.save()
    make_invoice("abc", "W1", "C1", "2026-01-01", balance=1000)  # due 2026-01-11
    page = text(browser.get("/account"))
    assert "Jan 11, 2026" in page and "Over 90 days" in page
