"""Admin-API bearer tokens (only their SHA-256 is stored)."""

from datetime import datetime

from ..models import ApiToken
from .dynamo import conditional


def get(token_hash: str) -> ApiToken | None:
    try:
        return ApiToken.get(token_hash)
    except ApiToken.DoesNotExist:
        return None


def create(token: ApiToken) -> None:
    token.save(condition=ApiToken.token_hash.does_not_exist())


def all_tokens(limit: int = 1000) -> list[ApiToken]:
    """Index `listing`: every token, oldest first (one small partition, paged by DynamoDB)."""
    return list(ApiToken.listing_index.query(ApiToken.LISTING, limit=limit))


def by_id(token_id: str) -> ApiToken | None:
    found = list(ApiToken.listing_index.query(ApiToken.LISTING, ApiToken.token_id == token_id, limit=1))
    return found[0] if found else None


def revoke(token: ApiToken) -> None:
    token.update(actions=[ApiToken.revoked.set(True)])


def touch(token: ApiToken, now: datetime, older_than: datetime) -> None:
    """Record use; at most one write a minute (condition on the previous time)."""
    # Refused: another request recorded it within the minute.
    conditional(
        token.update,
        actions=[ApiToken.last_used_at.set(now)],
        condition=(ApiToken.last_used_at.does_not_exist() | (ApiToken.last_used_at < older_than)),
    )
