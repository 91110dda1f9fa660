"""Service requests (docs/service-requests.md): the company's mode, the built-in form and its
rules, photos checked after upload, sending (feed, e-mails), the ERP's status pushes, and
Dealer Administration's list."""
import re
from datetime import date, timedelta

import pytest

from chalicelib import aws, config
from chalicelib.models import Customer, Equipment, ServiceRequest
from chalicelib.repositories.keys import account_pk
from chalicelib.services import tenant
from tests.api_support import Api, make_token
from tests.support import (
    NOW,
    PNG,
    Browser,
    make_invoice,
    make_user,
    sent_mail,
    text,
)

TOMORROW = (date.today() + timedelta(days=2)).isoformat()


def _customer(customer_no, location_id, name, city="Springfield"):
    Customer(account_pk("abc", customer_no), location_id, company_id="abc",
             customer_no=customer_no, name=f"Customer {customer_no}",
             name_key=f"customer#{customer_no}#{location_id}", location_name=name,
             city=city).save()


@pytest.fixture
def shop(app, abc):
    abc.service_requests = "builtin"
    abc.service_email = "service@abc.example"
    abc.save()
    tenant.forget()
    _customer("C1", "BILL_TO", "Head office")
    _customer("C1", "LAKE", "Lake house", "Lakeview")
    _customer("C2", "BILL_TO", "Sue's Laundry")
    Equipment(account_pk("abc", "C1"), "SN-100", make="Whirlpool", model="WTW5000",
              erp_updated_at=NOW).save()
    make_user("rita@example.com", accounts=[("abc", "C1")], name="Rita Retail")
    make_user("sue@example.com", accounts=[("abc", "C2")])
    make_user("ada@example.com", admin_of=["abc"])
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        rita, sue = Browser(client), Browser(client)
        assert rita.sign_in("rita@example.com").status_code == 303
        assert sue.sign_in("sue@example.com").status_code == 303
        yield {"rita": rita, "sue": sue, "client": client,
               "api": Api(client, make_token("company", "abc", "erp"))}


def _form(**changes):
    form = {"equipment": "SN-100", "description": "The washer leaks from the door seal.",
            "location_id": "LAKE", "date_from": TOMORROW, "date_to": "",
            "time_window": "morning", "phone": "555-123-4567"}
    form.update(changes)
    return form


def _draft(browser, **changes):
    browser.get("/service-requests/new")
    answer = browser.post("/service-requests/new", _form(**changes))
    assert answer.status_code == 303, text(answer)
    return answer.headers["Location"].rsplit("/", 1)[1]


def _upload(browser, request_id, body):
    """What the browser and S3 do: POST the file to the presigned form's key, then follow
    S3's redirect to the check page, which posts the key back."""
    page = text(browser.get(f"/service-requests/{request_id}"))
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key=key, Body=body)
    assert browser.get(f"/service-requests/{request_id}/photo-uploaded?key={key}"
                       ).status_code == 200
    return browser.post(f"/service-requests/{request_id}/photos", {"key": key})


def _send(browser, request_id):
    browser.get(f"/service-requests/{request_id}")
    return browser.post(f"/service-requests/{request_id}/send", {})


# ------------------------------------------------------------------ the company's mode

def test_the_company_setting_chooses_the_built_in_form_an_external_link_or_nothing(shop, abc):
    rita = shop["rita"]
    home = text(rita.get("/"))
    assert 'href="/service-requests"' in home
    assert rita.get("/service-requests/new").status_code == 200

    abc.service_requests, abc.service_request_url = "link", "https://service.abc.example/book"
    abc.save()
    tenant.forget()
    home = text(rita.get("/"))
    assert 'href="https://service.abc.example/book"' in home and "Service Requests" in home
    assert rita.get("/service-requests").status_code == 404
    assert rita.get("/service-requests/new").status_code == 404

    abc.service_requests = "off"
    abc.save()
    tenant.forget()
    home = text(rita.get("/"))
    assert "Service Requests" not in home
    assert rita.get("/service-requests").status_code == 404


