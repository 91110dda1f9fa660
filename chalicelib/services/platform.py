"""Platform operations of the admin API: companies, domains, administrators, gateway
credentials.  Every change is audited; gateway auth tokens are never stored in a table,
returned or logged."""

from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError

from .. import clock
from .. import email as mail
from ..contract.errors import ApiError
from ..contract.schemas import AdminCreate, CompanyCreate, CompanyUpdate, DomainCreate, GatewayCredentialsIn
from ..ids import new_id, new_secret, sha256
from ..logs import logger
from ..models import DEFAULT_PAGES, Company, Domain, Token, User
from ..models.base import plain_dict
from ..models.company import PAYMENTS_ENABLED
from ..payments import credentials as gateway_credentials
from ..repositories import audit, companies, tokens, users
from ..repositories.keys import email_login
from . import credentials_email, domain_setup, tenant

INVITE_DAYS = 7


def company_or_404(company_id: str) -> Company:
    company = companies.get_company(company_id)
    if company is None:
        raise ApiError(404, "not_found", f"No company {company_id!r}.")
    return company


def _check_format(text: str | None) -> None:
    problem = credentials_email.validate_format(text)
    if problem:
        raise ApiError(400, "invalid", problem, [{"field": "credentials_email_format", "reason": problem}])


# Settings that may be cleared with null; any other null is "leave as it is".
CLEARABLE = {"credentials_email_format", "email_sender", "support_email", "support_phone", "statement_day"}


def _apply(company: Company, settings: dict) -> None:
    for name, value in settings.items():
        if value is None and name not in CLEARABLE:
            continue
        if name == "pages":
            company.pages = {**DEFAULT_PAGES, **plain_dict(company.pages), **value}
        else:
            setattr(company, name, value)


def create_company(body: CompanyCreate, actor: str, source_ip: str) -> Company:
    _check_format(body.credentials_email_format)
    now = clock.utcnow()
    company = Company(
        body.company_id,
        name=body.name,
        primary_domain=body.primary_domain,
        pages=dict(DEFAULT_PAGES),
        created_at=now,
        updated_at=now,
    )
    _apply(company, body.model_dump(exclude_unset=True, exclude={"company_id", "name", "primary_domain"}))
    domain = Domain(body.primary_domain, company_id=body.company_id, primary=True, created_at=now)
    if companies.get_company(body.company_id) is not None:
        raise ApiError(409, "conflict", f"Company {body.company_id!r} already exists.")
    if companies.get_domain(body.primary_domain) is not None:
        raise ApiError(409, "conflict", f"The host {body.primary_domain!r} is already used.")
    try:
        companies.create_company(company, domain)
    except companies.AlreadyExists as error:
        raise ApiError(409, "conflict", "The company id or its host was taken meanwhile.") from error
    audit.record(
        company.company_id, "company_created", actor=actor, source_ip=source_ip, primary_domain=body.primary_domain
    )
    return company


def update_company(company: Company, body: CompanyUpdate, actor: str, source_ip: str) -> Company:
    changes = body.model_dump(exclude_unset=True)
    if "credentials_email_format" in changes:
        _check_format(changes["credentials_email_format"])
    _apply(company, changes)
    company.updated_at = clock.utcnow()
    companies.save_company(company)
    tenant.forget()
    audit.record(
        company.company_id, "company_updated", actor=actor, source_ip=source_ip, fields=",".join(sorted(changes))
    )
    return company


def company_view(company: Company) -> dict:
    configured = gateway_credentials.configured(company.company_id)
    pages = plain_dict(company.pages)
    return {
        "company_id": company.company_id,
        "name": company.name,
        "primary_domain": company.primary_domain,
        "domains": sorted(d.host for d in companies.domains_of(company.company_id)),
        "time_zone": company.time_zone,
        "currency": company.currency,
        "oem_label": company.oem_label,
        "web_access_owner": company.web_access_owner,
        "auto_credentials": bool(company.auto_credentials),
        "credentials_delivery": company.credentials_delivery or "password",
        "generated_password_days": int(company.generated_password_days or 30),
        "credentials_email_format": company.credentials_email_format,
        "pages": {k: bool(v) for k, v in pages.items()},
        "email_sender": company.email_sender,
        "support_email": company.support_email,
        "support_phone": company.support_phone,
        "statement_day": int(company.statement_day) if company.statement_day else None,
        "active": bool(company.active),
        # Which methods are set up and where; never the oid's token.
        "payment_methods": {
            method: {"configured": True, "environment": info["environment"]} for method, info in configured.items()
        },
        "created_at": company.created_at.isoformat(),
        "updated_at": company.updated_at.isoformat(),
    }


