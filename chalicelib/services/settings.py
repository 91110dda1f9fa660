"""Company-wide portal settings ("AR variables" / service websites)."""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Dict, Optional

from ..models import DEFAULT_PAGES, Company
from ..models.base import plain_dict
from ..repositories import audit, companies
from . import tenant
from .portal_access import PAGE_FLAGS

COMPANY_PAGES = PAGE_FLAGS + [("search_all", "Search ALL invoices (for customers allowed to)")]
PRICE_DISPLAY = {"price": "Show prices", "hide": "Hide prices"}
QTY_DISPLAY = {"quantity": "Show the quantity available", "in_stock": "Show only “In stock” / "
               "“Out of stock”", "hide": "Hide availability"}
URL = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.I)


@dataclass
class SettingsForm:
    pages: Dict[str, bool] = field(default_factory=dict)
    parts_price_display: str = "price"
    parts_qty_display: str = "quantity"
    oem_label: str = "OEM"
    auto_credentials: bool = False
    credentials_email_format: str = ""
    service_request_url: str = ""

    @classmethod
    def of(cls, company: Company) -> "SettingsForm":
        pages = dict(DEFAULT_PAGES, **plain_dict(company.pages))
        return cls(pages={key: bool(pages.get(key)) for key, _ in COMPANY_PAGES},
                   parts_price_display=company.parts_price_display or "price",
                   parts_qty_display=company.parts_qty_display or "quantity",
                   oem_label=company.oem_label or "OEM",
                   auto_credentials=bool(company.auto_credentials),
                   credentials_email_format=company.credentials_email_format or "",
                   service_request_url=company.service_request_url or "")

    @classmethod
    def parse(cls, form: dict) -> "SettingsForm":
        return cls(pages={key: form.get(f"page_{key}") == "on" for key, _ in COMPANY_PAGES},
                   parts_price_display=form.get("parts_price_display", ""),
                   parts_qty_display=form.get("parts_qty_display", ""),
                   oem_label=(form.get("oem_label") or "").strip()[:41],
                   auto_credentials=form.get("auto_credentials") == "on",
                   credentials_email_format=(form.get("credentials_email_format") or "")[:10001],
                   service_request_url=(form.get("service_request_url") or "").strip()[:501])


def validate(form: SettingsForm, format_error) -> Optional[str]:
    if form.parts_price_display not in PRICE_DISPLAY:
        return "Choose how parts prices are shown."
    if form.parts_qty_display not in QTY_DISPLAY:
        return "Choose how parts availability is shown."
    if not form.oem_label or len(form.oem_label) > 40:
        return "The dealer pages label needs 1 to 40 characters."
    if len(form.credentials_email_format) > 10000:
        return "The credentials e-mail format is longer than 10,000 characters."
    if form.credentials_email_format.strip() and format_error:
        error = format_error(form.credentials_email_format)
        if error:
            return f"Credentials e-mail format: {error}"
    if form.service_request_url and (len(form.service_request_url) > 500
                                     or not URL.match(form.service_request_url)):
        return "The service request link must be a full https:// address."
    return None


def save(company: Company, form: SettingsForm, actor_id: str, source_ip: str, now: float,
         format_error=None) -> Optional[str]:
    error = validate(form, format_error)
    if error:
        return error
    before = SettingsForm.of(company)
    company.pages = dict(plain_dict(company.pages), **form.pages)
    company.parts_price_display = form.parts_price_display
    company.parts_qty_display = form.parts_qty_display
    company.oem_label = form.oem_label
    company.auto_credentials = form.auto_credentials
    company.credentials_email_format = form.credentials_email_format.strip() or None
    company.service_request_url = form.service_request_url or None
    company.updated_at = datetime.fromtimestamp(now, UTC)
    companies.save_company(company)
    tenant.forget()  # this Lambda shows the change at once (others within a minute)
    changed = [name for name in vars(form) if getattr(before, name) != getattr(form, name)]
    audit.record(company.company_id, "settings_changed", actor=actor_id, source_ip=source_ip,
                 changed=",".join(changed) or "-")
    return None
