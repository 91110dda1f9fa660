"""Server-side sessions (README "Security at a glance"): 256-bit random id, only its SHA-256 stored,
idle timeout 30 minutes, absolute 12 hours, a new id at every sign-in."""
from dataclasses import dataclass
from typing import Optional

from ..ids import new_secret, sha256
from ..models import Session
from ..repositories import sessions as repo

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 60 * 60
# Record activity at most once a minute: one write per page would double the
# DynamoDB cost of browsing for a one-minute gain in idle-timeout precision.
TOUCH_EVERY_SECONDS = 60


@dataclass
class StartedSession:
    cookie_value: str
    session: Session


def start(user_id: str, company_id: str, account_pk: Optional[str], now: float,
          account_pks=None, companies=None, second_factor: Optional[str] = None) -> StartedSession:
    """`companies`: id -> name of every company the login may switch to (header switcher);
    `second_factor`: what this sign-in proved besides the password (services/two_factor.py)."""
    cookie_value = new_secret()
    at = int(now)
    session = Session(sha256(cookie_value), user_id=user_id, company_id=company_id,
                      account_pk=account_pk, account_pks=set(account_pks or []) or None,
                      companies=dict(companies) if companies and len(companies) > 1 else None,
                      second_factor=second_factor, csrf_token=new_secret(), created=at,
                      last_seen=at, expires=at + ABSOLUTE_SECONDS)
    repo.create(session)
    return StartedSession(cookie_value, session)


def load(cookie_value: Optional[str], company_id: str, now: float) -> Optional[Session]:
    """The live session for this cookie on this company's host, or None."""
    if not cookie_value or len(cookie_value) > 128:
        return None
    session = repo.get(sha256(cookie_value))
    if session is None or session.company_id != company_id:
        return None
    at = int(now)
    if at >= session.created + ABSOLUTE_SECONDS or at >= session.last_seen + IDLE_SECONDS:
        repo.delete(session.session_hash)
        return None
    if at - session.last_seen >= TOUCH_EVERY_SECONDS:
        repo.touch(session, at)
    return session


def end(session: Session) -> None:
    repo.delete(session.session_hash)


def end_all_for_user(user_id: str, keep: Optional[Session] = None) -> int:
    return repo.delete_all_for_user(user_id, keep=keep.session_hash if keep else None)


def switch_account(session: Session, account_pk: str) -> None:
    repo.set_account(session, account_pk)