def test_a_link_saved_before_the_setting_existed_shows_in_the_menu(app, abc):
    abc.service_request_url = "https://service.abc.example/"
    abc.save()
    tenant.forget()
    make_user("rita@example.com", accounts=[("abc", "C1")])
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        rita = Browser(client)
        rita.sign_in("rita@example.com")
        assert 'href="https://service.abc.example/"' in text(rita.get("/"))


def test_the_customer_page_flag_hides_service_requests(shop):
    from chalicelib.models import WebAccess

    WebAccess(account_pk("abc", "C1"), access_type="Retail", pages={"service": False}).save()
    assert shop["rita"].get("/service-requests/new").status_code == 404


def test_portal_settings_save_the_mode_and_refuse_what_cannot_work(shop, abc):
    ada = Browser(shop["client"])
    ada.sign_in("ada@example.com")
    page = text(ada.get("/admin/settings"))
    assert 'name="service_requests"' in page and 'name="service_email"' in page
    base = {"oem_label": "OEM", "parts_price_display": "price", "parts_qty_display": "quantity",
            "page_service": "on", "page_orders": "on", "action": "save"}
    answer = ada.post("/admin/settings", dict(base, service_requests="link",
                                              service_request_url=""))
    assert answer.status_code == 400 and "Enter the service request link" in text(answer)
    answer = ada.post("/admin/settings", dict(base, service_requests="builtin",
                                              service_email=""))
    assert answer.status_code == 400 and "service department" in text(answer)
    answer = ada.post("/admin/settings", dict(base, service_requests="builtin",
                                              service_email="not-an-address"))
    assert answer.status_code == 400
    answer = ada.post("/admin/settings", dict(base, service_requests="link",
                                              service_request_url="https://s.abc.example/x",
                                              service_email="svc@abc.example"))
    assert answer.status_code == 303
    from chalicelib.models import Company

    stored = Company.get("abc")
    assert (stored.service_requests, stored.service_request_url, stored.service_email) == \
        ("link", "https://s.abc.example/x", "svc@abc.example")


# ------------------------------------------------------------------ the form

def test_the_form_offers_the_customers_units_and_sites(shop):
    page = text(shop["rita"].get("/service-requests/new"))
    assert 'value="SN-100"' in page and "Whirlpool" in page
    assert "Lake house" in page and "Head office" in page
    assert 'value="other"' in page


@pytest.mark.parametrize("changes, field, message", [
    ({"equipment": ""}, "equipment", "Choose one of your appliances"),
    ({"equipment": "SN-OF-SOMEONE-ELSE"}, "equipment", "Choose one of your appliances"),
    ({"equipment": "other", "brand": ""}, "brand", "brand"),
    ({"description": "broken"}, "description", "at least 10 characters"),
    ({"location_id": "C2-SITE"}, "location_id", "Choose the site"),
    ({"date_from": "2020-01-01"}, "date_from", "is in the past"),
    ({"date_from": "31/12/2030"}, "date_from", "YYYY-MM-DD"),
    ({"date_to": "2020-01-01"}, "date_to", "before the first date"),
    ({"time_window": "midnight"}, "time_window", "Choose a time window"),
    ({"phone": ""}, "phone", "Enter a phone number"),
    ({"phone": "call me maybe"}, "phone", "7 to 15 digits"),
])
def test_bad_input_re_renders_the_form_with_the_values_and_the_message_by_the_field(
        shop, changes, field, message):
    rita = shop["rita"]
    rita.get("/service-requests/new")
    answer = rita.post("/service-requests/new", _form(**changes))
    page = text(answer)
    assert answer.status_code == 400
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page
    assert "The washer leaks from the door seal." in page or field == "description"
    assert 'value="555-123-4567"' in page or field == "phone"
    assert list(ServiceRequest.query("abc")) == []  # nothing written


def test_another_appliance_is_described_by_brand_model_and_serial(shop):
    request_id = _draft(shop["rita"], equipment="other", brand="Bosch", model="SHX3AR75UC",
                        serial="FD-9911")
    stored = ServiceRequest.get("abc", request_id)
    assert (stored.equipment_brand, stored.equipment_model, stored.equipment_serial) == \
        ("Bosch", "SHX3AR75UC", "FD-9911")
    assert not stored.equipment_on_file and stored.status == "draft"


