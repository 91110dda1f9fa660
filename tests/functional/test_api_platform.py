"""Admin API, platform scope: tokens and auth, companies, domains, admins, gateway."""
import json
import re

import pytest

from chalicelib.models import AuditEvent, Domain, User
from tests.api_support import make_token
from tests.support import sent_mail

NEW_COMPANY = {"company_id": "delta", "name": "Delta Supply", "primary_domain": "Portal.Delta.example"}


# --- auth ---------------------------------------------------------------------------------

def test_no_token_is_401_json(api):
    answer = api.get("/tokens", token=None)
    assert answer.status == 401
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.json) >= {"error", "message"}


def test_malformed_and_unknown_tokens_are_401(api):
    for header in ["Basic abc", "Bearer", "Bearer " + "x" * 300, "token"]:
        answer = api.get("/tokens", token=None, headers={"Authorization": header})
        assert answer.status == 401, header
    assert api.get("/tokens", token="not-a-token").status == 401


def test_a_revoked_token_is_401(api):
    created = api.post("/tokens", {"scope": "platform", "label": "temp"}).json
    assert api.get("/tokens", token=created["token"]).status == 200
    assert api.delete(f"/tokens/{created['token_id']}").status == 204
    answer = api.get("/tokens", token=created["token"])
    assert answer.status == 401 and "revoked" in answer.json["message"]


def test_company_token_cannot_use_platform_routes_or_other_companies(api, pacific):
    abc_token = make_token("company", "abc")
    assert api.get("/tokens", token=abc_token).status == 403
    assert api.post("/companies", NEW_COMPANY, token=abc_token).status == 403
    assert api.get("/companies/abc", token=abc_token).status == 200
    assert api.patch("/companies/abc", {"oem_label": "X"}, token=abc_token).status == 403
    assert api.put("/companies/abc/gateway/card", {"oid": "1", "auth_token": "t",
                                                   "environment": "sandbox"},
                   token=abc_token).status == 403
    assert api.get("/companies/pacific", token=abc_token).status == 403
    assert api.batch("pacific", "parts", [], token=abc_token).status == 403
    assert api.get("/companies/pacific/feeds/payments", token=abc_token).status == 403


def test_token_is_shown_once_and_stored_hashed(api):
    created = api.post("/tokens", {"scope": "company", "company_id": "abc", "label": "erp"})
    assert created.status == 201
    body = created.json
    assert len(body["token"]) >= 43  # 256 bits, url-safe base64
    listed = api.get("/tokens").json["tokens"]
    mine = [t for t in listed if t["token_id"] == body["token_id"]]
    assert mine and mine[0]["scope"] == "company" and mine[0]["company_id"] == "abc"
    assert body["token"] not in json.dumps(listed)
    from chalicelib.ids import sha256
    from chalicelib.models import ApiToken
    stored = ApiToken.get(sha256(body["token"]))
    assert body["token"] not in json.dumps(stored.serialize())


def test_last_use_is_recorded(api):
    created = api.post("/tokens", {"scope": "company", "company_id": "abc"}).json
    api.get("/companies/abc", token=created["token"])
    listed = {t["token_id"]: t for t in api.get("/tokens").json["tokens"]}
    assert listed[created["token_id"]]["last_used_at"] is not None


def test_token_creation_is_validated(api):
    assert api.post("/tokens", {"scope": "company"}).status == 400
    assert api.post("/tokens", {"scope": "platform", "company_id": "abc"}).status == 400
    assert api.post("/tokens", {"scope": "root"}).status == 400
    assert api.post("/tokens", {"scope": "company", "company_id": "nope"}).status == 404
    assert api.delete("/tokens/unknown").status == 404


# --- companies and domains -----------------------------------------------------------------

