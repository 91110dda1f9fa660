"""`portal domain add` / POST /companies/{id}/domains: the host's SES DKIM identity, ACM
certificate and API Gateway custom domain, and every DNS record the operator creates
(chalicelib/services/domain_setup.py), through the admin API and the CLI."""
import json

import pytest

from chalicelib import aws
from tests.cli_support import Portal, make_api_token

HOST = "portal.abc-appliance.example"


def records_by_purpose(body):
    found = {}
    for record in body["dns_records"]:
        found.setdefault(record["purpose"].split(" ")[0], []).append(record)
    return found


def test_adding_a_domain_sets_it_up_in_aws_and_lists_every_dns_record(api):
    response = api.post("/companies/abc/domains", {"host": HOST})
    assert response.status == 201, response.json
    body = response.json
    found = records_by_purpose(body)
    dkim = found["SES"]
    assert len(dkim) == 3
    for record in dkim:
        token = record["name"].split(".", 1)[0]
        assert record == {"name": f"{token}._domainkey.{HOST}", "type": "CNAME",
                          "value": f"{token}.dkim.amazonses.com", "purpose": record["purpose"]}
    [validation] = found["ACM"]
    certificate = aws.client("acm").describe_certificate(
        CertificateArn=body["certificate_arn"])["Certificate"]
    expected = certificate["DomainValidationOptions"][0]["ResourceRecord"]
    assert validation["name"] == expected["Name"].rstrip(".") and validation["type"] == "CNAME"
    assert certificate["DomainName"] == HOST
    [portal] = found["the"]  # the host itself -> API Gateway's regional domain name
    target = aws.client("apigateway").get_domain_name(domainName=HOST)["regionalDomainName"]
    assert portal == {"name": HOST, "type": "CNAME", "value": target,
                      "purpose": portal["purpose"]}
    assert body["api_gateway_target"] == target
    assert HOST in aws.client("ses").list_identities(IdentityType="Domain")["Identities"]
    assert HOST in api.get("/companies/abc").json["domains"]


def test_adding_the_same_host_again_reuses_what_exists(api):
    first = api.post("/companies/abc/domains", {"host": HOST}).json
    again = api.post("/companies/abc/domains", {"host": HOST})
    assert again.status == 201
    assert again.json["certificate_arn"] == first["certificate_arn"]  # no second certificate
    assert len(aws.client("acm").list_certificates()["CertificateSummaryList"]) == 1
    assert again.json["dns_records"] == first["dns_records"]


def test_another_companys_host_is_refused_before_touching_aws(api, pacific):
    response = api.post("/companies/abc/domains", {"host": "pacific.localhost"})
    assert response.status == 409
    assert aws.client("acm").list_certificates()["CertificateSummaryList"] == []


@pytest.fixture
def portal(app, abc):
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        yield Portal(client, token=make_api_token("platform"))


def test_portal_domain_add_prints_the_dns_records_to_create(portal):
    result = portal("domain", "add", "abc", HOST)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"domain {HOST} added to abc"
    cnames = [line for line in lines if " CNAME " in line]
    assert len(cnames) == 5  # 3 DKIM, ACM validation, the host
    assert sum("._domainkey." in line and ".dkim.amazonses.com." in line for line in cnames) == 3
    assert sum("acm-validations.aws." in line for line in cnames) == 1
    target = aws.client("apigateway").get_domain_name(domainName=HOST)["regionalDomainName"]
    assert f"{HOST}. CNAME {target}." in cnames
    as_json = json.loads(portal("--json", "domain", "add", "abc", HOST).stdout)
    assert len(as_json["dns_records"]) == 5


class Unreachable:
    """An AWS client whose every call fails as when the service is unreachable or refuses."""

    def __init__(self, code):
        self.code = code

    def __getattr__(self, operation):
        from botocore.exceptions import ClientError

        def fail(*_, **__):
            raise ClientError({"Error": {"Code": self.code, "Message": "refused"}}, operation)
        return fail


@pytest.mark.parametrize("code, status", [("ServiceUnavailable", 502),
                                          ("ValidationException", 400)])
def test_an_aws_fault_is_a_clear_error_and_adding_again_retries(abc, code, status):
    from chalicelib.contract.errors import ApiError
    from chalicelib.contract.schemas import DomainCreate
    from chalicelib.services import domain_setup, platform
    broken = domain_setup.Clients(aws.client("ses"), Unreachable(code), aws.client("apigateway"))
    with pytest.raises(ApiError) as failure:
        platform.add_domain(abc, DomainCreate(host=HOST), "tests", "127.0.0.1", broken)
    assert failure.value.status == status and HOST in str(failure.value)
    _, setup = platform.add_domain(abc, DomainCreate(host=HOST), "tests", "127.0.0.1")
    assert len(setup["dns_records"]) == 5  # the same command, run again, finishes