def add_domain(
    company: Company, body: DomainCreate, actor: str, source_ip: str, aws_clients=None
) -> tuple[Domain, dict]:
    """Add the host, then set it up in AWS (services/domain_setup.py); the domain and the
    DNS records to create.  Adding a host the company already has re-runs the set-up."""
    domain = companies.get_domain(body.host)
    if domain is not None and domain.company_id != company.company_id:
        raise ApiError(409, "conflict", f"The host {body.host!r} is already used.")
    if domain is None:
        domain = Domain(body.host, company_id=company.company_id, primary=body.primary, created_at=clock.utcnow())
        try:
            companies.save_domain(domain)
        except companies.AlreadyExists as error:
            raise ApiError(409, "conflict", f"The host {body.host!r} is already used.") from error
    try:
        setup = domain_setup.provision(body.host, aws_clients)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in domain_setup.REFUSED_INPUT:  # AWS will never accept this host
            raise ApiError(400, "invalid", f"AWS refused the host {body.host!r}: {str(error)[:200]}") from error
        raise ApiError(
            502,
            "aws_error",
            f"The host {body.host!r} was added, but setting it up "
            f"in AWS failed ({str(error)[:200]}); add it again to retry.",
        ) from error
    except BotoCoreError as error:
        raise ApiError(
            502,
            "aws_error",
            f"The host {body.host!r} was added, but setting it up "
            f"in AWS failed ({str(error)[:200]}); add it again to retry.",
        ) from error
    if body.primary and company.primary_domain != body.host:
        old = companies.get_domain(company.primary_domain)
        if old is not None and old.company_id == company.company_id:
            companies.set_primary(old, False)
        company.primary_domain = body.host
        company.updated_at = clock.utcnow()
        companies.save_company(company)
    tenant.forget()
    audit.record(
        company.company_id, "domain_added", actor=actor, source_ip=source_ip, host=body.host, primary=body.primary
    )
    return domain, setup


def remove_domain(company: Company, host: str, actor: str, source_ip: str) -> None:
    host = (host or "").strip().lower()
    domain = companies.get_domain(host) if host and len(host) <= 253 else None
    if domain is None or domain.company_id != company.company_id:
        raise ApiError(404, "not_found", f"{company.company_id!r} has no host {host!r}.")
    if host == company.primary_domain:
        raise ApiError(409, "conflict", "This is the company's primary domain: make another host primary first.")
    companies.delete_domain(domain)
    tenant.forget()
    audit.record(company.company_id, "domain_removed", actor=actor, source_ip=source_ip, host=host)


def create_admin(body: AdminCreate, actor: str, source_ip: str) -> dict:
    """Create or extend a dealer administrator; e-mail a single-use set-password link."""
    targets: list[Company] = [company_or_404(c) for c in dict.fromkeys(body.company_ids)]
    email = body.email.strip().lower()
    user_id = users.user_id_for_login(email_login(email))
    user = users.get_user(user_id) if user_id else None
    created = user is None
    if user is None:
        user = User(
            new_id(),
            email=email,
            name=body.name,
            password_hash=None,
            admin_company_ids={c.company_id for c in targets},
            created_at=clock.utcnow(),
        )
        try:
            users.create_user(user, [email_login(email)])
        except Exception as error:  # the login name was claimed meanwhile
            raise ApiError(409, "conflict", f"{email} was created meanwhile; retry.") from error
    else:
        users.add_admin_companies(user, {c.company_id for c in targets}, body.name)
    first = targets[0]
    sent = _send_set_password(first, user, [c.name for c in targets])
    for company in targets:
        audit.record(
            company.company_id, "admin_granted", actor=actor, source_ip=source_ip, user=user.user_id, created=created
        )
    return {
        "user_id": user.user_id,
        "email": email,
        "name": user.name or body.name,
        "company_ids": sorted(set(user.admin_company_ids or ()) | {c.company_id for c in targets}),
        "created": created,
        "email_sent": sent,
    }


def set_password_link(company: Company, user_id: str, days: int = INVITE_DAYS) -> str:
    """A single-use set-password link (the reset-token machinery), on the company's domain."""
    secret = new_secret()
    at = int(clock.now())
    expires_at = at + int(timedelta(days=days).total_seconds())
    tokens.create(
        Token(
            sha256(secret),
            kind="reset",
            user_id=user_id,
            company_id=company.company_id,
            created=at,
            expires_at=expires_at,
            expires=expires_at + 86400,
        )
    )
    return mail.company_url(company, f"/reset-password/{secret}")


def _send_set_password(company: Company, user: User, company_names: list[str]) -> bool:
    link = set_password_link(company, user.user_id)
    try:
        mail.send(
            company,
            user.email,
            "admin_invite",
            user=user,
            link=link,
            valid_for=f"{INVITE_DAYS} days",
            companies=" and ".join(company_names),
        )
        return True
    except mail.EmailError:
        logger.exception("admin invitation not sent", extra={"user": user.user_id})
        return False


def set_gateway(company: Company, method: str, body: GatewayCredentialsIn, actor: str, source_ip: str) -> None:
    gateway_credentials.store(
        company.company_id,
        method,
        gateway_credentials.GatewayCredentials(oid=body.oid, auth_token=body.auth_token, environment=body.environment),
    )
    methods = set(company.payment_methods or ()) | {method}
    company.payment_methods = methods
    company.payments = PAYMENTS_ENABLED  # stored marks it too; this save must not drop it
    company.updated_at = clock.utcnow()
    companies.save_company(company)
    tenant.forget()
    # The audit names the method and environment only: never the token.
    audit.record(
        company.company_id,
        "gateway_credentials_set",
        actor=actor,
        source_ip=source_ip,
        method=method,
        environment=body.environment,
    )
