"""Single-use tokens (invitation, confirmation, reset, hand-off)."""

from ..models import Token
from .dynamo import conditional


def create(token: Token) -> None:
    token.save(condition=Token.token_hash.does_not_exist())


def get(token_hash: str) -> Token | None:
    try:
        return Token.get(token_hash)
    except Token.DoesNotExist:
        return None


def mark_used(token: Token, now: int) -> bool:
    """Consume the token; False if another request used it first."""
    return conditional(token.update, actions=[Token.used_at.set(now)], condition=Token.used_at.does_not_exist())


def revoke(token_hash: str, now: int) -> None:
    """An older link stops working (a newer invitation replaced it)."""
    conditional(
        Token(token_hash).update,
        actions=[Token.used_at.set(now)],
        condition=Token.token_hash.exists() & Token.used_at.does_not_exist(),
    )


def delete(token_hash: str) -> None:
    Token(token_hash).delete()
