"""Parts catalogue (ERP upsert) and Parts Lookup: search, display settings, detail,
quick order, and the bad input the lookup must refuse."""
import pytest

from chalicelib.models import Customer, Part, PartToken
from chalicelib.services import tenant
from tests.api_support import EARLIER, LATER, UPDATED
from tests.parts_support import PARTS, push_parts
from tests.support import make_user, set_pages, text


@pytest.fixture
def rita(shop, browser):
    browser.sign_in("rita@example.com")
    return browser


# ------------------------------------------------------------ the catalogue
def test_erp_upsert_stores_every_part_field_and_customer_level(erp, abc):
    push_parts(erp)
    filter_ = Part.get("abc", "W10295370A")
    assert filter_.description == "Refrigerator water filter"
    assert dict(filter_.prices.as_dict()) == {"list": 4999, "dealer": 3999}
    assert filter_.alternates == ["EDR1RXD1"] and filter_.number_key == "W10295370A#W10295370A"
    pump = Part.get("abc", "WP8544771")
    assert pump.qty_available == 2  # the branches' sum
    assert [(b.branch, b.qty) for b in pump.branches] == [("SEA", 2), ("POR", 0)]
    old = Part.get("abc", "WP-OLD-1")
    assert old.superseded_by == "WP8544771" and old.number_key == "WPOLD1#WP-OLD-1"
    assert Part.get("abc", "DE-GONE").discontinued is True
    assert Part.get("abc", "SCREW-10").pack_qty == 10
    assert {t.part_no for t in PartToken.query("abc#filter")} == {"W10295370A", "EDR1RXD1"}
    from tests.parts_support import push_customer

    push_customer(erp, "C9", price_level="Dealer", charge_to_account=True)
    bill_to = Customer.get("abc#C9", "MAIN")
    assert bill_to.price_level == "dealer" and bill_to.charge_to_account is True


def test_an_older_part_update_never_overwrites_a_newer_one(erp, abc):
    push_parts(erp)
    newer = dict(PARTS[0], description="Water filter premium", updated_at=LATER)
    assert erp.batch("abc", "parts", [newer]).json["results"][0]["outcome"] == "updated"
    older = dict(PARTS[0], description="Water filter v0", updated_at=EARLIER)
    assert erp.batch("abc", "parts", [older]).json["results"][0]["outcome"] == "skipped_stale"
    assert Part.get("abc", "W10295370A").description == "Water filter premium"
    # the word index follows the description
    assert "W10295370A" in {t.part_no for t in PartToken.query("abc#premium")}


@pytest.mark.parametrize("bad, field", [
    ({"prices": {"list": "-1.00"}}, "prices"),
    ({"pack_qty": 0}, "pack_qty"),
    ({"part_no": "W1#2"}, "part_no"),
    ({"superseded_by": "W10295370A"}, "(record)"),
    ({"branches": [{"branch": "SEA", "qty": 1}, {"branch": "sea", "qty": 2}]}, "branches"),
    ({"prices": {"List": "1.00", "list": "2.00"}}, "prices"),
])
def test_bad_part_records_are_rejected_with_the_field(erp, abc, bad, field):
    record = dict(PARTS[0], **bad)
    answer = erp.batch("abc", "parts", [record])
    result = answer.json["results"][0]
    assert answer.status == 200 and result["outcome"] == "rejected"
    assert any(e["field"].startswith(field) for e in result["errors"]), result
    assert Part.count("abc") == 0


def test_openapi_documents_the_part_fields_and_status_kind(erp):
    document = erp.get("/openapi.json").json
    schemas = document["components"]["schemas"]
    part = schemas["PartRecord"]["properties"]
    for name in ("unit", "pack_qty", "branches", "superseded_by", "alternates",
                 "discontinued", "core_charge"):
        assert name in part
    assert "PartsOrderStatusRecord" in schemas
    [example] = schemas["PartRecord"]["examples"]
    assert example["branches"] and example["prices"]["dealer"] == "88.00"
    answer = erp.batch("abc", "parts", [example])  # the documented example is accepted as is
    assert answer.json["summary"]["created"] == 1, answer.json


# ------------------------------------------------------------------ lookup
def test_parts_lookup_is_in_the_menu_only_when_the_company_and_customer_allow_it(
        shop, browser):
    browser.sign_in("rita@example.com")
    assert 'href="/parts"' in text(browser.get("/"))
    set_pages(shop, parts=False)
    assert 'href="/parts"' not in text(browser.get("/"))
    for path in ("/parts", "/cart", "/checkout", "/parts-orders"):
        assert browser.get(path).status_code == 404, path
    set_pages(shop, parts=True)
    from chalicelib.models import WebAccess

    access = WebAccess.get("abc#C1")
    access.pages = {"parts": False}
    access.save()
    assert browser.get("/parts").status_code == 404


@pytest.mark.parametrize("typed", ["w10295370a", "W10-295 370A", "w10 2953", "W10295370A"])
def test_number_prefix_ignores_case_spaces_and_dashes(rita, typed):
    from urllib.parse import quote_plus

    page = text(rita.get(f"/parts?q={quote_plus(typed)}"))
    assert ">W10295370A</a>" in page


