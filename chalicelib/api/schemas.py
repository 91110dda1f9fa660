"""Request and response shapes of the admin API (/api/v1), as pydantic v2 models.

The same models validate requests in the app, generate the OpenAPI document and let
the `portal` CLI validate CSV / JSON Lines rows before sending them.  This module
imports only pydantic and the standard library (no app, no boto3).

Money: a decimal string ("12.50") or a JSON number in dollars, converted exactly to
integer cents with Decimal; more than two decimals is refused.  After validation a
money field holds integer cents.
Dates are ISO dates (YYYY-MM-DD); `updated_at` is the ERP's ISO-8601 time of the
change (a time without a zone is taken as UTC).
"""
import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Callable, Dict, List, Literal, Optional, Type

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .kinds import FEEDS, MAX_BATCH_BYTES, MAX_PDF_BYTES, MAX_RECORDS  # noqa: F401 (re-exported)

MAX_DOLLARS = Decimal("1000000000")  # a billion dollars: anything larger is a typo

# --- field types -------------------------------------------------------------------------

MONEY_PATTERN = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


def to_cents(value: Any) -> int:
    """Dollars (decimal string or number) -> integer cents, exactly."""
    if isinstance(value, bool) or value is None:
        raise ValueError("must be an amount in dollars, e.g. \"12.50\"")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest decimal that round-trips the float
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not MONEY_PATTERN.match(text):
            raise ValueError("must be a decimal amount in dollars with at most 2 decimals, "
                             "e.g. \"12.50\"")
        amount = Decimal(text)
    else:
        raise ValueError("must be an amount in dollars, e.g. \"12.50\"")
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if abs(amount) >= MAX_DOLLARS:
        raise ValueError("is too large")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("has more than 2 decimal places")
    return int(cents)


Money = Annotated[int, BeforeValidator(to_cents), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": MONEY_PATTERN.pattern},
              {"type": "number", "minimum": -999999999.99, "maximum": 999999999.99}],
    "description": "Amount in dollars (decimal string or number, at most 2 decimals)",
})]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UpdatedAt = Annotated[datetime, AfterValidator(_utc), Field(
    description="The ERP's time of this change (ISO-8601). An older change never "
                "overwrites a newer one.")]

# Natural keys are embedded in DynamoDB keys as `company#key`: no '#', no control chars.
KEY_PATTERN = re.compile(r"^[^#\x00-\x1f\x7f]+$")


def _plain_key(value: str) -> str:
    if not KEY_PATTERN.match(value):
        raise ValueError("must not contain '#' or control characters")
    return value


Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                AfterValidator(_plain_key), Field(json_schema_extra={"pattern": KEY_PATTERN.pattern})]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Quantity = Annotated[int, Field(ge=0, le=10_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- ERP records ------------------------------------------------------------------------

class Location(Strict):
    location_id: Key
    name: Optional[ShortText] = None
    address: Optional[Text] = None
    city: Optional[ShortText] = None
    state: Optional[ShortText] = None
    postal_code: Optional[ShortText] = None
    phone: Optional[ShortText] = None


class ContactIn(Strict):
    contact_id: Key
    name: Optional[ShortText] = None
    email: Optional[ShortText] = Field(None, description="Stored as given; invalid addresses "
                                                         "are skipped when e-mailing")
    phone: Optional[ShortText] = None
    role: Optional[ShortText] = None
    primary: bool = False


PAGE_KEYS = ("orders", "history", "account", "account_history", "purchases", "equipment",
             "statements", "payments", "service", "dealer_orders", "dealer_history", "parts",
             "open_parts", "search_all")
PageKey = Literal[PAGE_KEYS]


class WebAccessIn(Strict):
    """Portal-side settings: applied only when the company's web_access_owner is "erp"."""

    access_type: Optional[Literal["Retail", "Dealer"]] = None
    search_all: Optional[bool] = None
    pages: Optional[Dict[PageKey, bool]] = None
    user_name: Optional[Key] = None
    portal_active: Optional[bool] = None


def _unique(items: list, attribute: str, what: str) -> list:
    seen = set()
    for item in items:
        value = getattr(item, attribute)
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)
    return items


class CustomerRecord(Strict):
    customer_no: Key
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    updated_at: UpdatedAt
    erp_active: bool = True
    price_level: Optional[ShortText] = None
    terms_days: Optional[Annotated[int, Field(ge=0, le=3650)]] = None
    address: Optional[Text] = None
    city: Optional[ShortText] = None
    state: Optional[ShortText] = None
    postal_code: Optional[ShortText] = None
    phone: Optional[ShortText] = None
    locations: Annotated[List[Location], Field(max_length=200, description=(
        'Location "MAIN" is the bill-to; without it the top-level address fields are'))] = []
    contacts: Annotated[List[ContactIn], Field(max_length=100)] = []
    web_access: Optional[WebAccessIn] = None

    @field_validator("locations")
    @classmethod
    def _locations_unique(cls, value):
        return _unique(value, "location_id", "location_id")

    @field_validator("contacts")
    @classmethod
    def _contacts_unique(cls, value):
        return _unique(value, "contact_id", "contact_id")


class DealerRecord(Strict):
    dealer_code: Key
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    linked_customer_nos: Annotated[List[Key], Field(max_length=100)] = []
    updated_at: UpdatedAt


class InvoiceLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=100_000)]
    part_no: Optional[Key] = None
    description: Optional[Text] = None
    qty_ordered: Quantity = 0
    qty_shipped: Quantity = 0
    qty_backordered: Quantity = 0
    price: Money = 0
    extension: Optional[Money] = Field(None, description="Defaults to qty_ordered × price")
    expected_on: Optional[date] = None