def test_a_unit_on_file_is_copied_with_its_make_and_model(shop):
    stored = ServiceRequest.get("abc", _draft(shop["rita"]))
    assert (stored.equipment_brand, stored.equipment_model, stored.equipment_serial) == \
        ("Whirlpool", "WTW5000", "SN-100")
    assert stored.equipment_on_file and stored.location_id == "LAKE"
    assert stored.preferred_date == TOMORROW and stored.time_window == "morning"
    assert stored.contact_phone == "555-123-4567" and stored.contact_email == "rita@example.com"


# ------------------------------------------------------------------ photos

def test_a_photo_is_checked_after_upload_and_kept_in_the_private_bucket(shop):
    rita = shop["rita"]
    request_id = _draft(rita)
    page = text(rita.get(f"/service-requests/{request_id}"))
    assert 'enctype="multipart/form-data"' in page and "content-length-range" not in page
    answer = _upload(rita, request_id, PNG)
    assert answer.status_code == 303 and "notice=photo" in answer.headers["Location"]
    stored = ServiceRequest.get("abc", request_id)
    assert len(stored.photo_keys) == 1
    obj = aws.client("s3").get_object(Bucket=config.documents_bucket(),
                                      Key=stored.photo_keys[0])
    assert obj["Body"].read() == PNG and obj["ContentType"] == "image/png"
    shown = rita.get(f"/service-requests/{request_id}/photos/1")
    assert shown.status_code == 302 and config.documents_bucket() in shown.headers["Location"]
    assert rita.get(f"/service-requests/{request_id}/photos/2").status_code == 404


@pytest.mark.parametrize("body, message", [
    (b"%PDF-1.4 not a photo", "not a PNG, JPEG or WebP"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG"),
    (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "limited to 5 MB"),
])
def test_a_file_that_is_not_a_photo_or_too_large_gets_a_clear_message(shop, body, message):
    rita = shop["rita"]
    request_id = _draft(rita)
    answer = _upload(rita, request_id, body)
    assert answer.status_code == 400 and message in text(answer)
    assert ServiceRequest.get("abc", request_id).photo_keys == []


def test_at_most_three_photos_and_none_after_sending(shop):
    rita = shop["rita"]
    request_id = _draft(rita)
    for n in range(3):
        assert _upload(rita, request_id, PNG + bytes([n])).status_code == 303
    page = text(rita.get(f"/service-requests/{request_id}"))
    assert "the most it can have" in page and "photo-file" not in page
    assert len(ServiceRequest.get("abc", request_id).photo_keys) == 3
    other = _draft(rita)
    _send(rita, other)
    key = f"service-requests/uploads/abc/{other}/{'0' * 24}"
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key=key, Body=PNG)
    answer = rita.post(f"/service-requests/{other}/photos", {"key": key})
    assert answer.status_code == 400 and "sent already" in text(answer)


def test_an_upload_key_of_another_request_is_refused(shop):
    rita = shop["rita"]
    first, second = _draft(rita), _draft(rita)
    key = f"service-requests/uploads/abc/{first}/{'0' * 24}"
    aws.client("s3").put_object(Bucket=config.documents_bucket(), Key=key, Body=PNG)
    rita.get(f"/service-requests/{second}")
    answer = rita.post(f"/service-requests/{second}/photos", {"key": key})
    assert answer.status_code == 400 and "not valid" in text(answer)


# ------------------------------------------------------------------ sending, feed, e-mails