def test_exact_number_comes_first_then_longer_numbers(erp, rita):
    erp.batch("abc", "parts", [
        {"part_no": "W10", "description": "Short number", "prices": {"list": "1.00"},
         "updated_at": UPDATED},
        {"part_no": "W1-0A", "description": "Dash number", "prices": {"list": "1.00"},
         "updated_at": UPDATED}])
    page = text(rita.get("/parts?q=w10"))
    first = page.index(">W10</a>")
    assert first < page.index(">W10295370A</a>") and first < page.index(">W1-0A</a>")


def test_description_words_must_all_match(rita):
    page = text(rita.get("/parts?q=water+filter"))
    assert ">W10295370A</a>" in page and ">EDR1RXD1</a>" in page
    page = text(rita.get("/parts?q=filter+everydrop"))
    assert ">EDR1RXD1</a>" in page and ">W10295370A</a>" not in page
    assert "No parts match" in text(rita.get("/parts?q=pump+filter"))


def test_prices_follow_the_company_setting_and_the_customer_level(shop, rita, browser):
    assert "$39.99" in text(rita.get("/parts?q=W10295370A"))  # C1 pays "dealer"
    shop.parts_price_display = "list"
    shop.save()
    tenant.forget()
    page = text(rita.get("/parts?q=W10295370A"))
    assert "$49.99" in page and "$39.99" not in page
    shop.parts_price_display = "hide"
    shop.save()
    tenant.forget()
    page = text(rita.get("/parts?q=W10295370A"))
    assert "$49.99" not in page and "$39.99" not in page and ">Price<" not in page


def test_a_customer_without_a_level_sees_list_prices(shop, browser):
    browser.sign_in("sue@example.com")
    page = text(browser.get("/parts?q=W10295370A"))
    assert "$49.99" in page and "$39.99" not in page


def test_availability_follows_the_company_setting(shop, rita):
    page = text(rita.get("/parts?q=W10295370A"))
    assert "40 available" in page
    shop.parts_qty_display = "in_stock"
    shop.parts_low_stock = 5
    shop.save()
    tenant.forget()
    assert "In stock" in text(rita.get("/parts?q=W10295370A"))
    assert "Low stock" in text(rita.get("/parts?q=EDR1RXD1"))  # 3 < 5
    assert "Out of stock" in text(rita.get("/parts?q=WP-OLD"))
    shop.parts_qty_display = "hide"
    shop.save()
    tenant.forget()
    page = text(rita.get("/parts?q=W10295370A"))
    assert "In stock" not in page and "available" not in page


def test_branch_availability_uses_the_branch_names(rita):
    page = text(rita.get("/parts?q=WP8544771"))
    assert "Seattle: 2" in page and "Portland: Out of stock" in page


def test_superseded_and_discontinued_parts_say_so_and_cannot_be_added(rita):
    page = text(rita.get("/parts?q=WP-OLD-1"))
    assert "Replaced by" in page and "Order WP8544771 instead" in page
    page = text(rita.get("/parts?q=DE-GONE"))
    assert "Discontinued" in page
    for number in ("WP-OLD-1", "DE-GONE"):
        answer = rita.post("/cart/add", {"part_no": number, "quantity": "1"})
        assert answer.status_code == 400
        assert "Replaced by WP8544771" in text(answer) or "Discontinued" in text(answer)
    assert 'data-cart-count>0<' in text(rita.get("/cart"))


def test_part_detail_shows_alternates_and_the_supersession_chain(erp, rita):
    erp.batch("abc", "parts", [dict(PARTS[2], superseded_by="WP-NEW-2", updated_at=LATER),
                               {"part_no": "WP-NEW-2", "description": "Washer drain pump v3",
                                "prices": {"list": "95.00"}, "updated_at": UPDATED}])
    page = text(rita.get("/parts/WP-OLD-1"))
    assert page.index("WP8544771") < page.index("WP-NEW-2")
    assert "Alternates" in text(rita.get("/parts/W10295370A"))
    assert rita.get("/parts/NO-SUCH").status_code == 404


def test_search_pages_25_at_a_time_with_a_cursor(erp, rita):
    erp.batch("abc", "parts", [{"part_no": f"KIT-{n:03d}", "description": f"Repair kit {n}",
                                "prices": {"list": "5.00"}, "updated_at": UPDATED}
                               for n in range(30)])
    first = text(rita.get("/parts?q=kit-"))
    assert first.count('>KIT-') == 25 and "More results" in first
    import re

    cursor = re.search(r'after=([^"&]+)" rel="next"', first).group(1)
    second = text(rita.get(f"/parts?q=kit-&after={cursor}"))
    assert second.count('>KIT-') == 5 and ">KIT-029<" in second
    words = text(rita.get("/parts?q=repair"))
    assert words.count('>KIT-') == 25