class InvoiceRecord(Strict):
    invoice_no: Key
    customer_no: Key
    location_id: Optional[Key] = Field(None, description='Defaults to "MAIN" (the bill-to)')
    invoice_date: date
    due_date: Optional[date] = None
    state: Literal["open", "closed"]
    status: Optional[ShortText] = None
    status_dates: Dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], date] = {}
    po_number: Optional[ShortText] = None
    ship_to: Optional[Text] = None
    dealer_code: Optional[Key] = None
    equipment_serial: Optional[Key] = None
    lines: Annotated[List[InvoiceLineIn], Field(max_length=1000)] = []
    subtotal: Money
    tax: Money
    total: Money
    balance: Money
    applied_payment_ids: Annotated[List[Key], Field(max_length=200)] = []
    updated_at: UpdatedAt

    @field_validator("lines")
    @classmethod
    def _lines_unique(cls, value):
        return _unique(value, "line_no", "line_no")

    @field_validator("status_dates")
    @classmethod
    def _status_dates_few(cls, value):
        if len(value) > 20:
            raise ValueError("at most 20 status dates")
        return value


class LedgerRecord(Strict):
    entry_id: Key
    customer_no: Key
    entry_date: date
    kind: Literal["payment", "credit", "balance_forward", "invoice"]
    reference: Optional[ShortText] = None
    amount: Money
    open_amount: Optional[Money] = Field(None, description=(
        "Credit memos and payments only: the part not yet applied to any invoice (a "
        "positive amount, at most the entry's). It lowers the balance due until the ERP "
        "applies it; send the entry again with 0 once it is applied."))
    updated_at: UpdatedAt

    @model_validator(mode="after")
    def _open_amount_fits(self):
        if self.open_amount:
            if self.kind not in ("payment", "credit"):
                raise ValueError("open_amount is for payment and credit entries only")
            if self.open_amount < 0 or self.amount >= 0 or self.open_amount > -self.amount:
                raise ValueError("open_amount must be between 0 and the credit's amount "
                                 "(a credit's amount is negative)")
        return self


class StatementRecord(Strict):
    customer_no: Key
    statement_date: date
    balance: Money
    updated_at: UpdatedAt


class PartRecord(Strict):
    part_no: Key
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=500)]
    prices: Dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Money] = {}
    qty_available: Annotated[int, Field(ge=-10_000_000, le=10_000_000)] = 0
    updated_at: UpdatedAt

    @field_validator("prices")
    @classmethod
    def _few_levels(cls, value):
        if len(value) > 20:
            raise ValueError("at most 20 price levels")
        return value


class EquipmentRecord(Strict):
    customer_no: Key
    serial_no: Key
    make: Optional[ShortText] = None
    model: Optional[ShortText] = None
    description: Optional[Text] = None
    location_id: Optional[Key] = None
    purchased_on: Optional[date] = None
    installed_on: Optional[date] = None
    warranty_ends_on: Optional[date] = None
    invoice_nos: Annotated[List[Key], Field(max_length=200)] = []
    updated_at: UpdatedAt


