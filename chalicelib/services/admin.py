"""Who administers which company, and which one they are working on ("Select Dealer").

Dealer Administration is served on the host of any company the administrator
manages; the selected company is kept in the session and checked against the
user's `admin_company_ids` on every request, so a removed right ends at once.
"""

from ..models import Company, Session, User
from ..repositories import companies
from ..repositories import sessions as session_repo


def managed_ids(user: User | None) -> set:
    return set(user.admin_company_ids or ()) if user else set()


def may_administer(user: User | None, host_company: Company | None) -> bool:
    return bool(host_company and host_company.company_id in managed_ids(user))


def selected_company(user: User, session: Session, host_company: Company) -> Company | None:
    """The company this administrator works on now, or None if they may not."""
    if not may_administer(user, host_company):
        return None
    ids = managed_ids(user)
    chosen = session.admin_company_id if session.admin_company_id in ids else None
    if chosen is None or chosen == host_company.company_id:
        return host_company
    return companies.get_company(chosen)


def select(user: User, session: Session, company_id: str) -> bool:
    """Keep `company_id` as the session's administered company; False if not theirs."""
    if company_id not in managed_ids(user):
        return False
    session_repo.set_admin_company(session, company_id)
    session.admin_company_id = company_id
    return True


def companies_of(user: User) -> list[Company]:
    return companies.get_companies(managed_ids(user))
