"""Passkeys (WebAuthn): register from Preferences, list, remove, and sign in without a password
on the host they were made for (README "Sessions, devices and passkeys").

The Relying Party ID is the host the page was served on (the company's domain), so a passkey
made on one company's portal is refused on another's.  Challenges live server-side as
single-use Token items (kind passkey_register / passkey_sign_in) that expire after two minutes;
the browser's signed clientDataJSON names the challenge, which is looked up and consumed before
anything else is believed.

`verify_assertion` is the one check of a passkey: "is this assertion a valid passkey of login X
(or of anyone, for a passwordless sign-in) on host H".  The passwordless sign-in (`sign_in`)
uses it and then starts the session through `auth.start_signed_in`, as a password does; the
second factor (`prove_second_factor`) uses it for the pending sign-in's login and then calls
`two_factor.second_factor_proven`, as a TOTP code does.

The `webauthn` library (and cbor2, cryptography) is imported inside the functions that use it:
`import app` does not load it (bench/cold_start.py), and on Lambda it comes from the web
function's layer (infra/package.py).
"""

import base64
import json
from dataclasses import dataclass

from .. import clock
from ..ids import sha256
from ..logs import logger
from ..models import Company, Passkey, Token, User
from ..repositories import audit, keys, throttles, tokens, users
from ..repositories import passkeys as repo
from . import auth, security_notices, sessions, two_factor

CHALLENGE_SECONDS = 120
MAX_BODY_CHARS = 16_000  # a real assertion or attestation is well under 4 KB
MAX_PASSKEYS = 10
MAX_NAME = 60
REGISTER, SIGN_IN = "passkey_register", "passkey_sign_in"

NOT_VERIFIED = "This passkey could not be verified. Try again, or sign in with your password."
OTHER_HOST = (
    "This passkey was made for another site. Use a passkey made for this portal, or sign in with your password."
)
EXPIRED = "This passkey request has expired or was already used. Try again."
UNKNOWN = "This passkey is not registered with this portal. Sign in with your password."
NOT_ALLOWED = "This sign-in has no access to this portal."