def test_create_a_company_with_its_primary_domain(api):
    answer = api.post("/companies", dict(NEW_COMPANY, auto_credentials=True,
                                         pages={"parts": True}, web_access_owner="erp"))
    assert answer.status == 201, answer
    body = answer.json
    assert body["primary_domain"] == "portal.delta.example"
    assert body["auto_credentials"] is True and body["pages"]["parts"] is True
    assert body["pages"]["orders"] is True  # defaults kept
    assert Domain.get("portal.delta.example").company_id == "delta"
    assert api.get("/companies/delta").json["domains"] == ["portal.delta.example"]
    assert any(e.action == "company_created" for e in AuditEvent.query("delta"))


def test_company_ids_and_hosts_are_unique(api):
    assert api.post("/companies", NEW_COMPANY).status == 201
    assert api.post("/companies", NEW_COMPANY).status == 409
    taken_host = dict(NEW_COMPANY, company_id="other", primary_domain="localhost")
    assert api.post("/companies", taken_host).status == 409


def test_company_fields_are_validated(api):
    for bad in [dict(NEW_COMPANY, company_id="Delta!"), dict(NEW_COMPANY, primary_domain="a b"),
                dict(NEW_COMPANY, time_zone="Mars/Base"), dict(NEW_COMPANY, web_access_owner="x"),
                dict(NEW_COMPANY, pages={"nope": True}), dict(NEW_COMPANY, surprise=1),
                {"name": "no id"}]:
        answer = api.post("/companies", bad)
        assert answer.status == 400, bad
        assert answer.json["errors"], bad


def test_patch_changes_only_what_is_sent(api):
    answer = api.patch("/companies/abc", {"oem_label": "Dealer", "generated_password_days": 10})
    assert answer.status == 200, answer
    assert answer.json["oem_label"] == "Dealer" and answer.json["name"] == "ABC Appliance Service"
    assert api.get("/companies/abc").json["generated_password_days"] == 10


def test_a_credentials_format_with_an_unknown_placeholder_is_refused(api):
    answer = api.patch("/companies/abc", {"credentials_email_format": "Hi {{ first_name }}"})
    assert answer.status == 400 and "first_name" in answer.json["message"]
    answer = api.patch("/companies/abc", {"credentials_email_format": "Hi {{ user_name"})
    assert answer.status == 400 and "syntax" in answer.json["message"]
    answer = api.patch("/companies/abc", {"credentials_email_format":
                                          "{{ user_name.__class__.__mro__ }}"})
    assert answer.status == 400
    ok = api.patch("/companies/abc", {"credentials_email_format": "Hi {{ customer_name }}"})
    assert ok.status == 200


def test_domains_add_conflict_and_remove(api, pacific):
    assert api.post("/companies/abc/domains", {"host": "portal.abc.example"}).status == 201
    assert api.post("/companies/abc/domains", {"host": "pacific.localhost"}).status == 409
    assert api.delete("/companies/abc/domains/localhost").status == 409  # the primary
    assert api.delete("/companies/abc/domains/pacific.localhost").status == 404
    assert api.delete("/companies/abc/domains/portal.abc.example").status == 204
    assert api.get("/companies/abc").json["domains"] == ["abc.localhost", "localhost"]


def test_a_new_primary_domain_moves_the_primary(api):
    assert api.post("/companies/abc/domains", {"host": "portal.abc.example",
                                               "primary": True}).status == 201
    assert api.get("/companies/abc").json["primary_domain"] == "portal.abc.example"
    assert Domain.get("localhost").primary is False
    assert api.delete("/companies/abc/domains/localhost").status == 204


# --- administrators ----------------------------------------------------------------------------

