"""The audit log page: who did what, when, to which customer."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .. import clock
from ..models import Company
from ..repositories import admin_customers, audit_log, paging, users
from ..repositories.keys import email_login, name_login

# Action -> label; the filter lists these (every action the code records).
ACTIONS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "account_locked": "Sign-in locked",
    "sign_out": "Signed out",
    "session_ended": "Session signed out (from Preferences)",
    "sessions_ended": "Other sessions signed out",
    "passkey_added": "Passkey added",
    "passkey_removed": "Passkey removed",
    "password_changed": "Password changed",
    "password_reset_requested": "Password reset requested",
    "password_reset": "Password reset",
    "invitation_sent": "Invitation sent",
    "invitation_failed": "Invitation failed (e-mail)",
    "invitation_accepted": "Invitation accepted",
    "account_added_to_login": "Account added to existing login",
    "email_confirmation_sent": "E-mail confirmation sent",
    "email_confirmed": "E-mail confirmed",
    "email_bounced": "E-mail bounced / complaint",
    "portal_inactivated": "Portal access inactivated",
    "portal_reactivated": "Portal access reactivated",
    "web_access_changed": "Web access changed",
    "credentials_sent": "Credentials e-mail sent",
    "dealer_linked": "Dealer linked",
    "dealer_unlinked": "Dealer unlinked",
    "settings_changed": "Portal settings changed",
    "search_all_invoices": "Invoice searched (ALL)",
    "sign_in_refused": "Sign-in refused (access turned off)",
    "company_switch": "Switched company",
    "generated_login_created": "First login created (new invoice)",
    "credentials_not_sent": "Credentials e-mail not sent",
    "theme_published": "Theme published",
    "theme_restored": "Theme restored",
    "payment_void": "Payment voided",
    "payment_refund": "Payment refunded",
    "company_created": "Company created",
    "company_updated": "Company updated",
    "domain_added": "Domain added",
    "domain_removed": "Domain removed",
    "admin_granted": "Administrator added",
    "gateway_credentials_set": "Payment gateway credentials set",
    "invoice_pdf_stored": "Invoice PDF received from the ERP",
    "statement_pdf_stored": "Statement PDF received from the ERP",
    "api_token_created": "API token created",
    "api_token_revoked": "API token revoked",
    "erp_batch": "ERP update received",
    "erp_delete": "ERP deletion received",
    "feed_acknowledged": "ERP feed acknowledged",
}


def action_label(action: str) -> str:
    """Words for an action code; a code recorded by newer code than this list still
    reads as words ("two_factor_enabled" -> "Two factor enabled"), never as the raw code."""
    return ACTIONS.get(action) or (action or "").replace("_", " ").strip().capitalize()


@dataclass
class Row:
    when: datetime
    person: str
    action: str
    customer_no: str
    details: str
    source_ip: str


@dataclass
class AuditPage:
    rows: list[Row]
    cursor: str | None
    stopped_early: bool
    unknown_person: bool = False


def _key_at(moment: datetime) -> str:
    return f"{int(moment.timestamp() * 1000):012x}"


def key_bounds(company: Company, date_from: str | None, date_to: str | None):
    zone = clock.zone(company.time_zone)
    start = datetime.combine(date.fromisoformat(date_from), time.min, zone) if date_from else None
    end = datetime.combine(date.fromisoformat(date_to) + timedelta(days=1), time.min, zone) if date_to else None
    return (_key_at(start) if start else "0", (_key_at(end) if end else "f" * 12) + "~")


def resolve_person(company: Company, person: str) -> str | None:
    person = (person or "").strip()
    if not person:
        return None
    key = email_login(person) if "@" in person else name_login(company.company_id, person)
    return users.user_id_for_login(key)


def events(
    company: Company, person: str, action: str, date_from: str | None, date_to: str | None, cursor: str | None
) -> AuditPage:
    actor = resolve_person(company, person)
    if person and actor is None:
        return AuditPage([], None, False, unknown_person=True)
    key_from, key_to = key_bounds(company, date_from, date_to)
    found: paging.Page = audit_log.page_of_events(
        company.company_id, key_from, key_to, actor, action if action in ACTIONS else None, cursor
    )
    people = admin_customers.users_by_id(e.actor for e in found.items if e.actor)
    rows = []
    for event in found.items:
        details = dict(event.details.as_dict() if hasattr(event.details, "as_dict") else event.details or {})
        person_label = "—"
        if event.actor:
            user = people.get(event.actor)
            person_label = (user.email or user.name or event.actor) if user else event.actor
        customer_no = details.pop("customer_no", "")
        moment = datetime.fromtimestamp(int(event.event_key[:12], 16) / 1000, clock.zone("UTC"))
        rows.append(
            Row(
                moment,
                person_label,
                action_label(event.action),
                customer_no,
                ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(details.items())),
                event.source_ip or "",
            )
        )
    return AuditPage(rows, found.cursor, found.stopped_early)
