"""emergepay credentials per company and per method, kept in Secrets Manager.

Card and ACH each have their own merchant `oid` and `authToken` (README "Payments").
They are written by the admin API and read only by the gateway client; they
are never stored in a table, returned by the API or logged.
"""

import json
from dataclasses import dataclass

from .. import aws, config

METHODS = ("card", "ach")
ENVIRONMENTS = ("sandbox", "production")


@dataclass(frozen=True)
class GatewayCredentials:
    oid: str
    auth_token: str
    environment: str  # sandbox | production

    def __repr__(self) -> str:  # never print the token
        return f"GatewayCredentials(oid={self.oid!r}, environment={self.environment!r})"


def secret_name(company_id: str, method: str) -> str:
    return f"{config.secret_prefix()}{company_id}/emergepay/{method}"


def store(company_id: str, method: str, credentials: GatewayCredentials) -> None:
    if method not in METHODS or credentials.environment not in ENVIRONMENTS:
        raise ValueError("unknown payment method or environment")
    sm = aws.client("secretsmanager")
    name = secret_name(company_id, method)
    value = json.dumps(
        {"oid": credentials.oid, "authToken": credentials.auth_token, "environment": credentials.environment}
    )
    try:
        sm.put_secret_value(SecretId=name, SecretString=value)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=value)
    from ..repositories import companies as companies_repo

    companies_repo.mark_payments_enabled(company_id)  # the reconciler finds it in a table


def load(company_id: str, method: str) -> GatewayCredentials | None:
    sm = aws.client("secretsmanager")
    try:
        value = json.loads(sm.get_secret_value(SecretId=secret_name(company_id, method))["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        return None
    return GatewayCredentials(value["oid"], value["authToken"], value["environment"])


def configured(company_id: str) -> dict[str, dict]:
    """What a read may show: which methods are set up, and where — never the secrets."""
    found = {}
    for method in METHODS:
        creds = load(company_id, method)
        if creds is not None:
            found[method] = {"configured": True, "environment": creds.environment, "oid": creds.oid}
    return found


def companies() -> list:
    """Companies with any emergepay credentials (the reconciler visits these).

    The sparse `with_payments` index of the companies table, marked when credentials
    are stored: listing secret names would need secretsmanager:ListSecrets, which IAM
    grants only on every secret of the account.
    """
    from ..repositories import companies as companies_repo

    return companies_repo.with_payments()
