"""PynamoDB models: the single source of truth for tables and indexes."""
from .commerce import Cart, Part, PartsOrder, PartToken, PaymentReservations, ServiceRequest
from .company import DEFAULT_PAGES, Company, Domain, Theme, ThemeVersion
from .customer import Contact, Customer, Dealer, DealerLink, Equipment, WebAccess
from .invoice import ArJournal, ArTotals, Invoice, InvoiceLine, LedgerEntry, Payment, Statement
from .security import ApiToken, AuditEvent, Session, Token
from .user import LoginName, Membership, Throttle, User

ALL_MODELS = [
    Company, Domain, ThemeVersion, Customer, WebAccess, Contact, Dealer, DealerLink, Equipment,
    Invoice, ArTotals, ArJournal, LedgerEntry, Statement, Payment,
    PaymentReservations,
    Part, PartToken, Cart, PartsOrder, ServiceRequest,
    User, LoginName, Membership, Throttle,
    Session, Token, ApiToken, AuditEvent,
]

# TTL attribute per table (DynamoDB deletes expired items; code still checks).
TTL_ATTRIBUTES = {Session: "expires", Token: "expires", Throttle: "expires"}

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS", "TTL_ATTRIBUTES", "DEFAULT_PAGES", "Theme", "InvoiceLine"]
