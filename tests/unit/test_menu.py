"""The menu: company settings ∩ customer page flags ∩ access type."""
from chalicelib.models import DEFAULT_PAGES
from chalicelib.services.menu import menu, page_keys


def keys(**overrides):
    args = dict(company_pages=dict(DEFAULT_PAGES), customer_pages=None, access_type="Retail",
                has_dealer_link=False, search_all=False)
    args.update(overrides)
    return page_keys(menu(**args))


def test_a_new_company_shows_orders_and_history_but_not_distributor_features():
    shown = keys()
    assert "orders" in shown and "history" in shown
    assert not {"parts", "open_parts", "search_all"} & set(shown)


def test_dealer_pages_need_dealer_access_and_a_linked_dealer_record():
    assert "dealer_orders" not in keys(access_type="Dealer")
    assert "dealer_orders" not in keys(has_dealer_link=True)
    assert {"dealer_orders", "dealer_history"} <= set(keys(access_type="Dealer",
                                                          has_dealer_link=True))


def test_the_customer_flag_hides_a_page_the_company_offers():
    assert "equipment" not in keys(customer_pages={"equipment": False})


def test_the_company_setting_wins_over_the_customer_flag():
    assert "open_parts" not in keys(customer_pages={"open_parts": True})
    assert "open_parts" in keys(company_pages=dict(DEFAULT_PAGES, open_parts=True))


def test_search_all_needs_the_company_and_the_customer():
    assert "search_all" not in keys(search_all=True)
    assert "search_all" not in keys(company_pages=dict(DEFAULT_PAGES, search_all=True))
    assert "search_all" in keys(company_pages=dict(DEFAULT_PAGES, search_all=True),
                                search_all=True)


def test_the_oem_label_comes_from_the_company():
    items = menu(company_pages=dict(DEFAULT_PAGES), customer_pages=None, access_type="Dealer",
                 has_dealer_link=True, search_all=False, oem_label="Your Customer")
    assert "Your Customer Open Orders" in [item.label for item in items]
