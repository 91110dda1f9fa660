"""Server-side sessions (README "Security at a glance"): 256-bit random id, only its SHA-256 stored,
idle timeout 30 minutes, absolute 12 hours, a new id at every sign-in."""

from dataclasses import dataclass

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


@dataclass
class Client:
    """Who is signing in, as the request shows it (listed on /preferences/sessions)."""

    user_agent: str = ""
    source_ip: str = ""


def start(
    user_id: str,
    company_id: str,
    account_pk: str | None,
    now: float,
    account_pks=None,
    companies=None,
    second_factor: str | None = None,
    client: Client | None = None,
) -> StartedSession:
    """`companies`: id -> name of every company the login may switch to (header switcher);
    `second_factor`: what this sign-in proved besides the password (services/two_factor.py);
    `client`: the browser's user agent and IP (the sessions page)."""
    cookie_value = new_secret()
    at = int(now)
    session = Session(
        sha256(cookie_value),
        user_id=user_id,
        company_id=company_id,
        account_pk=account_pk,
        account_pks=set(account_pks or []) or None,
        companies=dict(companies) if companies and len(companies) > 1 else None,
        second_factor=second_factor,
        csrf_token=new_secret(),
        created=at,
        last_seen=at,
        expires=at + ABSOLUTE_SECONDS,
        user_agent=(client.user_agent[:256] or None) if client else None,
        source_ip=(client.source_ip[:64] or None) if client else None,
    )
    repo.create(session)
    return StartedSession(cookie_value, session)


def load(cookie_value: str | None, company_id: str, now: float) -> Session | None:
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


def end_all_for_user(user_id: str, keep: Session | None = None) -> int:
    return repo.delete_all_for_user(user_id, keep=keep.session_hash if keep else None)


def switch_account(session: Session, account_pk: str) -> None:
    repo.set_account(session, account_pk)


def alive(session: Session, now: float) -> bool:
    at = int(now)
    return at < session.created + ABSOLUTE_SECONDS and at < session.last_seen + IDLE_SECONDS


def session_ref(session: Session) -> str:
    """The id a page shows for a session: derived from the stored hash, so it names the
    session without being the key (nor, of course, the cookie)."""
    return sha256(f"session-ref:{session.session_hash}")[:24]


@dataclass
class ActiveSession:
    ref: str
    company_id: str
    device: str
    source_ip: str
    signed_in: int  # epoch seconds
    last_seen: int
    current: bool


def active_for_user(user_id: str, current: Session | None, now: float) -> list[ActiveSession]:
    """Every live session of the login, on every company, this one first then newest."""
    listed = [
        ActiveSession(
            ref=session_ref(s),
            company_id=s.company_id,
            device=describe_device(s.user_agent),
            source_ip=s.source_ip or "",
            signed_in=int(s.created),
            last_seen=int(s.last_seen),
            current=current is not None and s.session_hash == current.session_hash,
        )
        for s in repo.list_for_user(user_id)
        if alive(s, now)
    ]
    return sorted(listed, key=lambda a: (not a.current, -a.last_seen))


def end_by_ref(user_id: str, ref: str) -> Session | None:
    """End one session of this login named by its ref; None when the login has none such
    (another login's session is never found: only this login's are searched)."""
    for session in repo.list_for_user(user_id):
        if session_ref(session) == ref:
            repo.delete(session.session_hash)
            return session
    return None


# (token in the User-Agent, name shown), first match wins: Edge and Opera also say "Chrome",
# Chrome also says "Safari".
BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
]


def describe_device(user_agent: str | None) -> str:
    """ "Chrome on Windows": enough to recognise one's own devices, no parsing library."""
    ua = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in ua), None)
    system = next((name for token, name in SYSTEMS if token in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("Unknown browser" if ua else "Unknown device")
