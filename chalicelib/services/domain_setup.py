"""What a company's own host needs in AWS, and the DNS records the operator creates.

`portal domain add` (admin API: POST /companies/{id}/domains) runs `provision`:

1. SES domain identity with Easy DKIM (`VerifyDomainDkim`): three CNAMEs.  Once SES sees
   them the domain is verified and mail goes from it (chalicelib/email.py `sender`);
   until then mail goes from the platform's verified sender.
2. An ACM certificate for the host, validated by DNS: one CNAME.
3. The API Gateway custom domain (regional) on that certificate, mapped to the portal's
   API when PORTAL_REST_API_ID is set: the host's CNAME to its regional domain name.
   API Gateway refuses a certificate that is not issued yet; then the answer says so,
   and running the same command again after validation finishes the step.

Every step finds what an earlier run created, so running it again is safe.
"""

from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from .. import aws, config

# AWS error codes that mean "this host name is not acceptable", not "try again".
REFUSED_INPUT = {"ValidationException", "InvalidParameterValue", "InvalidDomainValidationOptionsException"}


@dataclass
class DnsRecord:
    name: str
    type: str
    value: str
    purpose: str


@dataclass
class Clients:
    ses: Any  # boto3 clients (tests hand in moto-backed ones)
    acm: Any
    apigateway: Any

    @classmethod
    def default(cls) -> "Clients":
        return cls(aws.client("ses"), aws.client("acm"), aws.client("apigateway"))


def _certificate_arn(acm, host: str) -> str:
    """The host's certificate requested earlier (not failed or revoked), else a new one."""
    statuses = ["PENDING_VALIDATION", "ISSUED"]
    for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=statuses):
        for summary in page.get("CertificateSummaryList", []):
            if summary.get("DomainName") == host:
                return summary["CertificateArn"]
    return acm.request_certificate(
        DomainName=host, ValidationMethod="DNS", IdempotencyToken=host.replace(".", "")[:32]
    )["CertificateArn"]


def _api_domain(apigateway, host: str, certificate_arn: str) -> dict | None:
    try:
        return apigateway.get_domain_name(domainName=host)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NotFoundException":
            raise
    try:
        return apigateway.create_domain_name(
            domainName=host,
            regionalCertificateArn=certificate_arn,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_2",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "BadRequestException":  # certificate not issued
            return None
        raise


def _map_to_api(apigateway, host: str, rest_api_id: str, stage: str) -> None:
    try:
        apigateway.create_base_path_mapping(domainName=host, restApiId=rest_api_id, stage=stage)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":  # mapped by an earlier run
            raise


def provision(host: str, clients: Clients | None = None) -> dict:
    clients = clients or Clients.default()
    records: list[DnsRecord] = []
    notes: list[str] = []
    tokens = clients.ses.verify_domain_dkim(Domain=host)["DkimTokens"]
    records += [
        DnsRecord(
            f"{token}._domainkey.{host}",
            "CNAME",
            f"{token}.dkim.amazonses.com",
            "SES DKIM (verifies the domain as the company's mail sender)",
        )
        for token in tokens
    ]

    certificate_arn = _certificate_arn(clients.acm, host)
    certificate = clients.acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    validation = [
        option["ResourceRecord"]
        for option in certificate.get("DomainValidationOptions", [])
        if option.get("ResourceRecord")
    ]
    records += [
        DnsRecord(r["Name"].rstrip("."), r["Type"], r["Value"].rstrip("."), "ACM certificate validation")
        for r in validation
    ]
    if not validation:  # ACM fills them in a few seconds after the request
        notes.append("ACM has not published the validation record yet: run the command again in a minute to see it.")

    api_domain = _api_domain(clients.apigateway, host, certificate_arn)
    target = (api_domain or {}).get("regionalDomainName")
    if target:
        records.append(DnsRecord(host, "CNAME", target, "the portal (API Gateway custom domain, regional)"))
        rest_api_id = config.rest_api_id()
        if rest_api_id:
            _map_to_api(clients.apigateway, host, rest_api_id, config.api_stage())
        else:
            notes.append(
                "PORTAL_REST_API_ID is not set: map the custom domain to the "
                "portal's API yourself (API Gateway, API mappings)."
            )
    else:
        notes.append(
            "The certificate is not issued yet, so API Gateway cannot create the "
            "custom domain: create the records above, wait for ACM to issue the "
            "certificate, then run the command again for the host's CNAME."
        )
    return {
        "dns_records": [asdict(r) for r in records],
        "certificate_arn": certificate_arn,
        "certificate_status": certificate.get("Status", ""),
        "api_gateway_target": target,
        "notes": notes,
    }
