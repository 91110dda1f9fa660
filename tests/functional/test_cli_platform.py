"""`portal` platform commands in-process against the real app (chalice.test.Client)."""
import json

import pytest

from tests.cli_support import Portal, make_api_token
from tests.support import sent_mail


@pytest.fixture
def portal(app):
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        yield Portal(client, token=make_api_token("platform"))


def create_acme(portal, *extra):
    return portal("company", "create", "acme", "--name", "Acme Service",
                  "--domain", "acme.localhost", *extra)


def shown(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_company_create_show_and_set(portal):
    created = create_acme(portal, "--time-zone", "America/Chicago", "--oem-label", "Dealer",
                          "--page", "parts=on", "--auto-credentials")
    assert created.exit_code == 0, created.output
    assert "acme" in created.stdout

    company = shown(portal("--json", "company", "show", "acme"))
    assert company["name"] == "Acme Service"
    assert company["primary_domain"] == "acme.localhost"
    assert company["time_zone"] == "America/Chicago"
    assert company["oem_label"] == "Dealer"
    assert company["auto_credentials"] is True
    assert company["pages"]["parts"] is True

    changed = portal("company", "set", "acme", "--oem-label", "Partner", "--no-auto-credentials",
                     "--set", "generated_password_days=10")
    assert changed.exit_code == 0, changed.output
    company = shown(portal("--json", "company", "show", "acme"))
    assert (company["oem_label"], company["auto_credentials"],
            company["generated_password_days"]) == ("Partner", False, 10)


def test_company_create_needs_a_name_and_a_domain(portal):
    result = portal("company", "create", "acme", "--name", "Acme")
    assert result.exit_code == 2
    assert "--domain" in result.output


def test_an_api_refusal_is_one_clear_line_and_exit_code_1(portal):
    assert create_acme(portal).exit_code == 0
    again = create_acme(portal)
    assert again.exit_code == 1
    assert "error:" in again.stderr and "409" in again.stderr
    bad = portal("company", "set", "acme", "--time-zone", "Mars/Olympus")
    assert bad.exit_code == 1
    assert "time zone" in bad.stderr


def test_domains_are_added_and_removed(portal):
    assert create_acme(portal).exit_code == 0
    added = portal("domain", "add", "acme", "portal.acme.example", "--primary")
    assert added.exit_code == 0, added.output
    company = shown(portal("--json", "company", "show", "acme"))
    assert "portal.acme.example" in company["domains"]
    assert company["primary_domain"] == "portal.acme.example"

    removed = portal("domain", "remove", "acme", "acme.localhost")
    assert removed.exit_code == 0, removed.output
    assert "acme.localhost" not in shown(portal("--json", "company", "show", "acme"))["domains"]


def test_admin_create_emails_a_set_password_link(portal):
    from chalicelib import aws

    aws.client("ses").verify_domain_identity(Domain="acme.localhost")  # as in production
    assert create_acme(portal).exit_code == 0
    result = portal("admin", "create", "ops@acme.example", "--name", "Ops", "--company", "acme")
    assert result.exit_code == 0, result.output
    assert any("ops@acme.example" in message.destinations["ToAddresses"]
               for message in sent_mail())


def test_tokens_are_created_listed_and_revoked(portal):
    assert create_acme(portal).exit_code == 0
    created = portal("token", "create", "--scope", "company", "--company", "acme",
                     "--label", "ERP nightly")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert len(secret) >= 43  # 256 bits, URL-safe base64

    listed = shown(portal("--json", "token", "list"))
    tokens = listed["tokens"] if isinstance(listed, dict) else listed
    mine = [t for t in tokens if t.get("label") == "ERP nightly"]
    assert len(mine) == 1 and mine[0]["company_id"] == "acme"
    assert secret not in json.dumps(listed)
    table = portal("token", "list")
    assert "ERP nightly" in table.stdout

    # the company token works for its company ...
    works = portal("export", "payments", "--company", "acme", token=secret)
    assert works.exit_code == 0, works.output
    revoked = portal("token", "revoke", mine[0]["token_id"])
    assert revoked.exit_code == 0, revoked.output
    # ... and not once revoked
    refused = portal("export", "payments", "--company", "acme", token=secret)
    assert refused.exit_code == 1
    assert "401" in refused.stderr


def test_token_scope_and_company_are_checked_before_calling(portal):
    assert portal("token", "create", "--scope", "company").exit_code == 2
    assert portal("token", "create", "--scope", "platform", "--company", "acme").exit_code == 2


def test_gateway_auth_token_comes_from_a_hidden_prompt(portal):
    from chalicelib.payments import credentials

    assert create_acme(portal).exit_code == 0
    result = portal("gateway", "set", "card", "acme", "--oid", "OID-1", "--environment",
                    "sandbox", input="tok-card-secret\n")
    assert result.exit_code == 0, result.output
    assert "tok-card-secret" not in result.output  # hidden: not echoed
    stored = credentials.load("acme", "card")
    assert (stored.oid, stored.auth_token, stored.environment) == ("OID-1", "tok-card-secret",
                                                                   "sandbox")
    company = shown(portal("--json", "company", "show", "acme"))
    assert "tok-card-secret" not in json.dumps(company)


def test_gateway_auth_token_can_come_from_stdin(portal):
    from chalicelib.payments import credentials

    assert create_acme(portal).exit_code == 0
    result = portal("gateway", "set", "ach", "acme", "--oid", "OID-2", "--environment",
                    "production", "--auth-token-stdin", input="tok-ach\n")
    assert result.exit_code == 0, result.output
    assert credentials.load("acme", "ach").auth_token == "tok-ach"


@pytest.mark.parametrize("argv", [
    ["--auth-token", "tok-on-argv"],
    ["--auth-token=tok-on-argv"],
    ["tok-on-argv"],
])
def test_gateway_auth_token_is_never_taken_from_the_command_line(portal, argv):
    from chalicelib.payments import credentials

    assert create_acme(portal).exit_code == 0
    result = portal("gateway", "set", "card", "acme", "--oid", "OID-1", "--environment",
                    "sandbox", *argv, input="")
    assert result.exit_code == 2
    assert credentials.load("acme", "card") is None


def test_without_a_token_the_cli_says_how_to_give_one(app):
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        result = Portal(client)("company", "show", "abc")
    assert result.exit_code == 1
    assert "PORTAL_TOKEN" in result.output


def test_a_wrong_token_is_refused(portal):
    result = portal("company", "show", "abc", token="not-a-token")
    assert result.exit_code == 1
    assert "401" in result.stderr


def test_a_company_token_cannot_use_platform_commands(portal, abc):
    token = make_api_token("company", "abc")
    result = portal("company", "create", "evil", "--name", "E", "--domain", "e.localhost",
                    token=token)
    assert result.exit_code == 1
    assert "403" in result.stderr
