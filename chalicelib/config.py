"""Settings, read from the environment when first used (never at import).

Tests and `chalice deploy` import the app, so nothing here may touch the
environment at module load.  Only the PynamoDB table names are read at class
definition time (see models/base.py), as PynamoDB requires.
"""

import os

LOCAL = "local"


def stage() -> str:
    return os.environ.get("PORTAL_STAGE", LOCAL)


def is_local() -> bool:
    return stage() == LOCAL


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def theme_bucket() -> str:
    return os.environ.get("PORTAL_THEME_BUCKET", "portal-theme-assets")


def documents_bucket() -> str:
    return os.environ.get("PORTAL_DOCUMENTS_BUCKET", "portal-documents")


def theme_assets_url() -> str:
    """Public base URL of the theme bucket (CloudFront in production)."""
    default = f"https://{theme_bucket()}.s3.amazonaws.com"
    return os.environ.get("PORTAL_THEME_ASSETS_URL", default).rstrip("/")


def ses_configuration_set() -> str:
    """SES configuration set of the stage (infra/resources.py); none locally."""
    return os.environ.get("PORTAL_SES_CONFIGURATION_SET", "")


def moto_url() -> str:
    """The local stack's moto server (local stage only: dev mailbox)."""
    return os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000").rstrip("/")


def url_scheme() -> str:
    """Scheme of links we e-mail; local stack serves plain HTTP."""
    return "http" if is_local() else "https"


def public_port() -> str:
    """Port appended to e-mailed links in the local stage (chalice local)."""
    return os.environ.get("PORTAL_PUBLIC_PORT", "") if is_local() else ""


def secret_prefix() -> str:
    """Secrets Manager name prefix for per-company secrets (gateway credentials)."""
    return os.environ.get("PORTAL_SECRET_PREFIX", "portal/")


def platform_hosts() -> set:
    """Hosts that belong to the platform, not to a company: they show a neutral page.

    E.g. the API Gateway default host; `portal.localhost` in the local stage.
    """
    default = "portal.localhost" if is_local() else ""
    raw = os.environ.get("PORTAL_PLATFORM_HOSTS", default)
    return {h.strip().lower() for h in raw.split(",") if h.strip()}


def mail_queue_name() -> str:
    """The SQS queue every outgoing e-mail goes through; its dead-letter queue adds `-dlq`.
    Named after the stage's table prefix (portal-prod-mail) unless set."""
    prefix = os.environ.get("PORTAL_TABLE_PREFIX", "portal-")
    return os.environ.get("PORTAL_MAIL_QUEUE") or f"{prefix}mail"


def mail_sender() -> str:
    """The platform's verified SES sender: e-mail goes from it until a company's own
    address or domain is verified."""
    address = os.environ.get("PORTAL_MAIL_SENDER", "")
    if address:
        return address
    if is_local():
        return "no-reply@portal.localhost"
    raise RuntimeError(
        "PORTAL_MAIL_SENDER is not set: the platform's verified SES sender address is needed to send e-mail"
    )


def rest_api_id() -> str:
    """The portal's API Gateway REST API (custom domains are mapped to it); empty locally."""
    return os.environ.get("PORTAL_REST_API_ID", "")


def api_stage() -> str:
    """The API Gateway stage custom domains map to (.chalice/config.json api_gateway_stage)."""
    return os.environ.get("PORTAL_API_STAGE", "api")
