"""Property test of the cart (chalicelib/services/parts.py) over the real repository: for any
sequence of adds, quantity changes and ERP price changes, the cart keeps only whole
quantities 1–9,999 in pack multiples, refuses everything else without writing, totals at
today's prices, and tells a price change exactly once."""
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.models import Cart, Customer, Part
from chalicelib.repositories.keys import part_number_key
from chalicelib.services import parts

NOW = datetime(2026, 11, 20, tzinfo=UTC)
CATALOGUE = {"A-1": 1, "B-6": 6, "C-25": 25}  # part -> pack quantity

operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.sampled_from(sorted(CATALOGUE)),
              st.one_of(st.integers(-5, 12000).map(str), st.sampled_from(["1.5", "", "x", " 7 "]))),
    st.tuples(st.just("change"), st.sampled_from(sorted(CATALOGUE)),
              st.integers(-2, 10050).map(str)),
    st.tuples(st.just("price"), st.sampled_from(sorted(CATALOGUE)), st.integers(1, 50000)),
), min_size=1, max_size=12)


@pytest.fixture
def catalogue(aws, abc):
    Customer("abc#C1", "MAIN", company_id="abc", customer_no="C1", name="C1",
             name_key="c1#C1#MAIN").save()
    for part_no, pack in CATALOGUE.items():
        Part("abc", part_no, number_key=part_number_key(part_no), description=f"Part {part_no}",
             pack_qty=pack, prices={"list": 1000}, qty_available=10,
             erp_updated_at=NOW).save()
    return abc


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_cart_quantities_and_price_changes(catalogue, steps):
    for cart in Cart.query("abc#C1"):
        cart.delete()
    prices = {part_no: 1000 for part_no in CATALOGUE}
    for part_no in CATALOGUE:
        Part("abc", part_no).update(actions=[Part.prices.set({"list": 1000})])
    carts = parts.Carts(catalogue, "C1", "u1")
    expected: dict = {}  # what the cart must hold
    seen: dict = {}  # the price the customer last saw per line
    for kind, part_no, value in steps:
        pack = CATALOGUE[part_no]
        if kind == "price":
            prices[part_no] = value
            Part("abc", part_no).update(actions=[Part.prices.set({"list": value})])
            continue
        text = value.strip()
        valid = text.isdigit() and 1 <= int(text) <= 9999 and int(text) % pack == 0
        if kind == "add":
            valid = valid and expected.get(part_no, 0) + int(text) <= 9999
        else:
            valid = valid and part_no in expected
            version = parts_version(carts)
        try:
            if kind == "add":
                carts.add(part_no, value)
            else:
                carts.change(part_no, value, version)
        except parts.PartsInputError:
            assert not valid, (kind, part_no, value)
            continue
        assert valid, (kind, part_no, value)
        expected[part_no] = expected.get(part_no, 0) + int(text) if kind == "add" else int(text)
        if kind == "add":
            seen[part_no] = prices[part_no]  # adding shows today's price
    view, _ = carts.show(remember=True)
    assert {line.row.part.part_no: line.quantity for line in view.lines} == expected
    for line in view.lines:
        assert 1 <= line.quantity <= 9999 and line.quantity % CATALOGUE[line.row.part.part_no] == 0
    assert view.total_cents == sum(prices[n] * q for n, q in expected.items())
    told = {notice.split(":")[0] for notice in view.notices}
    assert told == {n for n in expected if seen.get(n) != prices[n]}
    again, _ = carts.show(remember=True)
    assert again.notices == []  # told once


def parts_version(carts):
    return int(carts.cart().version or 0)