def test_sending_e_mails_the_customer_and_the_service_department_and_feeds_the_erp_once(shop):
    rita, api = shop["rita"], shop["api"]
    request_id = _draft(rita)
    _upload(rita, request_id, PNG)
    assert api.get("/companies/abc/feeds/service-requests").json["items"] == []  # a draft
    answer = _send(rita, request_id)
    assert answer.status_code == 303 and "notice=sent" in answer.headers["Location"]
    assert "notice=resent" in _send(rita, request_id).headers["Location"]  # double click

    mail = sent_mail()
    to_customer = [m for m in mail if m.destinations["ToAddresses"] == ["rita@example.com"]]
    to_service = [m for m in mail if m.destinations["ToAddresses"] == ["service@abc.example"]]
    assert len(to_customer) == 1 and len(to_service) == 1
    assert request_id.upper() in to_customer[0].subject
    assert "ABC Appliance Service" in to_customer[0].source
    assert "The washer leaks from the door seal." in to_service[0].body
    assert "C1" in to_service[0].subject

    items = api.get("/companies/abc/feeds/service-requests").json["items"]
    assert [i["order_id"] for i in items] == [request_id]
    item = items[0]
    assert item["customer_no"] == "C1" and item["equipment_serial"] == "SN-100"
    assert item["location_id"] == "LAKE" and item["preferred_date"] == TOMORROW
    assert item["contact_phone"] == "555-123-4567" and len(item["photo_urls"]) == 1
    assert api.post("/companies/abc/feeds/service-requests/ack",
                    {"ids": [request_id]}).json["acknowledged"] == [request_id]
    assert api.get("/companies/abc/feeds/service-requests").json["items"] == []


def test_the_erp_status_push_is_what_the_customer_sees(shop):
    rita, api = shop["rita"], shop["api"]
    request_id = _draft(rita)
    _send(rita, request_id)
    path = f"/companies/abc/service-requests/{request_id}/status"
    answer = api.put(path, {"status": "received", "updated_at": "2026-11-21T10:00:00Z"})
    assert answer.status == 200 and answer.json["outcome"] == "updated"
    assert "Received" in text(rita.get("/service-requests"))

    answer = api.put(path, {"status": "scheduled", "scheduled_date": "2026-12-03",
                            "work_order_no": "w5001", "updated_at": "2026-11-22T10:00:00Z"})
    assert answer.json == {"request_id": request_id, "status": "scheduled",
                           "scheduled_date": "2026-12-03", "work_order_no": "W5001",
                           "outcome": "updated"}
    page = text(rita.get(f"/service-requests/{request_id}"))
    assert "Scheduled for Thu Dec 3, 2026" in page and "W5001" in page
    assert 'href="/orders/W5001"' not in page  # the ERP has not sent the work order yet
    make_invoice("abc", "W5001", "C1", "2026-11-22", status="Scheduled")
    assert 'href="/orders/W5001"' in text(rita.get(f"/service-requests/{request_id}"))
    assert "W5001" in text(rita.get("/orders"))  # the work order in Current Orders

    stale = api.put(path, {"status": "received", "updated_at": "2026-11-21T12:00:00Z"})
    assert stale.json["outcome"] == "skipped_stale" and stale.json["status"] == "scheduled"


def test_status_push_input_is_checked(shop, pacific):
    rita, api = shop["rita"], shop["api"]
    draft = _draft(rita)
    path = f"/companies/abc/service-requests/{draft}/status"
    body = {"status": "received", "updated_at": "2026-11-21T10:00:00Z"}
    assert api.put(path, body).status == 404  # not sent yet
    _send(rita, draft)
    assert api.put(path, {"status": "scheduled", "updated_at": "2026-11-21T10:00:00Z"}
                   ).status == 400  # no date
    assert api.put(path, {"status": "lost", "updated_at": "2026-11-21T10:00:00Z"}).status == 400
    assert api.put(path, {"status": "received"}).status == 400
    assert api.put(f"/companies/abc/service-requests/{'0' * 24}/status", body).status == 404
    other = make_token("company", "pacific", "pacific erp")
    assert api.put(path, body, token=other).status in (403, 404)
    assert api.put(f"/companies/pacific/service-requests/{draft}/status", body,
                   token=other).status == 404
    assert ServiceRequest.get("abc", draft).status == "submitted"


# ------------------------------------------------------------------ lists and isolation

def test_the_customer_lists_only_their_own_requests_and_foreign_ids_are_404(shop):
    rita, sue = shop["rita"], shop["sue"]
    mine = _draft(rita)
    _send(rita, mine)
    assert mine.upper() in text(rita.get("/service-requests"))
    assert mine.upper() not in text(sue.get("/service-requests"))
    for path in (f"/service-requests/{mine}", f"/service-requests/{mine}/photos/1",
                 f"/service-requests/{mine}/photo-uploaded?key=x", "/service-requests/nope"):
        assert sue.get(path).status_code == 404, path
    sue.get("/service-requests")
    assert sue.post(f"/service-requests/{mine}/send", {}).status_code == 404
    assert sue.post(f"/service-requests/{mine}/photos", {"key": "x"}).status_code == 404


