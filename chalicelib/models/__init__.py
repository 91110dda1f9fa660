"""PynamoDB models: the single source of truth for tables and indexes.

A model module is imported when one of its names is first read (PEP 562 `__getattr__`), so
`import app` on a Lambda creates only the model classes the request pipeline names at import
(company, session, user, web access); invoices, payments, parts and the rest are created by
the first request that reads them (bench/cold_start.py; the same idea for services is
chalicelib/lazy_imports.py)."""

import importlib
from typing import TYPE_CHECKING, Any

_MODULES = {
    "commerce": ("Cart", "Part", "PartsOrder", "PartToken", "PaymentReservations", "ServiceRequest"),
    "company": ("DEFAULT_PAGES", "Company", "Domain", "Theme", "ThemeVersion"),
    "customer": ("Contact", "Customer", "Dealer", "DealerLink", "Equipment", "WebAccess"),
    "invoice": ("ArJournal", "ArTotals", "Invoice", "InvoiceLine", "LedgerEntry", "Payment", "Statement"),
    "security": ("ApiToken", "AuditEvent", "Passkey", "Session", "Token"),
    "user": ("LoginName", "Membership", "Throttle", "User"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

# Every table's model, in the order the template and the local stack create them.
_ALL_MODEL_NAMES = [
    "Company",
    "Domain",
    "ThemeVersion",
    "Customer",
    "WebAccess",
    "Contact",
    "Dealer",
    "DealerLink",
    "Equipment",
    "Invoice",
    "ArTotals",
    "ArJournal",
    "LedgerEntry",
    "Statement",
    "Payment",
    "PaymentReservations",
    "Part",
    "PartToken",
    "Cart",
    "PartsOrder",
    "ServiceRequest",
    "User",
    "LoginName",
    "Membership",
    "Throttle",
    "Session",
    "Token",
    "ApiToken",
    "AuditEvent",
    "Passkey",
]
# TTL attribute per table (DynamoDB deletes expired items; code still checks).
_TTL_ATTRIBUTES = {"Session": "expires", "Token": "expires", "Throttle": "expires"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    elif name == "ALL_MODELS":
        value = [__getattr__(model) for model in _ALL_MODEL_NAMES]
    elif name == "TTL_ATTRIBUTES":
        value = {__getattr__(model): attribute for model, attribute in _TTL_ATTRIBUTES.items()}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # read once
    return value


if TYPE_CHECKING:  # what the type checker sees: the names as if imported eagerly
    from .commerce import Cart, Part, PartsOrder, PartToken, PaymentReservations, ServiceRequest  # noqa: F401
    from .company import DEFAULT_PAGES, Company, Domain, Theme, ThemeVersion  # noqa: F401
    from .customer import Contact, Customer, Dealer, DealerLink, Equipment, WebAccess  # noqa: F401
    from .invoice import ArJournal, ArTotals, Invoice, InvoiceLine, LedgerEntry, Payment, Statement  # noqa: F401
    from .security import ApiToken, AuditEvent, Passkey, Session, Token  # noqa: F401
    from .user import LoginName, Membership, Throttle, User  # noqa: F401

    ALL_MODELS: list
    TTL_ATTRIBUTES: dict

__all__ = [*_HOME, "ALL_MODELS", "TTL_ATTRIBUTES"]
