"""Two-factor sign-in: TOTP (RFC 6238), recovery codes, remembered devices, company policy
(docs/security.md "Two-factor sign-in").

A correct password of a login with a second factor starts a *pending sign-in* (a single-use
token in a cookie, not a session). The challenge page proves a factor, and only then
`second_factor_proven` consumes the pending sign-in and starts the session. A passkey
verification proves a factor the same way: it calls `second_factor_proven` with
factor="passkey".

pyotp and segno are imported inside the functions that use them: `import app` (cold start)
never loads them.
"""

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..ids import new_secret, sha256
from ..logs import logger
from ..models import Company, Token, User
from ..repositories import audit, keys, throttles, tokens, users
from ..repositories import two_factor as repo

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted (clock drift, typing time)
DIGITS = 6
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 12  # 31^12 ≈ 2^59
FEW_RECOVERY_CODES = 2  # at or below this many left, the preferences page says to make new ones
PENDING_SECONDS = 5 * 60
DEVICE_SECONDS = 30 * 24 * 60 * 60
FAILURE_LIMIT = 5  # wrong codes per login in the window before a lock
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
PENDING_KIND = "sign_in_pending"
DEVICE_KIND = "device"

WRONG = "That code is not correct. Check your authenticator app and try again."
REUSED = "That code has already been used. Wait for the next code in your app."
RECOVERY_USED = "That recovery code is not valid or has already been used."
LOCKED = "Too many wrong codes. Wait 15 minutes and try again."
EXPIRED = "Your sign-in has expired. Sign in again."
DEVICE_FORGOTTEN = "This device is no longer remembered. Enter a code to continue."