def test_administrators_list_filter_and_open_requests(shop, pacific):
    rita = shop["rita"]
    first = _draft(rita)
    _send(rita, first)
    second = _draft(rita, description="The dryer does not heat at all.")
    ada = Browser(shop["client"])
    ada.sign_in("ada@example.com")
    page = text(ada.get("/admin/service-requests"))
    assert first.upper() in page and second.upper() in page
    page = text(ada.get("/admin/service-requests?status=submitted"))
    assert first.upper() in page and second.upper() not in page
    assert first.upper() not in text(ada.get("/admin/service-requests?customer=C2"))
    detail = text(ada.get(f"/admin/service-requests/{first}"))
    assert "The washer leaks from the door seal." in detail and "555-123-4567" in detail
    assert ada.get(f"/admin/service-requests/{'0' * 24}").status_code == 404
    assert ada.get("/admin/service-requests?from=yesterday").status_code == 400
    make_user("pam@example.com", admin_of=["pacific"])
    pam = Browser(shop["client"], host="pacific.localhost")
    pam.sign_in("pam@example.com")
    assert pam.get(f"/admin/service-requests/{first}").status_code == 404
    assert rita.get("/admin/service-requests").status_code == 404


def test_the_demo_abc_takes_service_requests_and_rita_has_some(app):
    from chalice.test import Client

    from infra.local import seed

    seed.seed()
    with Client(app, stage_name="local") as client:
        rita = Browser(client)
        rita.sign_in("retail@example.com", seed.DEMO_PASSWORD)
        assert 'href="/service-requests"' in text(rita.get("/"))
        listing = text(rita.get("/service-requests"))
        assert "Scheduled for" in listing and "Received" in listing and "Sent" in listing
        detail = text(rita.get("/service-requests/0190000000a1d0c0ffee0001"))
        assert re.search(r'href="/orders/W\d+"', detail)  # the work order, in Current Orders
        assert rita.get("/service-requests/new").status_code == 200
        api = Api(client, seed.LOCAL_PLATFORM_TOKEN)
        items = api.get("/companies/abc/feeds/service-requests").json["items"]
        assert [i["order_id"] for i in items] == ["0190000000a1d0c0ffee0003"]


def test_the_status_example_is_accepted_and_the_feed_example_has_every_field(shop):
    import json
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    rita, api = shop["rita"], shop["api"]
    request_id = _draft(rita)
    _send(rita, request_id)
    status = json.loads((examples / "service-request-status.json").read_text())
    answer = api.put(f"/companies/abc/service-requests/{request_id}/status", status)
    assert answer.status == 200 and answer.json["work_order_no"] == "W10090"
    feed = json.loads((examples / "service-requests-feed.json").read_text())
    served = api.get("/companies/abc/feeds/service-requests").json["items"][0]
    assert set(feed["items"][0]) == set(served)
    assert "/api/v1/companies/{company_id}/service-requests/{request_id}/status" in \
        api.get("/openapi.json").json["paths"]


def test_an_s3_fault_while_a_photo_is_checked_adds_nothing_and_says_try_again(shop):
    from botocore.exceptions import ClientError

    from chalicelib.services import service_requests

    class FailingS3:
        def head_object(self, **_):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}},
                              "HeadObject")

    request_id = _draft(shop["rita"])
    stored = ServiceRequest.get("abc", request_id)
    key = f"service-requests/uploads/abc/{request_id}/{'0' * 24}"
    with pytest.raises(service_requests.PhotoStoreUnavailable, match="try again"):
        service_requests.add_photo(stored, key, s3=FailingS3())
    assert ServiceRequest.get("abc", request_id).photo_keys == []


def test_a_malformed_request_id_in_the_status_push_is_refused_not_a_500(shop):
    body = {"status": "received", "updated_at": "2026-11-21T10:00:00Z"}
    for request_id in ("xyz", "0" * 23 + "g", "%23abc"):
        answer = shop["api"].put(f"/companies/abc/service-requests/{request_id}/status", body)
        assert answer.status in (400, 404), (request_id, answer.status)