class AchSettlementRecord(Strict):
    payment_id: Key
    outcome: Literal["settled", "returned"]
    reason: Optional[ShortText] = None
    updated_at: UpdatedAt


# --- deletes: the key fields and the ERP's time of the delete -----------------------------

class CustomerDelete(Strict):
    customer_no: Key
    updated_at: UpdatedAt


class DealerDelete(Strict):
    dealer_code: Key
    updated_at: UpdatedAt


class InvoiceDelete(Strict):
    invoice_no: Key
    updated_at: UpdatedAt


class LedgerDelete(Strict):
    customer_no: Key
    entry_id: Key
    entry_date: date
    updated_at: UpdatedAt


class StatementDelete(Strict):
    customer_no: Key
    statement_date: date
    updated_at: UpdatedAt


class PartDelete(Strict):
    part_no: Key
    updated_at: UpdatedAt


class EquipmentDelete(Strict):
    customer_no: Key
    serial_no: Key
    updated_at: UpdatedAt


class Kind:
    """One batch kind: its record model, its delete model (None: no deletes), its key."""

    def __init__(self, name: str, record: Type[Strict], delete: Optional[Type[Strict]],
                 key: Callable[[dict], str]):
        self.name, self.record, self.delete, self.key = name, record, delete, key


def _get(*fields: str) -> Callable[[dict], str]:
    """Natural key of a record (validated or raw dict): fields joined by '/'."""
    def key(record) -> str:
        values = [record.get(f) if isinstance(record, dict) else getattr(record, f, None)
                  for f in fields]
        return "/".join("" if v is None else str(v) for v in values)
    return key


# The same kinds as kinds.KINDS (test_api_openapi checks they agree).
KINDS: Dict[str, Kind] = {k.name: k for k in [
    Kind("customers", CustomerRecord, CustomerDelete, _get("customer_no")),
    Kind("dealers", DealerRecord, DealerDelete, _get("dealer_code")),
    Kind("invoices", InvoiceRecord, InvoiceDelete, _get("invoice_no")),
    Kind("ledger", LedgerRecord, LedgerDelete, _get("customer_no", "entry_id")),
    Kind("statements", StatementRecord, StatementDelete, _get("customer_no", "statement_date")),
    Kind("parts", PartRecord, PartDelete, _get("part_no")),
    Kind("equipment", EquipmentRecord, EquipmentDelete, _get("customer_no", "serial_no")),
    Kind("ach-settlements", AchSettlementRecord, None, _get("payment_id")),
]}


# --- batch envelope and answer ---------------------------------------------------------

class FieldError(BaseModel):
    field: str
    reason: str


Outcome = Literal["created", "updated", "unchanged", "skipped_stale", "rejected", "deleted"]


class RecordResult(BaseModel):
    index: int
    key: str
    outcome: Outcome
    errors: List[FieldError] = []
    ignored_fields: List[str] = []
    warnings: List[str] = []


class BatchSummary(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_stale: int = 0
    rejected: int = 0
    deleted: int = 0


class BatchResult(BaseModel):
    results: List[RecordResult]
    summary: BatchSummary


@functools.cache
def batch_model(record: Type[BaseModel]) -> Type[BaseModel]:
    """The request body of a batch: `{"records": [...]}` (records are validated one by one)."""
    return type(f"{record.__name__}Batch", (Strict,), {
        "__annotations__": {"records": Annotated[List[record], Field(min_length=1,
                                                                     max_length=MAX_RECORDS)]},
        "__doc__": f"Up to {MAX_RECORDS} records and {MAX_BATCH_BYTES // 1024 // 1024} MB a "
                   "request; each record is validated and written on its own.",
    })


def validation_errors(error) -> List[FieldError]:
    """pydantic's ValidationError as [{field, reason}] with dotted field paths."""
    found = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "(record)"
        reason = item["msg"].removeprefix("Value error, ")
        found.append(FieldError(field=field, reason=reason))
    return found


# --- platform: companies, domains, admins, tokens, gateway -----------------------------

CompanyId = Annotated[str, StringConstraints(min_length=2, max_length=40,
                                             pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
HOST_PATTERN = (r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
Host = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253,
                                        pattern=HOST_PATTERN),
                 AfterValidator(str.lower)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _known_time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r}") from error
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=60),
                     AfterValidator(_known_time_zone)]