# ------------------------------------------------------------------ time steps (pure)
def step_at(now: float) -> int:
    return int(now // STEP_SECONDS)


def code_for_step(secret: str, step: int) -> str:
    import pyotp

    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def normalise_code(code: str) -> str:
    return "".join((code or "").split())[:64]


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (within the drift) whose code this is, or None. Replay is not judged
    here: the caller refuses a step that is not after the login's last used one."""
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_at(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every candidate is compared (constant work whatever matches).
        if hmac.compare_digest(code_for_step(secret, step), code):
            found = step
    return found


def fresh_step(step: int | None, last_step: float | None) -> bool:
    return step is not None and (last_step is None or step > last_step)


# ------------------------------------------------------------------ policy
def enrolled(user: User) -> bool:
    return bool(user.totp_secret)


def required(company: Company, user: User) -> bool:
    policy = company.two_factor_policy or "optional"
    if policy == "everyone":
        return True
    return policy == "admins" and company.company_id in (user.admin_company_ids or set())


def must_enrol(company: Company, user: User) -> bool:
    """Signed in, but the company requires a second factor this login has not set up."""
    return required(company, user) and not enrolled(user)


# ------------------------------------------------------------------ recovery codes
def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]


def show_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def recovery_hash(user_id: str, code: str) -> str:
    """Salted by the login: ~59 random bits per code need no slow hash (docs/security.md)."""
    plain = "".join(c for c in (code or "").lower() if c.isalnum())[:32]
    return sha256(f"recovery:{user_id}:{plain}")


# ------------------------------------------------------------------ throttling
def _throttle_key(user_id: str) -> str:
    return keys.two_factor_throttle_key(user_id)


def locked(user_id: str, now: float) -> bool:
    counter = throttles.get_many([_throttle_key(user_id)]).get(_throttle_key(user_id))
    return bool(counter and counter.locked_until > int(now))


def count_failure(user: User, company: Company, reason: str, now: float, source_ip: str) -> None:
    at = int(now)
    key = _throttle_key(user.user_id)
    counter = throttles.add_failure(key, at, WINDOW_SECONDS, WINDOW_SECONDS + LOCK_SECONDS)
    if counter.failures >= FAILURE_LIMIT:
        throttles.lock(key, at + LOCK_SECONDS)
    audit.record(company.company_id, "two_factor_failed", actor=user.user_id, source_ip=source_ip, reason=reason)
    logger.info("second factor refused", extra={"user": user.user_id, "reason": reason})


# ------------------------------------------------------------------ checking a code
@dataclass
class Check:
    ok: bool
    factor: str | None = None
    error: str | None = None
    status: int = 200


def check_code(user: User, company: Company, code: str, now: float, source_ip: str) -> Check:
    """A TOTP code (its step used up by a conditional write) or a recovery code (removed by
    a conditional write). Every refusal is counted; the lock is checked first."""
    if locked(user.user_id, now):
        return Check(False, error=LOCKED, status=429)
    if not enrolled(user):
        return Check(False, error=WRONG, status=400)
    plain = normalise_code(code)
    if plain.isdigit():
        step = matching_step(user.totp_secret, plain, now)
        if step is None:
            count_failure(user, company, "wrong", now, source_ip)
            return Check(False, error=WRONG, status=400)
        if not fresh_step(step, user.totp_last_step) or not repo.use_step(user, step):
            count_failure(user, company, "reused", now, source_ip)
            return Check(False, error=REUSED, status=400)
        factor = "totp"
    else:
        if not plain or not repo.use_recovery_code(user, recovery_hash(user.user_id, plain)):
            count_failure(user, company, "recovery", now, source_ip)
            return Check(False, error=RECOVERY_USED, status=400)
        factor = "recovery"
        audit.record(
            company.company_id,
            "recovery_code_used",
            actor=user.user_id,
            source_ip=source_ip,
            left=len(user.recovery_code_hashes or ()) - 1,
        )
    throttles.clear(_throttle_key(user.user_id))
    return Check(True, factor=factor)


# ------------------------------------------------------------------ pending sign-ins
def start_pending(user: User, company: Company, next_path: str, now: float, vouched_device: str | None = None) -> str:
    """Password proven: a single-use pending sign-in; returns the cookie's secret.
    `vouched_device`: a hand-off's source browser (services/handoff.py), for the new-device
    e-mail once the factor is proven."""
    secret = new_secret()
    at = int(now)
    tokens.create(
        Token(
            sha256(secret),
            kind=PENDING_KIND,
            user_id=user.user_id,
            company_id=company.company_id,
            next_path=next_path,
            device_key=vouched_device,
            created=at,
            expires_at=at + PENDING_SECONDS,
            expires=at + PENDING_SECONDS + 86400,
        )
    )
    return secret


def pending(company: Company, secret: str | None, now: float) -> tuple[Token, User] | None:
    """The live pending sign-in of this browser on this company, and its login."""
    if not secret or len(secret) > 128:
        return None
    token = tokens.get(sha256(secret))
    if (
        token is None
        or token.kind != PENDING_KIND
        or token.company_id != company.company_id
        or token.used_at is not None
        or token.expires_at <= int(now)
    ):
        return None
    user = users.get_user(token.user_id)
    if user is None or not user.active:
        return None
    return token, user


@dataclass
class Proven:
    """A session started (`started`, a sessions.StartedSession) and where to go next."""

    started: object
    user: User
    next_path: str = "/"
    device_secret: str | None = None
    vouched_device: str | None = None  # a hand-off's source browser (security_notices.note_sign_in)


def second_factor_proven(
    company: Company,
    token: Token,
    user: User,
    factor: str,
    now: float,
    source_ip: str,
    remember_device: bool = False,
    client=None,
) -> Proven | None:
    """THE interface for every second factor (TOTP, recovery code, passkey): the factor was
    verified for this pending sign-in, so consume it and start the session.  None if the
    pending sign-in was consumed by another request first."""
    from . import auth, sessions

    if not tokens.mark_used(token, int(now)):
        return None
    memberships = users.memberships(user.user_id)
    here = [m for m in memberships if m.company_id == company.company_id]
    if not auth.may_use_company(user, company.company_id, here):
        return None
    active = sorted(m.account_pk for m in here if m.status == "active")
    started = sessions.start(
        user.user_id,
        company.company_id,
        active[0] if active else None,
        now,
        account_pks=active,
        companies=auth.switchable_companies(user, memberships),
        second_factor=factor,
        client=client or sessions.Client(source_ip=source_ip),
    )
    audit.record(company.company_id, "sign_in", actor=user.user_id, source_ip=source_ip, second_factor=factor)
    device = remember(user, company, now) if remember_device else None
    return Proven(started, user, token.next_path or "/", device, token.device_key)


def verify_pending(
    company: Company,
    secret: str | None,
    code: str,
    now: float,
    source_ip: str,
    remember_device: bool = False,
    client=None,
):
    """The challenge page's answer: (Proven or None, error, status).  `client`: the browser's
    user agent and IP for the sessions page (services/sessions.Client)."""
    found = pending(company, secret, now)
    if found is None:
        return None, EXPIRED, 410
    token, user = found
    check = check_code(user, company, code, now, source_ip)
    if not check.ok:
        return None, check.error, check.status
    if check.factor is None:  # check_code names the factor of every code it accepts
        raise RuntimeError("an accepted code without its factor")
    proven = second_factor_proven(company, token, user, check.factor, now, source_ip, remember_device, client)
    if proven is None:
        return None, EXPIRED, 410
    return proven, None, 200


# ------------------------------------------------------------------ remembered devices
def remember(user: User, company: Company, now: float) -> str:
    """A device record (only the cookie's SHA-256 stored); returns the cookie's secret."""
    secret = new_secret()
    at = int(now)
    tokens.create(
        Token(
            sha256(secret),
            kind=DEVICE_KIND,
            user_id=user.user_id,
            company_id=company.company_id,
            epoch=int(user.device_epoch or 0),
            created=at,
            expires_at=at + DEVICE_SECONDS,
            expires=at + DEVICE_SECONDS + 86400,
        )
    )
    return secret


def device_state(user: User, company: Company, secret: str | None, now: float) -> str:
    """ "none" (no cookie, or another login's device), "valid", or "invalid" (forged,
    expired, or revoked by a password change, 2FA disable or reset)."""
    if not secret:
        return "none"
    token = tokens.get(sha256(secret)) if len(secret) <= 128 else None
    if token is not None and token.kind == DEVICE_KIND and token.user_id != user.user_id:
        return "none"
    if (
        token is None
        or token.kind != DEVICE_KIND
        or token.company_id != company.company_id
        or token.expires_at <= int(now)
        or token.used_at is not None
        or int(token.epoch or 0) != int(user.device_epoch or 0)
    ):
        return "invalid"
    return "valid"


# ------------------------------------------------------------------ after the password
@dataclass
class AfterPassword:
    """What the sign-in does once the password is right: start a session now (with the
    factor a remembered device proves), or a pending sign-in (its cookie secret)."""

    pending_secret: str | None = None
    second_factor: str | None = None
    notice: str | None = None
    clear_device: bool = False


def after_password(
    user: User, company: Company, next_path: str, device_secret: str | None, now: float, source_ip: str
) -> AfterPassword:
    if not enrolled(user):
        return AfterPassword()  # a company that requires it sends the login to enrol
    state = device_state(user, company, device_secret, now)
    if state == "valid":
        return AfterPassword(second_factor="device")
    notice = None
    if state == "invalid":
        count_failure(user, company, "device", now, source_ip)
        notice = DEVICE_FORGOTTEN
    audit.record(company.company_id, "second_factor_asked", actor=user.user_id, source_ip=source_ip)
    return AfterPassword(
        pending_secret=start_pending(user, company, next_path, now), notice=notice, clear_device=state == "invalid"
    )


# ------------------------------------------------------------------ enrolment
def provisioning_uri(user: User, company: Company, secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=user.email or user.user_id, issuer_name=company.name)


def qr_svg_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI (CSP img-src allows data:), drawn here: no service."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def begin_enrolment(user: User) -> str:
    import pyotp

    secret = pyotp.random_base32()  # 32 characters: 160 bits
    repo.set_pending_secret(user, secret)
    user.totp_pending_secret = secret
    return secret


@dataclass
class Enrolment:
    error: str | None = None
    recovery_codes: list[str] = field(default_factory=list)


def confirm_enrolment(user: User, company: Company, code: str, now: float, source_ip: str) -> Enrolment:
    if enrolled(user):
        return Enrolment("Two-factor sign-in is already on.")
    secret = user.totp_pending_secret
    if not secret:
        return Enrolment("Start the set-up again.")
    if locked(user.user_id, now):
        return Enrolment(LOCKED)
    step = matching_step(secret, code, now)
    if step is None:
        count_failure(user, company, "enrol", now, source_ip)
        return Enrolment(WRONG)
    codes = new_recovery_codes()
    if not repo.confirm(
        user, secret, step, [recovery_hash(user.user_id, c) for c in codes], datetime.fromtimestamp(now, UTC)
    ):
        return Enrolment("Start the set-up again.")
    audit.record(company.company_id, "two_factor_enabled", actor=user.user_id, source_ip=source_ip)
    _notify(company, user, "two_factor_enabled", now, source_ip)
    return Enrolment(recovery_codes=[show_recovery_code(c) for c in codes])


def _notify(company: Company, user: User, change: str, now: float, source_ip: str) -> None:
    """The login is told of every change of its second factor (services/security_notices.py)."""
    from . import security_notices

    security_notices.notify_change(company, user, change, now, source_ip=source_ip)


def disable(user: User, company: Company, password: str, code: str, now: float, source_ip: str) -> str | None:
    """Password and a current code (or a recovery code); returns an error or None."""
    from . import passwords

    if not enrolled(user):
        return "Two-factor sign-in is not on."
    if not passwords.verify(user.password_hash, password or ""):
        count_failure(user, company, "password", now, source_ip)
        return "Your password is not correct."
    check = check_code(user, company, code, now, source_ip)
    if not check.ok:
        return check.error
    repo.clear(user)
    audit.record(company.company_id, "two_factor_disabled", actor=user.user_id, source_ip=source_ip)
    _notify(company, user, "two_factor_disabled", now, source_ip)
    return None


def few_recovery_codes(user: User) -> bool:
    return enrolled(user) and len(user.recovery_code_hashes or ()) <= FEW_RECOVERY_CODES


NEED_APP_CODE = "Enter the 6-digit code your authenticator app shows now."


def renew_recovery_codes(
    user: User, company: Company, password: str, code: str, now: float, source_ip: str
) -> Enrolment:
    """A fresh set of recovery codes for password + a current code of the app (not a
    recovery code: someone holding only old codes must not mint new ones).  The old ones stop
    working in the same write; the new ones are returned once; the login is e-mailed."""
    from . import passwords

    if not enrolled(user):
        return Enrolment("Two-factor sign-in is not on.")
    if locked(user.user_id, now):
        return Enrolment(LOCKED)
    if not passwords.verify(user.password_hash, password or ""):
        count_failure(user, company, "password", now, source_ip)
        return Enrolment("Your password is not correct.")
    if not normalise_code(code).isdigit():
        count_failure(user, company, "renew", now, source_ip)
        return Enrolment(NEED_APP_CODE)
    check = check_code(user, company, code, now, source_ip)
    if not check.ok:
        return Enrolment(check.error)
    codes = new_recovery_codes()
    if not repo.replace_recovery_codes(user, [recovery_hash(user.user_id, c) for c in codes]):
        return Enrolment("Two-factor sign-in is not on.")
    audit.record(company.company_id, "recovery_codes_renewed", actor=user.user_id, source_ip=source_ip)
    _notify(company, user, "recovery_codes_renewed", now, source_ip)
    return Enrolment(recovery_codes=[show_recovery_code(c) for c in codes])


def admin_reset(company: Company, admin: User, target: User, source_ip: str) -> bool:
    """An administrator turns a login's two-factor off (lost phone and codes): its remembered
    devices are revoked and every session of it ends, since any of them may be the one a
    thief holds (the reason for a reset); audited, and the login is told by e-mail.  False if
    it had none."""
    from .. import email as mail
    from . import sessions

    if not enrolled(target):
        return False
    repo.clear(target)  # also revokes every remembered device (device_epoch + 1)
    ended = sessions.end_all_for_user(target.user_id)
    audit.record(
        company.company_id,
        "two_factor_reset",
        actor=admin.user_id,
        source_ip=source_ip,
        user=target.user_id,
        sessions_ended=ended,
    )
    if target.email:
        try:
            mail.send(company, target.email, "two_factor_reset", user=target)
        except mail.EmailError:
            logger.exception("two-factor reset e-mail not sent", extra={"user": target.user_id})
    return True
