"""Sign-in, sign-out, password change and reset (README "Security at a glance").

Unknown users and wrong passwords get the same answer and the same work: the
same DynamoDB reads (against a user id that cannot exist) and exactly one
argon2 verification (against a dummy hash).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import email as mail
from ..ids import sha256
from ..logs import logger
from ..models import Company, Session, Token, User
from ..models.base import plain_dict
from ..repositories import audit, companies, throttles, tokens, users
from ..repositories.keys import email_login, name_login, sign_in_throttle_keys
from . import passwords, sessions

ACCOUNT_LIMIT = 5  # failures per account name in the window before a lock
IP_LIMIT = 30  # failures per source IP in the window before a lock
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
RESET_SECONDS = 60 * 60

INVALID = "The e-mail address, user name or password is not correct."
LOCKED = "Too many unsuccessful sign-in attempts. Wait 15 minutes and try again, or use “Forgot your password?”."
GENERATED_EXPIRED = (
    "Your temporary password has expired. Use “Forgot your password?” "
    "to choose a new one, or ask us to send new credentials."
)


@dataclass
class SignIn:
    ok: bool
    status: int = 200
    error: str | None = None
    started: sessions.StartedSession | None = None
    user: User | None = None
    # Password right, second factor to prove (services/two_factor.py): no session yet.
    pending_secret: str | None = None
    notice: str | None = None
    clear_device: bool = False  # the device cookie sent was not (or no longer) valid


def _throttle_keys(user_id: str | None, login_key: str | None, source_ip: str):
    """The per-account counter is the login's, across every company and every name it
    signs in with (its e-mail, its user names); a name that finds nobody counts on its own."""
    return sign_in_throttle_keys(user_id, login_key, source_ip)


def _login_key(company_id: str, login: str) -> str:
    return email_login(login) if "@" in login else name_login(company_id, login)


def sign_in(
    company: Company,
    login: str,
    password: str,
    source_ip: str,
    now: float,
    next_path: str = "/",
    device_secret: str | None = None,
    client: sessions.Client | None = None,
) -> SignIn:
    """`device_secret`: this browser's remembered-device cookie, if any; `client`: its
    user agent and IP, shown on the sessions page."""
    login = (login or "").strip()[:254]
    password = (password or "")[: passwords.MAX_LENGTH + 1]
    login_key = _login_key(company.company_id, login) if login else None
    user_id = users.user_id_for_login(login_key) if login_key else None
    account_key, ip_key = _throttle_keys(user_id, login_key, source_ip)
    at = int(now)
    counters = throttles.get_many([account_key, ip_key])
    if any(c.locked_until > at for c in counters.values()):
        logger.warning(
            "sign-in refused: locked",
            extra={"outcome": "locked", "ip": source_ip, "login_hash": sha256(login.lower())[:16]},
        )
        audit.record(
            company.company_id, "sign_in_failed", source_ip=source_ip, login=login.lower()[:254], reason="locked"
        )
        return SignIn(False, 429, LOCKED)

    user = users.get_user(user_id or users.MISSING_USER_ID)
    password_ok = passwords.verify(user.password_hash if user else None, password)
    # Every company's memberships in one query (the switcher needs them); this company's below.
    every_membership = users.memberships(user_id or users.MISSING_USER_ID)
    memberships = [m for m in every_membership if m.company_id == company.company_id]
    allowed = password_ok and may_use_company(user, company.company_id, memberships)

    if not allowed and password_ok and user is not None and _turned_off(user, company.company_id, memberships):
        # Only after the right password: a guesser learns nothing about the account.
        audit.record(
            company.company_id,
            "sign_in_refused",
            actor=user.user_id,
            source_ip=source_ip,
            reason="portal access turned off",
        )
        logger.info("sign-in refused: portal access turned off", extra={"outcome": "inactive", "user": user.user_id})
        return SignIn(False, 403, turned_off_message(company))

    if not allowed:
        # The same audit write whether or not the login exists (same work: no timing tells which logins exist).
        audit.record(
            company.company_id, "sign_in_failed", source_ip=source_ip, login=login.lower()[:254], reason="invalid"
        )
        locked = [count_failure(account_key, at), count_failure(ip_key, at, limit=IP_LIMIT)]
        if any(locked):
            audit.record(
                company.company_id,
                "account_locked",
                source_ip=source_ip,
                login=login.lower()[:254],
                minutes=LOCK_SECONDS // 60,
            )
        logger.info(
            "sign-in failed",
            extra={
                "outcome": "failed",
                "ip": source_ip,
                "company": company.company_id,
                "login_hash": sha256(login.lower())[:16],
            },
        )
        return SignIn(False, 401, INVALID)

    assert user is not None  # a password matched: a user was found
    expires = user.generated_password_expires_at
    if user.must_change_password and expires and expires.timestamp() < now:
        logger.info("sign-in refused: generated password expired", extra={"outcome": "expired", "user": user.user_id})
        return SignIn(False, 401, GENERATED_EXPIRED)

    if counters.get(account_key):
        throttles.clear(account_key)
    if passwords.needs_rehash(user.password_hash):
        users.update_password_hash(user, passwords.hash_password(password))
    from . import two_factor  # pyotp stays out of the cold start

    second = two_factor.after_password(user, company, next_path, device_secret, now, source_ip)
    if second.pending_secret:
        logger.info(
            "sign-in waits for its second factor",
            extra={"outcome": "second_factor", "ip": source_ip, "company": company.company_id, "user": user.user_id},
        )
        return SignIn(
            True,
            user=user,
            pending_secret=second.pending_secret,
            notice=second.notice,
            clear_device=second.clear_device,
        )
    return start_signed_in(company, user, every_membership, source_ip, now, client, second_factor=second.second_factor)


def start_signed_in(
    company: Company,
    user: User,
    every_membership,
    source_ip: str,
    now: float,
    client: sessions.Client | None = None,
    method: str = "password",
    second_factor: str | None = None,
) -> SignIn:
    """The session of a proven sign-in (password, password and second factor, passkey): the same
    whatever proved it.  A passkey is itself two factors (the device and its user verification)."""
    memberships = [m for m in every_membership if m.company_id == company.company_id]
    if method == "passkey":
        second_factor = "passkey"
    # The sign-in may switch between its active accounts; it starts on the first.
    active = sorted(m.account_pk for m in memberships if m.status == "active")
    started = sessions.start(
        user.user_id,
        company.company_id,
        active[0] if active else None,
        now,
        account_pks=active,
        companies=switchable_companies(user, every_membership),
        second_factor=second_factor,
        client=client or sessions.Client(source_ip=source_ip),
    )
    logger.info(
        "sign-in succeeded",
        extra={"outcome": "ok", "ip": source_ip, "method": method, "company": company.company_id, "user": user.user_id},
    )
    details = {} if method == "password" else {"method": method}
    audit.record(company.company_id, "sign_in", actor=user.user_id, source_ip=source_ip, **details)
    return SignIn(True, started=started, user=user)


def may_use_company(user: User | None, company_id: str, memberships) -> bool:
    """An active login that administers the company or has an active account in it."""
    if user is None or not user.active:
        return False
    return company_id in (user.admin_company_ids or set()) or any(
        m.status == "active" and m.company_id == company_id for m in memberships
    )


def _turned_off(user: User | None, company_id: str, memberships) -> bool:
    """An active login whose every account in this company was inactivated by an
    administrator (Dealer Administration "Inactivate portal account")."""
    return (
        user is not None
        and user.active
        and company_id not in (user.admin_company_ids or set())
        and any(m.status == "inactive" for m in memberships)
        and not any(m.status == "active" for m in memberships)
    )


def turned_off_message(company: Company) -> str:
    if company.support_phone:
        return f"Your portal access for {company.name} is turned off; call {company.support_phone}."
    if company.support_email:
        return f"Your portal access for {company.name} is turned off; write to {company.support_email}."
    return f"Your portal access for {company.name} is turned off; please contact us."


def switchable_companies(user: User, every_membership=None) -> dict:
    """id -> name of every active company this login may use (company switcher)."""
    if every_membership is None:
        every_membership = users.memberships(user.user_id)
    ids = {m.company_id for m in every_membership if m.status == "active"}
    ids |= set(user.admin_company_ids or ())
    if len(ids) < 2:  # nothing to switch to: no read
        return {}
    return {c.company_id: c.name for c in companies.get_companies(ids) if c.active}


def count_failure(key: str, at: int, limit: int = ACCOUNT_LIMIT) -> bool:
    """Count one failure; True when this failure locks the key."""
    counter = throttles.add_failure(key, at, WINDOW_SECONDS, WINDOW_SECONDS + LOCK_SECONDS)
    if counter.failures >= limit:
        throttles.lock(key, at + LOCK_SECONDS)
        return counter.failures == limit
    return False


def sign_out(session: Session) -> None:
    sessions.end(session)
    audit.record(session.company_id, "sign_out", actor=session.user_id)


def _store_new_password(user: User, new_password: str, now: float) -> None:
    changed_at = datetime.fromtimestamp(now, UTC)
    users.set_password(user, passwords.hash_password(new_password), changed_at)


CURRENT_PASSWORD_WRONG = "Your current password is not correct."
PASSWORDS_DIFFER = "The two new passwords do not match."


def _policy(user: User, new_password: str, confirm: str) -> str | None:
    if new_password != confirm:
        return PASSWORDS_DIFFER
    return passwords.new_password_error(user, new_password)


def change_password(
    company: Company, user: User, session: Session, current: str, new_password: str, confirm: str, now: float
):
    """Returns (error, started session).  Other sessions end; this one gets a new id."""
    if not passwords.verify(user.password_hash, current or ""):
        return CURRENT_PASSWORD_WRONG, None
    if new_password == current:
        return "Choose a password different from the current one.", None
    error = _policy(user, new_password or "", confirm or "")
    if error:
        return error, None
    _store_new_password(user, new_password, now)
    sessions.end_all_for_user(user.user_id)
    started = sessions.start(
        user.user_id,
        company.company_id,
        session.account_pk,
        now,
        account_pks=session.account_pks,
        companies=plain_dict(session.companies),
        second_factor=session.second_factor,
        client=sessions.Client(session.user_agent or "", session.source_ip or ""),
    )
    audit.record(company.company_id, "password_changed", actor=user.user_id)
    _notify_changed(company, user)
    return None, started


def _notify_changed(company: Company, user: User) -> None:
    if not user.email:
        return
    try:
        mail.send(company, user.email, "password_changed", user=user)
    except mail.EmailError:
        logger.exception("password-changed e-mail not sent", extra={"user": user.user_id})


def valid_reset_token(company: Company, secret: str, now: float) -> Token | None:
    if not secret or len(secret) > 128:
        return None
    token = tokens.get(sha256(secret))
    if (
        token is None
        or token.kind != "reset"
        or token.company_id != company.company_id
        or token.used_at is not None
        or token.expires_at <= int(now)
    ):
        return None
    return token


def reset_password(company: Company, secret: str, new_password: str, confirm: str, now: float) -> str | None:
    """Set a new password from a reset link.  Returns an error message, or None."""
    token = valid_reset_token(company, secret, now)
    user = users.get_user(token.user_id) if token else None
    if token is None or user is None:
        return "This link is no longer valid. Ask for a new one."
    error = _policy(user, new_password or "", confirm or "")
    if error:
        return error
    if not tokens.mark_used(token, int(now)):
        return "This link is no longer valid. Ask for a new one."
    _store_new_password(user, new_password, now)
    sessions.end_all_for_user(user.user_id)
    audit.record(company.company_id, "password_reset", actor=user.user_id)
    _notify_changed(company, user)
    return None


def generated_password_expiry(company: Company, now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC) + timedelta(days=int(company.generated_password_days or 30))