class CompanySettings(Strict):
    """Settings shared by create and update (update: every field optional)."""

    name: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=120)]] = None
    time_zone: Optional[TimeZone] = None
    currency: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]] = None
    oem_label: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                         max_length=40)]] = None
    web_access_owner: Optional[Literal["portal", "erp"]] = None
    auto_credentials: Optional[bool] = None
    credentials_delivery: Optional[Literal["password", "link"]] = None
    generated_password_days: Optional[Annotated[int, Field(ge=1, le=365)]] = None
    credentials_email_format: Optional[Annotated[str, StringConstraints(max_length=10_000)]] = None
    pages: Optional[Dict[PageKey, bool]] = None
    email_sender: Optional[Email] = None
    support_email: Optional[Email] = None
    support_phone: Optional[ShortText] = None
    statement_day: Optional[Annotated[int, Field(ge=1, le=28)]] = None


class CompanyCreate(CompanySettings):
    company_id: CompanyId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    primary_domain: Host


class CompanyUpdate(CompanySettings):
    pass


class PaymentMethodStatus(BaseModel):
    configured: bool
    environment: Literal["sandbox", "production"]


class CompanyOut(BaseModel):
    company_id: str
    name: str
    primary_domain: str
    domains: List[str] = []
    time_zone: str
    currency: str
    oem_label: str
    web_access_owner: str
    auto_credentials: bool
    credentials_delivery: str
    generated_password_days: int
    credentials_email_format: Optional[str] = None
    pages: Dict[str, bool]
    email_sender: Optional[str] = None
    support_email: Optional[str] = None
    support_phone: Optional[str] = None
    statement_day: Optional[int] = None
    active: bool
    payment_methods: Dict[str, PaymentMethodStatus] = {}
    created_at: datetime
    updated_at: datetime


class DomainCreate(Strict):
    host: Host
    primary: bool = False


class DnsRecordOut(BaseModel):
    name: str
    type: str
    value: str
    purpose: str


class DomainOut(BaseModel):
    host: str
    company_id: str
    primary: bool
    # What the operator creates in DNS (chalicelib/services/domain_setup.py).
    dns_records: List[DnsRecordOut] = []
    certificate_arn: Optional[str] = None
    certificate_status: Optional[str] = None
    api_gateway_target: Optional[str] = None
    notes: List[str] = []


class AdminCreate(Strict):
    email: Email
    name: Optional[ShortText] = None
    company_ids: Annotated[List[CompanyId], Field(min_length=1, max_length=50)]


class AdminOut(BaseModel):
    user_id: str
    email: str
    name: Optional[str] = None
    company_ids: List[str]
    created: bool
    email_sent: bool


class TokenCreate(Strict):
    scope: Literal["platform", "company"]
    company_id: Optional[CompanyId] = None
    label: Optional[ShortText] = None

    @model_validator(mode="after")
    def _company_matches_scope(self):
        if self.scope == "company" and not self.company_id:
            raise ValueError("a company token needs company_id")
        if self.scope == "platform" and self.company_id:
            raise ValueError("a platform token has no company_id")
        return self


class TokenInfo(BaseModel):
    token_id: str
    scope: str
    company_id: Optional[str] = None
    label: Optional[str] = None
    revoked: bool = False
    created_at: datetime
    last_used_at: Optional[datetime] = None


class TokenCreated(BaseModel):
    token_id: str
    token: str = Field(description="Shown once: only its SHA-256 is stored")
    scope: str
    company_id: Optional[str] = None
    label: Optional[str] = None
    created_at: datetime


class TokenList(BaseModel):
    tokens: List[TokenInfo]


class GatewayCredentialsIn(Strict):
    oid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    auth_token: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="Write-only: never returned or logged")
    environment: Literal["sandbox", "production"]

    def __repr__(self) -> str:  # never print the token
        return f"GatewayCredentialsIn(oid={self.oid!r}, environment={self.environment!r})"

    __str__ = __repr__


# --- feeds ------------------------------------------------------------------------------

class FeedPage(BaseModel):
    items: List[Dict[str, Any]]
    next_cursor: Optional[str] = None


class AckRequest(Strict):
    ids: Annotated[List[Key], Field(min_length=1, max_length=500)]


class AckResult(BaseModel):
    acknowledged: List[str]
    unknown: List[str]


class PdfUpload(Strict):
    pdf_base64: Annotated[str, StringConstraints(min_length=1)]


class ErrorBody(BaseModel):
    error: str
    message: str
    errors: List[FieldError] = []
