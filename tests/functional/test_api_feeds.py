"""Feeds back to the ERP: at-least-once, acknowledged items never come back."""
from chalicelib.models import PartsOrder, Payment, ServiceRequest
from tests.api_support import Api, make_token
from tests.support import NOW


def _payments(count, company_id="abc"):
    ids = []
    for n in range(count):
        payment_id = f"{n:012x}feed{n:04d}"
        Payment(company_id, payment_id, customer_no="C1", customer_pk=f"{company_id}#C1",
                user_id="u", method="card", status="approved", amount_cents=1050 + n,
                allocations={"W1": 1050 + n}, masked_account="****4242", gateway_id=f"g{n}",
                feed_company=company_id, created_at=NOW, updated_at=NOW).save()
        ids.append(payment_id)
    return ids


def test_payment_feed_items_and_paging(api):
    ids = _payments(5)
    Payment("abc", "zzz-not-in-feed", customer_no="C1", customer_pk="abc#C1", user_id="u",
            method="card", status="pending", amount_cents=1, created_at=NOW,
            updated_at=NOW).save()
    first = api.get("/companies/abc/feeds/payments?limit=3").json
    assert [i["payment_id"] for i in first["items"]] == ids[:3]
    item = first["items"][0]
    assert item["amount"] == "10.50" and item["allocations"] == {"W1": "10.50"}
    assert item["method"] == "card" and item["masked_account"] == "****4242"
    second = api.get(f"/companies/abc/feeds/payments?limit=3&cursor={first['next_cursor']}").json
    assert [i["payment_id"] for i in second["items"]] == ids[3:]
    assert second["next_cursor"] is None or api.get(
        f"/companies/abc/feeds/payments?cursor={second['next_cursor']}").json["items"] == []


def test_ack_removes_items_for_good_and_repeats_are_harmless(api):
    ids = _payments(3)
    answer = api.post("/companies/abc/feeds/payments/ack", {"ids": [ids[0], ids[1], "nope"]})
    assert answer.status == 200
    assert answer.json == {"acknowledged": [ids[0], ids[1]], "unknown": ["nope"]}
    assert [i["payment_id"] for i in api.get("/companies/abc/feeds/payments").json["items"]] \
        == [ids[2]]
    again = api.post("/companies/abc/feeds/payments/ack", {"ids": [ids[0]]})
    assert again.json == {"acknowledged": [ids[0]], "unknown": []}
    assert [i["payment_id"] for i in api.get("/companies/abc/feeds/payments").json["items"]] \
        == [ids[2]]
    assert Payment.get("abc", ids[0]).feed_acked_at is not None


def test_an_item_of_another_company_is_unknown(api, pacific):
    other = _payments(1, "pacific")
    answer = api.post("/companies/abc/feeds/payments/ack", {"ids": other})
    assert answer.json == {"acknowledged": [], "unknown": other}
    assert Payment.get("pacific", other[0]).feed_company == "pacific"


def test_two_readers_see_the_same_unacknowledged_items(api):
    """Two ERP workers read at the same time (interleaved here, deterministically): reading
    takes nothing away; each acknowledgement removes an item once; none is lost."""
    ids = _payments(4)
    reader_a, reader_b = Api(api.client, make_token("company", "abc")), api

    def unacked(reader):
        return [i["payment_id"] for i in reader.get("/companies/abc/feeds/payments").json["items"]]

    assert unacked(reader_a) == unacked(reader_b) == ids
    first = reader_a.post("/companies/abc/feeds/payments/ack", {"ids": ids[:3]}).json
    assert unacked(reader_b) == ids[3:]  # B no longer gets what A posted
    second = reader_b.post("/companies/abc/feeds/payments/ack", {"ids": ids[1:]}).json
    assert first["acknowledged"] == ids[:3] and second["acknowledged"] == ids[1:]
    assert second["unknown"] == []  # B's overlap with A is answered as acknowledged
    assert unacked(reader_a) == unacked(reader_b) == []


def test_parts_orders_and_service_requests_feeds(api):
    PartsOrder("abc", "O1", customer_pk="abc#C1", customer_no="C1", user_id="u",
               po_number="PO-1", lines=[{"part_no": "WP1", "quantity": 2}], total_cents=2500,
               feed_company="abc", created_at=NOW).save()
    ServiceRequest("abc", "S1", customer_pk="abc#C1", customer_no="C1", user_id="u",
                   description="Washer leaks", feed_company="abc", created_at=NOW).save()
    orders = api.get("/companies/abc/feeds/parts-orders").json["items"]
    assert orders[0]["order_id"] == "O1" and orders[0]["total"] == "25.00"
    requests = api.get("/companies/abc/feeds/service-requests").json["items"]
    assert requests[0]["description"] == "Washer leaks"
    assert api.post("/companies/abc/feeds/service-requests/ack",
                    {"ids": ["S1"]}).json["acknowledged"] == ["S1"]
    assert api.get("/companies/abc/feeds/service-requests").json["items"] == []


def test_feed_input_is_checked(api, pacific):
    assert api.get("/companies/abc/feeds/invoices").status == 404
    assert api.get("/companies/abc/feeds/payments?limit=0").status == 400
    assert api.get("/companies/abc/feeds/payments?limit=abc").status == 400
    assert api.get("/companies/abc/feeds/payments?cursor=garbage!").status == 400
    _payments(2, "pacific")
    cursor = api.get("/companies/pacific/feeds/payments?limit=1").json["next_cursor"]
    assert api.get(f"/companies/abc/feeds/payments?cursor={cursor}").status == 400
    assert api.post("/companies/abc/feeds/payments/ack", {"ids": []}).status == 400
    assert api.post("/companies/abc/feeds/payments/ack", {"ids": "x"}).status == 400
