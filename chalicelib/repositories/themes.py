"""A company's theme: the draft, the published theme and every published version."""

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..models import Company, Theme, ThemeVersion
from .dynamo import cancel_reasons, conditional, connection


class VersionConflict(Exception):
    """Someone published (or restored) a theme since this one was read."""


def save_draft(company: Company, draft: Theme) -> None:
    if not conditional(company.update, actions=[Company.theme_draft.set(draft)], condition=Company.company_id.exists()):
        raise VersionConflict(f"company {company.company_id} is gone")


def publish(
    company: Company, theme: Theme, expected_version: int, published_by: str, published_at, clear_draft: bool = True
) -> int:
    """Make `theme` live as version expected+1: the company's theme (and OEM label, when the
    theme sets one) and version change in one conditional write, together with the new
    version item (one transaction)."""
    version = expected_version + 1
    if expected_version:
        unchanged = Company.theme_version == expected_version
    else:
        unchanged = Company.theme_version.does_not_exist() | (Company.theme_version == 0)
    try:
        with TransactWrite(connection=connection(Company)) as tx:
            # The OEM label changes only when the theme sets one (Portal settings edits it too).
            actions: list[Action] = [
                Company.theme.set(theme),
                Company.theme_version.set(version),
                Company.updated_at.set(published_at),
            ]
            if theme.oem_label:
                actions.append(Company.oem_label.set(theme.oem_label))
            if clear_draft:
                actions.append(Company.theme_draft.remove())
            tx.update(company, actions=actions, condition=unchanged)
            tx.save(
                ThemeVersion(
                    company.company_id, version, theme=theme, published_by=published_by, published_at=published_at
                ),
                condition=ThemeVersion.version.does_not_exist(),
            )
    except TransactWriteError as error:
        if cancel_reasons(error) is None:  # failed for another reason than a condition
            raise
        raise VersionConflict(str(error)) from error
    return version


def get_version(company_id: str, version: int) -> ThemeVersion | None:
    try:
        return ThemeVersion.get(company_id, int(version))
    except ThemeVersion.DoesNotExist:
        return None


def recent_versions(company_id: str, limit: int = 10) -> list[ThemeVersion]:
    return list(ThemeVersion.query(company_id, scan_index_forward=False, limit=limit))