def test_admin_creation_sends_a_single_use_set_password_link(api, pacific, browser):
    answer = api.post("/admins", {"email": "Boss@Example.com", "name": "Bo Boss",
                                  "company_ids": ["abc"]})
    assert answer.status == 201, answer
    assert answer.json["created"] is True and answer.json["email_sent"] is True
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == ["boss@example.com"]
    link = re.search(r"http://localhost(:\d+)?(/reset-password/[\w-]+)", mail.body)
    assert link, mail.body  # on the company's own primary domain
    path = link.group(2)
    assert "Choose" in browser.get(path).body.decode()
    browser.post(path, {"password": "a long new secret", "confirm": "a long new secret"})
    assert browser.sign_in("boss@example.com", "a long new secret").status_code == 303

    again = api.post("/admins", {"email": "boss@example.com", "company_ids": ["pacific"]})
    assert again.status == 201 and again.json["created"] is False
    assert again.json["company_ids"] == ["abc", "pacific"]
    user = User.get(answer.json["user_id"])
    assert user.admin_company_ids == {"abc", "pacific"}


def test_admin_for_an_unknown_company_is_404(api):
    assert api.post("/admins", {"email": "x@example.com", "company_ids": ["nope"]}).status == 404
    assert api.post("/admins", {"email": "not-an-email", "company_ids": ["abc"]}).status == 400


# --- gateway credentials -------------------------------------------------------------------------

def test_gateway_credentials_are_write_only(api, capsys, caplog):
    secret = "super-secret-auth-token-123"
    answer = api.put("/companies/abc/gateway/card", {"oid": "1234", "auth_token": secret,
                                                     "environment": "sandbox"})
    assert answer.status == 204
    assert api.put("/companies/abc/gateway/ach", {"oid": "5678", "auth_token": secret,
                                                  "environment": "production"}).status == 204
    company = api.get("/companies/abc")
    assert company.json["payment_methods"] == {
        "card": {"configured": True, "environment": "sandbox"},
        "ach": {"configured": True, "environment": "production"}}
    assert secret not in company.body
    for event in AuditEvent.query("abc"):
        assert secret not in json.dumps(event.serialize())
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err + caplog.text  # never logged
    from chalicelib.payments import credentials
    assert credentials.load("abc", "card").auth_token == secret


def test_gateway_credentials_are_validated(api):
    assert api.put("/companies/abc/gateway/card", {"oid": "1", "auth_token": "t",
                                                   "environment": "live"}).status == 400
    assert api.put("/companies/abc/gateway/bitcoin", {"oid": "1", "auth_token": "t",
                                                      "environment": "sandbox"}).status == 404
    assert api.put("/companies/abc/gateway/card", {"oid": "1"}).status == 400


# --- errors are JSON ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"records": [' + b"[" * 10_000 + b"]" * 10_000 + b"]}",
    b'{"records": [' + b"[" * 40 + b"]" * 40 + b"]}",  # parses, but deeper than any record
    b"[" * 10_000,  # malformed as well
])
def test_too_deeply_nested_json_is_a_400_with_a_clear_message(api, raw):
    for path in ("/companies", "/companies/abc/invoices"):
        answer = api.post(path, raw=raw)
        assert answer.status == 400, answer.body
        assert answer.json["error"] in ("too_deep", "bad_json")
        assert "nested too deeply" in answer.json["message"] or "not valid JSON" in \
            answer.json["message"]


def test_bad_json_wrong_method_and_media_type_answer_json(api):
    answer = api.post("/companies", raw=b"{not json")
    assert answer.status == 400 and answer.json["error"] == "bad_json"
    answer = api.post("/companies", raw=b"[1, 2]")
    assert answer.status == 400
    answer = api.request("DELETE", "/companies")
    assert answer.status == 405 and answer.headers["Content-Type"] == "application/json"
    answer = api.post("/companies", NEW_COMPANY, headers={"Content-Type": "text/plain"})
    assert answer.status == 415 and answer.json["message"]
    answer = api.post("/companies/abc/widgets", {"records": []})
    assert answer.status == 404 and "widgets" in answer.json["message"]
    answer = api.get("/nothing/here")
    assert answer.status == 404 and answer.headers["Content-Type"] == "application/json"