def test_a_foreign_or_edited_cursor_is_a_400(erp, rita):
    from chalicelib.repositories import paging

    forged = paging.encode({"m": "n", "k": {"company_id": {"S": "pacific"},
                                            "number_key": {"S": "A#A"},
                                            "part_no": {"S": "A"}}})
    assert rita.get(f"/parts?q=w10&after={forged}").status_code == 400
    assert rita.get("/parts?q=w10&after=garbage!").status_code == 400


def test_parts_of_another_company_are_never_found(erp, rita, pacific):
    from tests.api_support import Api as ApiClient
    from tests.api_support import make_token

    other = ApiClient(erp.client, make_token("company", "pacific", "erp"))
    push_parts(other, "pacific", [{"part_no": "PAC-ONLY", "description": "Pacific filter",
                                   "prices": {"list": "1.00"}, "updated_at": UPDATED}])
    assert "PAC-ONLY" not in text(rita.get("/parts?q=pac"))
    assert "PAC-ONLY" not in text(rita.get("/parts?q=pacific"))
    assert rita.get("/parts/PAC-ONLY").status_code == 404
    assert rita.post("/parts/quick-order", {"part_no": "PAC-ONLY",
                                            "quantity": "1"}).status_code == 400


# --------------------------------------------------------------- quick order
def test_quick_order_adds_straight_to_the_cart(rita):
    answer = rita.post("/parts/quick-order", {"part_no": "w10-295370a", "quantity": "2"})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/cart")
    cart = text(rita.get(answer.headers["Location"]))
    assert "Added W10295370A" in cart and 'value="2"' in cart
    assert 'data-cart-count>1<' in cart


@pytest.mark.parametrize("qty, message", [
    ("0", "whole number from 1 to 9,999"), ("-3", "whole number from 1 to 9,999"),
    ("1.5", "whole number from 1 to 9,999"), ("10000", "whole number from 1 to 9,999"),
    ("", "Enter a quantity"), ("abc", "whole number")])
def test_bad_quantities_get_a_clear_400_and_nothing_is_added(rita, qty, message):
    answer = rita.post("/parts/quick-order", {"part_no": "W10295370A", "quantity": qty})
    assert answer.status_code == 400 and message in text(answer)
    assert 'data-cart-count>0<' in text(rita.get("/cart"))


def test_unknown_part_and_pack_multiples_are_refused(rita):
    answer = rita.post("/parts/quick-order", {"part_no": "NOPE-1", "quantity": "1"})
    assert answer.status_code == 400 and "There is no part" in text(answer)
    answer = rita.post("/parts/quick-order", {"part_no": "SCREW-10", "quantity": "15"})
    assert answer.status_code == 400 and "packs of 10" in text(answer)
    assert rita.post("/parts/quick-order", {"part_no": "SCREW-10",
                                            "quantity": "20"}).status_code == 303


def test_parts_settings_in_dealer_administration_take_effect(shop, browser):
    make_user("ada@example.com", admin_of=["abc"])
    browser.sign_in("ada@example.com")
    browser.get("/admin/settings")
    form = {"action": "save", "oem_label": "OEM", "parts_price_display": "list",
            "parts_qty_display": "in_stock", "parts_low_stock": "50",
            "parts_branches": "SEA Seattle\nTAC Tacoma", "parts_po_required": "on",
            "parts_charge_to_account": "on", "page_parts": "on"}
    assert browser.post("/admin/settings", form).status_code == 303
    company = type(shop).get("abc")
    assert company.parts_low_stock == 50 and company.parts_po_required
    assert dict(company.parts_branches.as_dict()) == {"SEA": "Seattle", "TAC": "Tacoma"}
    bad = browser.post("/admin/settings", dict(form, parts_low_stock="-1"))
    assert bad.status_code == 400 and "low-stock" in text(bad)
    bad = browser.post("/admin/settings", dict(form, parts_branches="S#A bad"))
    assert bad.status_code == 400 and "Branches" in text(bad)


@pytest.mark.parametrize("path", ["/parts", "/parts?q=W102", "/parts?q=pump", "/parts?q=drain+pump",
                                  "/parts?q=DE-GONE", "/parts/W10295370A", "/cart", "/checkout",
                                  "/parts-orders", "/service-requests", "/service-requests/new"])
def test_parts_and_service_pages_cost_at_most_four_dynamodb_calls(rita, shop, path):
    """The session, the request context's BatchGetItem (with the cart and bill-to row), and
    at most two reads of the page's own; a word of letters is a description word first."""
    from chalicelib import dynamo_metrics

    shop.service_requests = "builtin"
    shop.save()
    set_pages(shop, parts=True, service=True)
    rita.post("/cart/add", {"part_no": "W10295370A", "quantity": "1"})
    rita.get(path)  # warm: the tenant cache
    answer = rita.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    operations = dynamo_metrics.current().operations
    assert len(operations) <= 4, operations
    if "q=DE-GONE" in path:  # letters only, in no description: found as a number
        assert "Dryer belt discontinued" in text(answer)
