"""Password hashing (argon2id) and the password policy (README "Security at a glance")."""

import functools
import gzip
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 128
# A first password an administrator or the ERP sets (EPASS: the customer's invoice
# number, e.g. "W10060") is shorter; docs/security.md "First passwords" says why.
FIRST_MIN_LENGTH = 6


@functools.lru_cache(maxsize=1)
def _hasher():
    """OWASP's minimum for argon2id: m=19 MiB, t=2, p=1.  Raising these makes
    check_needs_rehash() true for old hashes, which are re-hashed at next login.
    argon2 (with cffi) is imported here, not with the app: most requests never hash."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# 20,000 most common passwords (Django's list, by Royce Williams; BSD licence),
# trimmed to the ones long enough to pass the length rule.
_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset:
    with gzip.open(_COMMON_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Exactly one argon2 verification, whether or not a hash exists."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def policy_error(password: str, *, user_inputs=(), min_length=MIN_LENGTH) -> str | None:
    """What is wrong with a new password, in words a user understands, or None."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords():
        return "That password is too common. Choose one that is harder to guess."
    for value in user_inputs:
        if value and lowered == str(value).lower():
            return "Your password must not be your user name, e-mail address or account number."
    return None


def new_password_error(user, password: str, *, also=(), min_length=MIN_LENGTH) -> str | None:
    """The one policy for every way a password is set (change, reset, first-login change,
    invitation, the administrator's credentials form): the rules above, and not the
    login's e-mail address, any user name or number of its accounts, nor `also`
    (a name being set with it), compared case-insensitively.  `user` may be None (a
    login about to be created)."""
    from ..repositories import users  # the lookup lives with the other user reads

    identifiers = users.identifiers(user) if user is not None else []
    return policy_error(password, user_inputs=[*identifiers, *also], min_length=min_length)


def first_password_error(user, password: str, *, also=()) -> str | None:
    """The rule for a first password set by an administrator (Send credentials e-mail, Edit
    web access): new_password_error with FIRST_MIN_LENGTH, so an invoice number qualifies.
    Only for logins that must change it at their first sign-in
    (services/portal_access.set_credentials), never for a password the user chooses."""
    return new_password_error(user, password, also=also, min_length=FIRST_MIN_LENGTH)
