"""One login across companies: switching signs the user in on the other company's own
domain through a single-use hand-off token valid 60 seconds (DESIGN §5).

The token travels in a link built from the target company's primary domain; only
its SHA-256 is stored; a conditional write consumes it once; the session it starts
there is a new one (sessions are per company and per host).
"""
from typing import Optional, Tuple

from .. import email as mail
from ..ids import new_secret, sha256
from ..logs import logger
from ..models import Company, Session, Token, User
from ..models.base import plain_dict
from ..repositories import audit, companies, tokens, users
from . import auth, sessions

HANDOFF_SECONDS = 60
KIND = "handoff"


class HandoffRefused(Exception):
    """Not a company this sign-in may switch to."""


def start(user: User, session: Session, from_company: Company, target_company_id: str,
          now: float) -> Tuple[str, str]:
    """Mint a hand-off token; returns its URL on the target company's primary domain and
    the target company's name."""
    allowed = plain_dict(session.companies)
    if target_company_id == from_company.company_id or target_company_id not in allowed:
        raise HandoffRefused(target_company_id)
    target = companies.get_company(target_company_id)
    if target is None or not target.active:
        raise HandoffRefused(target_company_id)
    secret = new_secret()
    at = int(now)
    tokens.create(Token(sha256(secret), kind=KIND, user_id=user.user_id,
                        company_id=target.company_id, created=at,
                        expires_at=at + HANDOFF_SECONDS, expires=at + HANDOFF_SECONDS + 86400))
    audit.record(from_company.company_id, "company_switch", actor=user.user_id,
                 to=target.company_id)
    return mail.company_url(target, f"/handoff/{secret}"), target.name


def valid_token(company: Company, secret: str, now: float) -> Optional[Token]:
    if not secret or len(secret) > 128:
        return None
    token = tokens.get(sha256(secret))
    if (token is None or token.kind != KIND or token.company_id != company.company_id
            or token.used_at is not None or token.expires_at <= int(now)):
        return None
    return token


def complete(company: Company, secret: str, now: float,
             source_ip: str) -> Optional[Tuple[sessions.StartedSession, User]]:
    """Consume the token and start a new session on this company, or None if refused."""
    token = valid_token(company, secret, now)
    user = users.get_user(token.user_id) if token else None
    if token is None or user is None:
        return None
    memberships = users.memberships_in_company(user.user_id, company.company_id)
    if not auth.may_use_company(user, company.company_id, memberships):
        logger.info("hand-off refused: no access", extra={"user": user.user_id,
                                                          "company": company.company_id})
        return None
    if not tokens.mark_used(token, int(now)):  # another request consumed it first
        return None
    active = sorted(m.account_pk for m in memberships if m.status == "active")
    started = sessions.start(user.user_id, company.company_id, active[0] if active else None,
                             now, account_pks=active, companies=auth.switchable_companies(user))
    audit.record(company.company_id, "sign_in", actor=user.user_id, source_ip=source_ip,
                 via="handoff")
    return started, user
