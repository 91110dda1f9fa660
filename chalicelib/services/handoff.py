"""One login across companies: an authorization-code exchange bound to the browser
(docs/security.md), so a link minted in one browser signs nobody in from another.

1. The source host (signed in) answers POST /switch-company with a page that moves on to
   the *target* host's /switch-company/start?from=<source>.
2. The target host sets a short-lived state cookie (a fresh secret) in this browser and
   sends the browser to the source host's /switch-company/authorize with the state's
   SHA-256 (the state itself never leaves the cookie).
3. The source host, signed in, issues a single-use code for that state hash and target
   (only the code's SHA-256 stored, valid 60 s) and moves on to the target's /handoff/<code>.
4. The target accepts the code only with the state cookie whose hash the code carries,
   consumes it with a conditional write, and starts a new session there.

The code carries the second factor the source's sign-in proved (services/two_factor.py):
the target does not ask again; a login with two-factor whose sign-in lacks it is asked
on the target (a pending sign-in, as after a password).
"""

import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from .. import email as mail
from ..ids import new_secret, sha256
from ..logs import logger
from ..models import Company, Session, Token, User
from ..models.base import plain_dict
from ..repositories import audit, companies, tokens, users
from . import auth, security_notices, sessions

HANDOFF_SECONDS = 60  # the code
STATE_SECONDS = 5 * 60  # the state cookie: the round trip, plus a sign-in on the source if needed
KIND = "handoff"
STATE_HASH = re.compile(r"^[0-9a-f]{64}$")


class HandoffRefused(Exception):
    """Not a company this sign-in may switch to (or a malformed request)."""


def _switchable(session: Session, from_company: Company, target_company_id: str) -> Company:
    allowed = plain_dict(session.companies)
    if target_company_id == from_company.company_id or target_company_id not in allowed:
        raise HandoffRefused(target_company_id)
    target = companies.get_company(target_company_id)
    if target is None or not target.active:
        raise HandoffRefused(target_company_id)
    return target


def start_url(session: Session, from_company: Company, target_company_id: str) -> tuple[str, str]:
    """Step 1 (source host): where the browser goes to start the switch on the target,
    and the target's name."""
    target = _switchable(session, from_company, target_company_id)
    query = urlencode({"from": from_company.company_id})
    return mail.company_url(target, f"/switch-company/start?{query}"), target.name


def begin(target: Company, source_company_id: str) -> tuple[str, str]:
    """Step 2 (target host): a new state for this browser's cookie, and the source host's
    authorize URL carrying the state's hash."""
    source = companies.get_company((source_company_id or "")[:64]) if source_company_id else None
    if source is None or not source.active or source.company_id == target.company_id:
        raise HandoffRefused(source_company_id)
    state = new_secret()
    query = urlencode({"state": sha256(state), "target": target.company_id})
    return state, mail.company_url(source, f"/switch-company/authorize?{query}")


def issue_code(
    user: User,
    session: Session,
    from_company: Company,
    target_company_id: str,
    state_hash: str,
    now: float,
    browser_id: str | None = None,
) -> tuple[str, str]:
    """Step 3 (source host, signed in): a single-use code for this state and target;
    returns the target's /handoff/<code> URL and the target's name.  `browser_id`: this
    browser's device cookie here (services/security_notices.py), vouching for it there."""
    if not STATE_HASH.match(state_hash or ""):
        raise HandoffRefused(target_company_id)
    target = _switchable(session, from_company, target_company_id)
    code = new_secret()
    at = int(now)
    tokens.create(
        Token(
            sha256(code),
            kind=KIND,
            user_id=user.user_id,
            company_id=target.company_id,
            state_hash=state_hash,
            second_factor=session.second_factor,
            device_key=security_notices.device_key(browser_id)
            if security_notices.valid_device_id(browser_id)
            else None,
            created=at,
            expires_at=at + HANDOFF_SECONDS,
            expires=at + HANDOFF_SECONDS + 86400,
        )
    )
    audit.record(from_company.company_id, "company_switch", actor=user.user_id, to=target.company_id)
    return mail.company_url(target, f"/handoff/{code}"), target.name


def valid_code(company: Company, code: str, state: str | None, now: float) -> Token | None:
    """The code's token if it is live, for this company, and bound to this browser's state."""
    if not code or len(code) > 128 or not state or len(state) > 128:
        return None
    token = tokens.get(sha256(code))
    if (
        token is None
        or token.kind != KIND
        or token.company_id != company.company_id
        or token.used_at is not None
        or token.expires_at <= int(now)
        or not token.state_hash
        or not hmac.compare_digest(token.state_hash, sha256(state))
    ):
        return None
    return token


@dataclass
class Completed:
    """A new session here (`started`), or a pending sign-in still to prove its second
    factor on this host (`pending_secret`, the cookie for /sign-in/two-factor)."""

    user: User
    started: sessions.StartedSession | None = None
    pending_secret: str | None = None
    vouched_device: str | None = None  # the source browser's device key (security_notices.note_sign_in)


def complete(
    company: Company,
    code: str,
    state: str | None,
    now: float,
    source_ip: str,
    client: sessions.Client | None = None,
) -> Completed | None:
    """Step 4 (target host): consume the code and start a new session here, or None.
    `client`: this browser's user agent and IP, kept on the session (the sessions page)."""
    from . import two_factor  # pyotp stays out of the cold start

    token = valid_code(company, code, state, now)
    user = users.get_user(token.user_id) if token else None
    if token is None or user is None:
        return None
    memberships = users.memberships_in_company(user.user_id, company.company_id)
    if not auth.may_use_company(user, company.company_id, memberships):
        logger.info("hand-off refused: no access", extra={"user": user.user_id, "company": company.company_id})
        return None
    if not tokens.mark_used(token, int(now)):  # another request consumed it first
        return None
    if two_factor.enrolled(user) and not token.second_factor:
        pending_secret = two_factor.start_pending(user, company, "/", now, vouched_device=token.device_key)
        return Completed(user, pending_secret=pending_secret, vouched_device=token.device_key)
    active = sorted(m.account_pk for m in memberships if m.status == "active")
    started = sessions.start(
        user.user_id,
        company.company_id,
        active[0] if active else None,
        now,
        account_pks=active,
        companies=auth.switchable_companies(user),
        second_factor=token.second_factor,
        client=client or sessions.Client(source_ip=source_ip),
    )
    audit.record(company.company_id, "sign_in", actor=user.user_id, source_ip=source_ip, via="handoff")
    return Completed(user, started=started, vouched_device=token.device_key)
