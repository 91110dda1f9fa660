"""Companies and their domains."""
from typing import Optional

from ..models import Company, Domain


def get_company(company_id: str) -> Optional[Company]:
    try:
        return Company.get(company_id)
    except Company.DoesNotExist:
        return None


def company_id_for_host(host: str) -> Optional[str]:
    try:
        return Domain.get(host).company_id
    except Domain.DoesNotExist:
        return None


def save_company(company: Company) -> None:
    company.save()


def save_domain(domain: Domain) -> None:
    domain.save()


def get_companies(company_ids) -> list:
    """Several companies in one BatchGetItem, sorted by name."""
    ids = sorted(set(company_ids or ()))[:100]
    return sorted(Company.batch_get(ids), key=lambda c: c.name.lower()) if ids else []
