"""Passkeys (WebAuthn credentials), keyed by credential id; a login's list by index."""

from pynamodb.exceptions import PutError, UpdateError

from ..models import Passkey


def create(passkey: Passkey) -> bool:
    """False when the credential id is already registered (to anyone)."""
    try:
        passkey.save(condition=Passkey.credential_id.does_not_exist())
        return True
    except PutError:
        return False


def get(credential_id: str) -> Passkey | None:
    try:
        return Passkey.get(credential_id)
    except Passkey.DoesNotExist:
        return None


def list_for_user(user_id: str) -> list[Passkey]:
    return list(Passkey.by_user.query(user_id))


def record_use(passkey: Passkey, sign_count: int, now: int) -> bool:
    """Store the authenticator's new counter; False when another request stored it first
    (the same assertion used twice) or the passkey was removed meanwhile."""
    try:
        passkey.update(
            actions=[Passkey.sign_count.set(sign_count), Passkey.last_used.set(now)],
            condition=Passkey.credential_id.exists() & (Passkey.sign_count == passkey.sign_count),
        )
        return True
    except UpdateError:
        return False


def delete(passkey: Passkey) -> None:
    passkey.delete()