class PasskeyRefused(Exception):
    """A clear message for the user and the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class RelyingParty:
    """The host the ceremony runs on: RP ID (host name) and origin (scheme://host[:port])."""

    rp_id: str
    origin: str

    @classmethod
    def for_host(cls, host_header: str, scheme: str) -> "RelyingParty":
        from .tenant import normalise_host

        host = (host_header or "").strip().lower()
        return cls(rp_id=normalise_host(host), origin=f"{scheme}://{host}")


@dataclass
class Listed:
    ref: str
    name: str
    rp_id: str
    created: int
    last_used: int | None


def passkey_ref(passkey: Passkey) -> str:
    return sha256(f"passkey-ref:{passkey.credential_id}")[:24]


def list_for(user: User) -> list[Listed]:
    return [
        Listed(passkey_ref(p), p.name, p.rp_id, int(p.created), int(p.last_used) if p.last_used else None)
        for p in sorted(repo.list_for_user(user.user_id), key=lambda p: p.created)
    ]


# ------------------------------------------------------------------ challenges


def _new_challenge(kind: str, company: Company, user_id: str | None, now: float) -> bytes:
    import secrets

    challenge = secrets.token_bytes(32)
    at = int(now)
    tokens.create(
        Token(
            _challenge_key(_b64(challenge)),
            kind=kind,
            user_id=user_id,
            company_id=company.company_id,
            created=at,
            expires_at=at + CHALLENGE_SECONDS,
            expires=at + 3600,
        )
    )
    return challenge


def _challenge_key(challenge_b64: str) -> str:
    return keys.passkey_challenge_key(challenge_b64)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(body: str) -> dict:
    if not body or len(body) > MAX_BODY_CHARS:
        raise PasskeyRefused(NOT_VERIFIED, 400)
    try:
        credential = json.loads(body)
        client_data = json.loads(_unb64(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
        if not isinstance(credential.get("id"), str) or not isinstance(challenge, str):
            raise TypeError("id and challenge are strings")
        return dict(credential, _challenge=challenge[:200])
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise PasskeyRefused(NOT_VERIFIED, 400) from None


def _consume_challenge(credential: dict, kind: str, company: Company, user_id: str | None, now: float) -> bytes:
    """The challenge this response answers, consumed (single use) whatever happens next."""
    challenge_b64 = credential["_challenge"]
    token = tokens.get(_challenge_key(challenge_b64))
    if (
        token is None
        or token.kind != kind
        or token.company_id != company.company_id
        or (user_id is not None and token.user_id != user_id)
        or token.used_at is not None
        or token.expires_at <= int(now)
        or not tokens.mark_used(token, int(now))
    ):
        raise PasskeyRefused(EXPIRED, 400)
    try:
        return _unb64(challenge_b64)
    except ValueError:
        raise PasskeyRefused(NOT_VERIFIED, 400) from None


# ------------------------------------------------------------------ registration


def registration_options(company: Company, user: User, rp: RelyingParty, now: float) -> str:
    """The JSON for navigator.credentials.create(): a discoverable, user-verified passkey."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    existing = [PublicKeyCredentialDescriptor(id=_unb64(p.credential_id)) for p in repo.list_for_user(user.user_id)]
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=company.name,
        user_id=user.user_id.encode(),
        user_name=user.email or user.name or user.user_id,
        user_display_name=user.name or user.email or user.user_id,
        challenge=_new_challenge(REGISTER, company, user.user_id, now),
        timeout=CHALLENGE_SECONDS * 1000,
        exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
    )
    return options_to_json(options)


def register(
    company: Company, user: User, rp: RelyingParty, body: str, name: str, now: float, source_ip: str = ""
) -> Passkey:
    """Verify the browser's attestation and store the passkey; PasskeyRefused otherwise."""
    from webauthn import verify_registration_response

    name = " ".join((name or "").split())[:MAX_NAME] or "Passkey"
    credential = _parse(body)
    challenge = _consume_challenge(credential, REGISTER, company, user.user_id, now)
    if len(repo.list_for_user(user.user_id)) >= MAX_PASSKEYS:
        raise PasskeyRefused(f"You already have {MAX_PASSKEYS} passkeys. Remove one first.", 400)
    try:
        verified = verify_registration_response(
            credential={k: v for k, v in credential.items() if not k.startswith("_")},
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except Exception:  # noqa: BLE001 - any parse or check failure of a browser's body is a refusal
        logger.info("passkey registration refused", exc_info=True, extra={"user": user.user_id})
        raise PasskeyRefused(NOT_VERIFIED, 400) from None
    at = int(now)
    passkey = Passkey(
        _b64(verified.credential_id),
        user_id=user.user_id,
        company_id=company.company_id,
        rp_id=rp.rp_id,
        public_key=_b64(verified.credential_public_key),
        sign_count=verified.sign_count,
        name=name,
        created=at,
    )
    if not repo.create(passkey):
        raise PasskeyRefused("This passkey is already registered.", 400)
    audit.record(company.company_id, "passkey_added", actor=user.user_id, source_ip=source_ip, name=name)
    security_notices.notify_change(company, user, "passkey_added", now, detail=name, source_ip=source_ip)
    return passkey


def remove(company: Company, user: User, ref: str, now: float, source_ip: str = "") -> bool:
    """Remove one of the login's own passkeys; False when it has none with this ref."""
    for passkey in repo.list_for_user(user.user_id):
        if passkey_ref(passkey) == ref:
            repo.delete(passkey)
            audit.record(
                company.company_id, "passkey_removed", actor=user.user_id, source_ip=source_ip, name=passkey.name
            )
            security_notices.notify_change(
                company, user, "passkey_removed", now, detail=passkey.name, source_ip=source_ip
            )
            return True
    return False


# ------------------------------------------------------------------ assertion


def sign_in_options(company: Company, rp: RelyingParty, now: float, user: User | None = None) -> str:
    """The JSON for navigator.credentials.get(): any passkey of this host (discoverable), or,
    for a second factor, `user`'s passkeys of this host."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    allowed = None
    if user is not None:
        allowed = [PublicKeyCredentialDescriptor(id=_unb64(p.credential_id)) for p in for_host(user, rp)]
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=_new_challenge(SIGN_IN, company, user.user_id if user else None, now),
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def for_host(user: User, rp: RelyingParty) -> list[Passkey]:
    """The login's passkeys that work on this host (the others were made on another)."""
    return [p for p in repo.list_for_user(user.user_id) if p.rp_id == rp.rp_id]


@dataclass
class Assertion:
    """What a body claims before it is checked: which passkey (if known) it names."""

    credential: dict
    passkey: Passkey | None


def read_assertion(body: str) -> Assertion:
    credential = _parse(body)
    return Assertion(credential, repo.get(credential["id"][:1400]))


def verify_assertion(
    company: Company, rp: RelyingParty, assertion: Assertion, now: float, expected_user_id: str | None = None
) -> Passkey:
    """Verify a passkey assertion for login `expected_user_id` (any login when None) on host
    `rp`: challenge issued here and unused, passkey registered for this host, signature,
    user verification and a rising signature counter.  Returns the passkey (its counter
    stored); PasskeyRefused with the user's message otherwise."""
    from webauthn import verify_authentication_response

    challenge = _consume_challenge(assertion.credential, SIGN_IN, company, None, now)
    passkey = assertion.passkey
    if passkey is None:
        raise PasskeyRefused(UNKNOWN)
    if passkey.rp_id != rp.rp_id or passkey.company_id != company.company_id:
        raise PasskeyRefused(OTHER_HOST)
    if expected_user_id is not None and passkey.user_id != expected_user_id:
        raise PasskeyRefused(NOT_VERIFIED)
    handle = (assertion.credential.get("response") or {}).get("userHandle")
    if handle and handle != _b64(passkey.user_id.encode()):
        raise PasskeyRefused(NOT_VERIFIED)
    try:
        verified = verify_authentication_response(
            credential={k: v for k, v in assertion.credential.items() if not k.startswith("_")},
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=_unb64(passkey.public_key),
            credential_current_sign_count=int(passkey.sign_count or 0),
            require_user_verification=True,
        )
    except Exception:  # noqa: BLE001 - any parse or check failure of a browser's body is a refusal
        logger.info("passkey assertion refused", exc_info=True, extra={"user": passkey.user_id})
        raise PasskeyRefused(NOT_VERIFIED) from None
    if not repo.record_use(passkey, verified.new_sign_count, int(now)):
        raise PasskeyRefused(EXPIRED, 400)
    return passkey


def sign_in(
    company: Company, rp: RelyingParty, body: str, client: sessions.Client, now: float | None = None
) -> auth.SignIn:
    """A passwordless sign-in: the same throttles, lock and session as a password sign-in
    (chalicelib/services/auth.py); every refusal is counted and audited."""
    now = clock.now() if now is None else now
    at = int(now)
    source_ip = client.source_ip or "unknown"
    try:
        assertion = read_assertion(body)
    except PasskeyRefused as refused:
        return _refused(company, None, source_ip, at, refused)
    user_id = assertion.passkey.user_id if assertion.passkey else None
    login_key, ip_key = keys.sign_in_throttle_keys(user_id, None, source_ip)
    account_key = login_key if user_id else None
    counters = throttles.get_many([k for k in (account_key, ip_key) if k])
    if any(c.locked_until > at for c in counters.values()):
        audit.record(company.company_id, "sign_in_failed", source_ip=source_ip, reason="locked", method="passkey")
        return auth.SignIn(False, 429, auth.LOCKED)
    try:
        passkey = verify_assertion(company, rp, assertion, now)
        user = users.get_user(passkey.user_id)
        every_membership = users.memberships(passkey.user_id)
        if user is None or not auth.may_use_company(
            user, company.company_id, [m for m in every_membership if m.company_id == company.company_id]
        ):
            raise PasskeyRefused(NOT_ALLOWED)
    except PasskeyRefused as refused:
        return _refused(company, user_id, source_ip, at, refused)
    if account_key and counters.get(account_key):
        throttles.clear(account_key)
    return auth.start_signed_in(company, user, every_membership, source_ip, now, client, method="passkey")


def _refused(company: Company, user_id: str | None, source_ip: str, at: int, refused: PasskeyRefused) -> auth.SignIn:
    account_key, ip_key = keys.sign_in_throttle_keys(user_id, None, source_ip)
    audit.record(
        company.company_id, "sign_in_failed", actor=user_id, source_ip=source_ip, reason="passkey", method="passkey"
    )
    locked = [auth.count_failure(ip_key, at, limit=auth.IP_LIMIT)]
    if user_id:
        locked.append(auth.count_failure(account_key, at))
    if any(locked):
        audit.record(
            company.company_id, "account_locked", actor=user_id, source_ip=source_ip, minutes=auth.LOCK_SECONDS // 60
        )
    logger.info(
        "passkey sign-in refused",
        extra={"outcome": "failed", "ip": source_ip, "company": company.company_id, "reason": refused.message[:40]},
    )
    return auth.SignIn(False, refused.status, refused.message)


def prove_second_factor(
    company: Company,
    rp: RelyingParty,
    pending_secret: str | None,
    body: str,
    client: sessions.Client,
    now: float,
    remember_device: bool = False,
) -> "tuple[two_factor.Proven | None, str | None, int]":
    """A passkey as the second factor of a pending sign-in (password already right): the
    assertion must be one of that login's passkeys on this host.  Every refusal counts on the
    login's two-factor counter, as a wrong code does (services/two_factor.py).
    Returns (Proven or None, error, status)."""
    source_ip = client.source_ip or "unknown"
    found = two_factor.pending(company, pending_secret, now)
    if found is None:
        return None, two_factor.EXPIRED, 410
    token, user = found
    if two_factor.locked(user.user_id, now):
        return None, two_factor.LOCKED, 429
    try:
        verify_assertion(company, rp, read_assertion(body), now, expected_user_id=user.user_id)
    except PasskeyRefused as refused:
        two_factor.count_failure(user, company, "passkey", now, source_ip)
        return None, refused.message, refused.status
    throttles.clear(keys.two_factor_throttle_key(user.user_id))
    proven = two_factor.second_factor_proven(company, token, user, "passkey", now, source_ip, remember_device, client)
    if proven is None:
        return None, two_factor.EXPIRED, 410
    return proven, None, 200
