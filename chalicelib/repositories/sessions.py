"""Server-side sessions, keyed by the SHA-256 of the cookie value."""

from ..models import Session
from .dynamo import batch_write, conditional


def create(session: Session) -> None:
    session.save(condition=Session.session_hash.does_not_exist())


def get(session_hash: str) -> Session | None:
    try:
        # Consistent: the page right after sign-in must see the session just written.
        return Session.get(session_hash, consistent_read=True)
    except Session.DoesNotExist:
        return None


def touch(session: Session, now: int) -> None:
    # Conditional: a sign-out racing this request must not leave a keyless item behind.
    conditional(session.update, actions=[Session.last_seen.set(now)], condition=Session.session_hash.exists())


def set_account(session: Session, account_pk: str) -> None:
    session.update(actions=[Session.account_pk.set(account_pk)], condition=Session.session_hash.exists())


def set_admin_company(session: Session, company_id: str) -> None:
    session.update(actions=[Session.admin_company_id.set(company_id)], condition=Session.session_hash.exists())


def set_second_factor(session: Session, factor: str) -> None:
    """The sign-in proved a second factor after it started (it just set one up)."""
    session.update(actions=[Session.second_factor.set(factor)], condition=Session.session_hash.exists())


def delete(session_hash: str) -> None:
    Session(session_hash).delete()


def delete_all_for_user(user_id: str, keep: str | None = None) -> int:
    """End every session of a user (except `keep`); one query + batched deletes."""
    hashes = [s.session_hash for s in Session.by_user.query(user_id)]
    batch_write([Session(h) for h in hashes if h != keep], "delete")
    return len(hashes) - (1 if keep in hashes else 0)


def list_for_user(user_id: str) -> list[Session]:
    """Every stored session of a login: the keys-only index, then one BatchGetItem."""
    hashes = [s.session_hash for s in Session.by_user.query(user_id)]
    return list(Session.batch_get(hashes)) if hashes else []
