"""Admin-API tokens: 256-bit, shown once, stored as SHA-256, scoped, revocable (README "Security at a glance")."""

import hmac
from datetime import timedelta

from .. import clock
from ..ids import new_id, new_secret, sha256
from ..models import ApiToken
from ..repositories import api_tokens

TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def _error(status: int, error: str, message: str):
    from ..contract.errors import ApiError

    return ApiError(status, error, message)


def create(scope: str, company_id: str | None, label: str | None) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller)."""
    secret = new_secret()
    token = ApiToken(
        sha256(secret),
        token_id=new_id(),
        scope=scope,
        company_id=company_id if scope == "company" else None,
        label=label,
        revoked=False,
        created_at=clock.utcnow(),
    )
    api_tokens.create(token)
    return token, secret


def authenticate(header: str | None) -> ApiToken:
    """The live token of an `Authorization: Bearer …` header, or a 401 ApiError."""
    scheme, _, secret = (header or "").strip().partition(" ")
    secret = secret.strip()
    if not header:
        raise _error(401, "unauthorized", "Send the token as `Authorization: Bearer <token>`.")
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_TOKEN_LENGTH:
        raise _error(401, "unauthorized", "The Authorization header must be `Bearer <token>`.")
    token = api_tokens.get(sha256(secret))
    if token is None or not hmac.compare_digest(token.token_hash, sha256(secret)):
        raise _error(401, "unauthorized", "The token is not valid.")
    if token.revoked:
        raise _error(401, "unauthorized", "The token has been revoked.")
    now = clock.utcnow()
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        api_tokens.touch(token, now, now - TOUCH_EVERY)
    return token


def check_scope(token: ApiToken, scope: str, company_id: str | None) -> None:
    """403 unless the token may act here: platform routes need a platform token; company
    routes take a platform token or a token of that very company."""
    if token.scope == "platform":
        return
    if scope == "company" and company_id and token.company_id == company_id:
        return
    if scope == "platform":
        raise _error(403, "forbidden", "This needs a platform token.")
    raise _error(403, "forbidden", "This token belongs to another company.")


def listing() -> list[ApiToken]:
    return api_tokens.all_tokens()


def revoke(token_id: str) -> ApiToken | None:
    token = api_tokens.by_id(token_id) if token_id and len(token_id) <= 64 else None
    if token is not None and not token.revoked:
        api_tokens.revoke(token)
    return token
