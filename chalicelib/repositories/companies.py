"""Companies and their domains."""

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..models import Company, Domain
from ..models.company import PAYMENTS_ENABLED
from .dynamo import cancel_reasons, conditional, connection


class AlreadyExists(Exception):
    """The company id or host is taken (conditional write refused)."""


def get_company(company_id: str, consistent: bool = False) -> Company | None:
    try:
        return Company.get(company_id, consistent_read=consistent)
    except Company.DoesNotExist:
        return None


def company_id_for_host(host: str) -> str | None:
    try:
        return Domain.get(host).company_id
    except Domain.DoesNotExist:
        return None


def get_domain(host: str) -> Domain | None:
    try:
        return Domain.get(host)
    except Domain.DoesNotExist:
        return None


def domains_of(company_id: str) -> list[Domain]:
    """Index `by_company`: a company's hosts."""
    return list(Domain.by_company.query(company_id, limit=100))


def create_company(company: Company, domain: Domain) -> None:
    """The company and its primary domain together, or neither (ids and hosts are unique)."""
    try:
        with TransactWrite(connection=connection(Company)) as tx:
            tx.save(company, condition=Company.company_id.does_not_exist())
            tx.save(domain, condition=Domain.host.does_not_exist())
    except TransactWriteError as error:
        if cancel_reasons(error) is None:  # failed for another reason than a condition
            raise
        raise AlreadyExists(str(error)) from error


def save_company(company: Company) -> None:
    company.save()


def mark_payments_enabled(company_id: str) -> bool:
    """Put an existing company in the `with_payments` index; False when there is no such company."""
    return conditional(
        Company(company_id).update,
        actions=[Company.payments.set(PAYMENTS_ENABLED)],
        condition=Company.company_id.exists(),
    )


def with_payments() -> list[str]:
    """Ids of the companies with gateway credentials: index `with_payments` (keys only)."""
    return sorted(c.company_id for c in Company.with_payments.query(PAYMENTS_ENABLED))


def save_domain(domain: Domain) -> None:
    """A new host; AlreadyExists when any company already answers on it."""
    if not conditional(domain.save, condition=Domain.host.does_not_exist()):
        raise AlreadyExists(domain.host)


def set_primary(domain: Domain, primary: bool) -> None:
    domain.update(actions=[Domain.primary.set(primary)])


def delete_domain(domain: Domain) -> None:
    domain.delete(condition=Domain.company_id == domain.company_id)


def get_companies(company_ids) -> list:
    """Several companies in one BatchGetItem, sorted by name."""
    ids = sorted(set(company_ids or ()))[:100]
    return sorted(Company.batch_get(ids), key=lambda c: c.name.lower()) if ids else []
