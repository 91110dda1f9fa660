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
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

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

from . import kinds
from .kinds import FEEDS, MAX_BATCH_BYTES, MAX_PDF_BYTES, MAX_RECORDS  # noqa: F401 (re-exported)

MAX_DOLLARS = Decimal("1000000000")  # a billion dollars: anything larger is a typo

# --- field types -------------------------------------------------------------------------

MONEY_PATTERN = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


def to_cents(value: Any) -> int:
    """Dollars (decimal string or number) -> integer cents, exactly."""
    if isinstance(value, bool) or value is None:
        raise ValueError('must be an amount in dollars, e.g. "12.50"')
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest decimal that round-trips the float
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not MONEY_PATTERN.match(text):
            raise ValueError('must be a decimal amount in dollars with at most 2 decimals, e.g. "12.50"')
        amount = Decimal(text)
    else:
        raise ValueError('must be an amount in dollars, e.g. "12.50"')
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if abs(amount) >= MAX_DOLLARS:
        raise ValueError("is too large")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("has more than 2 decimal places")
    return int(cents)


Money = Annotated[
    int,
    BeforeValidator(to_cents),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN.pattern},
                {"type": "number", "minimum": -999999999.99, "maximum": 999999999.99},
            ],
            "description": "Amount in dollars (decimal string or number, at most 2 decimals)",
        }
    ),
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UpdatedAt = Annotated[
    datetime,
    AfterValidator(_utc),
    Field(description="The ERP's time of this change (ISO-8601). An older change never overwrites a newer one."),
]

# Natural keys are embedded in DynamoDB keys as `company#key`: no '#', no control chars.
KEY_PATTERN = re.compile(r"^[^#\x00-\x1f\x7f]+$")


def _plain_key(value: str) -> str:
    if not KEY_PATTERN.match(value):
        raise ValueError("must not contain '#' or control characters")
    return value


Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_plain_key),
    Field(json_schema_extra={"pattern": KEY_PATTERN.pattern}),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Quantity = Annotated[int, Field(ge=0, le=10_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- ERP records ------------------------------------------------------------------------


class Location(Strict):
    location_id: Key
    name: ShortText | None = None
    address: Text | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    postal_code: ShortText | None = None
    phone: ShortText | None = None


class ContactIn(Strict):
    contact_id: Key
    name: ShortText | None = None
    email: ShortText | None = Field(None, description="Stored as given; invalid addresses are skipped when e-mailing")
    phone: ShortText | None = None
    role: ShortText | None = None
    primary: bool = False


PageKey = Literal[
    "orders",
    "history",
    "account",
    "account_history",
    "purchases",
    "equipment",
    "statements",
    "payments",
    "service",
    "dealer_orders",
    "dealer_history",
    "parts",
    "open_parts",
    "search_all",
]
PAGE_KEYS = get_args(PageKey)


class WebAccessIn(Strict):
    """Portal-side settings: applied only when the company's web_access_owner is "erp"."""

    access_type: Literal["Retail", "Dealer"] | None = None
    search_all: bool | None = None
    pages: dict[PageKey, bool] | None = None
    user_name: Key | None = None
    portal_active: bool | None = None


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
    price_level: ShortText | None = Field(
        None, description=('The parts price level this customer pays (a key of the parts\' prices); none: "list"')
    )
    charge_to_account: bool = Field(
        False, description=("May charge parts orders to the account (when the company offers it)")
    )
    terms_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    address: Text | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    postal_code: ShortText | None = None
    phone: ShortText | None = None
    locations: Annotated[
        list[Location],
        Field(
            max_length=200, description=('Location "MAIN" is the bill-to; without it the top-level address fields are')
        ),
    ] = []
    contacts: Annotated[list[ContactIn], Field(max_length=100)] = []
    web_access: WebAccessIn | None = None

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
    linked_customer_nos: Annotated[list[Key], Field(max_length=100)] = []
    updated_at: UpdatedAt


class InvoiceLineIn(Strict):
    line_no: Annotated[int, Field(ge=1, le=100_000)]
    part_no: Key | None = None
    description: Text | None = None
    qty_ordered: Quantity = 0
    qty_shipped: Quantity = 0
    qty_backordered: Quantity = 0
    price: Money = 0
    extension: Money | None = Field(None, description="Defaults to qty_ordered × price")
    expected_on: date | None = None


class InvoiceRecord(Strict):
    invoice_no: Key
    customer_no: Key
    location_id: Key | None = Field(None, description='Defaults to "MAIN" (the bill-to)')
    invoice_date: date
    due_date: date | None = None
    state: Literal["open", "closed"]
    status: ShortText | None = None
    status_dates: dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], date] = {}
    po_number: ShortText | None = None
    ship_to: Text | None = None
    dealer_code: Key | None = None
    equipment_serial: Key | None = None
    lines: Annotated[list[InvoiceLineIn], Field(max_length=1000)] = []
    subtotal: Money
    tax: Money
    total: Money
    balance: Money
    applied_payment_ids: Annotated[list[Key], Field(max_length=200)] = []
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
    reference: ShortText | None = None
    amount: Money
    open_amount: Money | None = Field(
        None,
        description=(
            "Credit memos and payments only: the part not yet applied to any invoice (a "
            "positive amount, at most the entry's). It lowers the balance due until the ERP "
            "applies it; send the entry again with 0 once it is applied."
        ),
    )
    updated_at: UpdatedAt

    @model_validator(mode="after")
    def _open_amount_fits(self):
        if self.open_amount:
            if self.kind not in ("payment", "credit"):
                raise ValueError("open_amount is for payment and credit entries only")
            if self.open_amount < 0 or self.amount >= 0 or self.open_amount > -self.amount:
                raise ValueError(
                    "open_amount must be between 0 and the credit's amount (a credit's amount is negative)"
                )
        return self


class StatementRecord(Strict):
    customer_no: Key
    statement_date: date
    balance: Money
    updated_at: UpdatedAt


PART_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,39}$")


def _part_no(value: str) -> str:
    if not PART_NO.match(value):
        raise ValueError(
            "a part number is 1-40 letters, digits, spaces, dots, slashes or dashes, starting with a letter or digit"
        )
    return value.upper()


PartNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), AfterValidator(_part_no)]


class BranchQuantity(Strict):
    branch: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    ]
    qty: Annotated[int, Field(ge=-10_000_000, le=10_000_000)]


PART_EXAMPLE: dict[str, Any] = {
    "part_no": "IGN-220",
    "description": "Oven bake igniter (flat style)",
    "unit": "EA",
    "pack_qty": 1,
    "prices": {"list": "110.00", "dealer": "88.00"},
    "branches": [{"branch": "MAIN", "qty": 9}, {"branch": "EAST", "qty": 5}],
    "superseded_by": None,
    "alternates": ["IGN-221"],
    "discontinued": False,
    "core_charge": "0.00",
    "updated_at": "2026-11-20T08:00:00Z",
}


class PartRecord(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [PART_EXAMPLE]})

    part_no: PartNo
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)] = Field(
        "EA", description=("Unit of measure (EA, PK, FT...)")
    )
    pack_qty: Annotated[int, Field(ge=1, le=9999, description=("Sold in multiples of this quantity"))] = 1
    prices: dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Money] = Field(
        {},
        description='Price per level in dollars: "list" and any level the ERP uses '
        "(customers' price_level); level names are not case-sensitive",
    )
    qty_available: Annotated[int, Field(ge=-10_000_000, le=10_000_000)] = Field(
        0, description="Total on hand; when branches are sent, their sum is used"
    )
    branches: Annotated[list[BranchQuantity], Field(max_length=50)] = Field(
        [], description="Quantity on hand per branch (branch code + quantity)"
    )
    superseded_by: PartNo | None = Field(None, description="The replacing part number")
    alternates: Annotated[list[PartNo], Field(max_length=20)] = []
    discontinued: bool = False
    core_charge: Money = Field(0, description="Refundable core deposit in dollars (not negative)")
    updated_at: UpdatedAt

    @field_validator("core_charge")
    @classmethod
    def _core_charge_not_negative(cls, value):
        if value < 0:
            raise ValueError("a core charge cannot be negative")
        return value

    @field_validator("prices")
    @classmethod
    def _few_levels(cls, value):
        if len(value) > 20:
            raise ValueError("at most 20 price levels")
        if any(cents < 0 for cents in value.values()):
            raise ValueError("a price cannot be negative")
        lowered = {level.strip().lower() for level in value}
        if len(lowered) != len(value):
            raise ValueError("a price level appears twice (level names ignore case)")
        return {level.strip().lower(): cents for level, cents in value.items()}

    @field_validator("branches")
    @classmethod
    def _branches_unique(cls, value):
        codes = [b.branch.upper() for b in value]
        if len(set(codes)) != len(codes):
            raise ValueError("a branch appears twice")
        return value

    @model_validator(mode="after")
    def _not_itself(self):
        if self.superseded_by == self.part_no:
            raise ValueError("a part cannot be superseded by itself")
        if self.core_charge < 0:
            raise ValueError("core_charge cannot be negative")
        return self


class PartsOrderStatusRecord(Strict):
    """The ERP's word on a parts order (admin API `parts-order-status`)."""

    order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    status: Literal["received", "picking", "shipped", "backordered", "invoiced", "cancelled"]
    carrier: ShortText | None = None
    tracking_no: ShortText | None = None
    backordered_lines: Annotated[list["BackorderedLine"], Field(max_length=500)] = []
    invoice_no: Key | None = None
    note: Text | None = None
    updated_at: UpdatedAt

    @model_validator(mode="after")
    def _what_each_status_needs(self):
        if self.status == "shipped" and not (self.carrier and self.tracking_no):
            raise ValueError("a shipped order needs carrier and tracking_no")
        if self.status == "invoiced" and not self.invoice_no:
            raise ValueError("an invoiced order needs invoice_no")
        if self.status == "backordered" and not self.backordered_lines:
            raise ValueError("a back-ordered status needs backordered_lines")
        return self


class BackorderedLine(Strict):
    part_no: PartNo
    qty: Annotated[int, Field(ge=1, le=10_000_000)]


PartsOrderStatusRecord.model_rebuild()


class EquipmentRecord(Strict):
    customer_no: Key
    serial_no: Key
    make: ShortText | None = None
    model: ShortText | None = None
    description: Text | None = None
    location_id: Key | None = None
    purchased_on: date | None = None
    installed_on: date | None = None
    warranty_ends_on: date | None = None
    invoice_nos: Annotated[list[Key], Field(max_length=200)] = []
    updated_at: UpdatedAt


class AchSettlementRecord(Strict):
    payment_id: Key
    outcome: Literal["settled", "returned"]
    reason: ShortText | None = None
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
    part_no: PartNo
    updated_at: UpdatedAt


class EquipmentDelete(Strict):
    customer_no: Key
    serial_no: Key
    updated_at: UpdatedAt


class Kind:
    """One batch kind: its record model, its delete model (None: no deletes), its key."""

    def __init__(self, name: str, record: type[Strict], delete: type[Strict] | None, key: Callable[[dict], str]):
        self.name, self.record, self.delete, self.key = name, record, delete, key


def _get(*fields: str) -> Callable[[dict], str]:
    """Natural key of a record (validated or raw dict): fields joined by '/'."""

    def key(record) -> str:
        values = [record.get(f) if isinstance(record, dict) else getattr(record, f, None) for f in fields]
        return "/".join("" if v is None else str(v) for v in values)

    return key


# kinds.KINDS with its model names resolved to the classes above.
KINDS: dict[str, Kind] = {
    name: Kind(name, globals()[spec.record], globals()[spec.delete] if spec.delete else None, _get(*spec.key))
    for name, spec in kinds.KINDS.items()
}


# --- batch envelope and answer ---------------------------------------------------------


class FieldError(BaseModel):
    field: str
    reason: str


Outcome = Literal["created", "updated", "unchanged", "skipped_stale", "rejected", "deleted"]


class RecordResult(BaseModel):
    index: int
    key: str
    outcome: Outcome
    errors: list[FieldError] = []
    ignored_fields: list[str] = []
    warnings: list[str] = []


class BatchSummary(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_stale: int = 0
    rejected: int = 0
    deleted: int = 0


class BatchResult(BaseModel):
    results: list[RecordResult]
    summary: BatchSummary


@functools.cache
def batch_model(record: type[BaseModel]) -> type[BaseModel]:
    """The request body of a batch: `{"records": [...]}` (records are validated one by one)."""
    return type(
        f"{record.__name__}Batch",
        (Strict,),
        {
            # A model built per record class at run time (mypy cannot follow a variable type).
            "__annotations__": {
                "records": Annotated[
                    list[record],  # type: ignore[valid-type]
                    Field(min_length=1, max_length=MAX_RECORDS),
                ]
            },
            "__doc__": f"Up to {MAX_RECORDS} records and {MAX_BATCH_BYTES // 1024 // 1024} MB a "
            "request; each record is validated and written on its own.",
        },
    )


def validation_errors(error) -> list[FieldError]:
    """pydantic's ValidationError as [{field, reason}] with dotted field paths."""
    found = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "(record)"
        reason = item["msg"].removeprefix("Value error, ")
        found.append(FieldError(field=field, reason=reason))
    return found


# --- platform: companies, domains, admins, tokens, gateway -----------------------------

CompanyId = Annotated[str, StringConstraints(min_length=2, max_length=40, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
HOST_PATTERN = (
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
Host = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=253, pattern=HOST_PATTERN),
    AfterValidator(str.lower),
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _known_time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r}") from error
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=60), AfterValidator(_known_time_zone)]


class CompanySettings(Strict):
    """Settings shared by create and update (update: every field optional)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    time_zone: TimeZone | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    oem_label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    web_access_owner: Literal["portal", "erp"] | None = None
    auto_credentials: bool | None = None
    credentials_delivery: Literal["password", "link"] | None = None
    generated_password_days: Annotated[int, Field(ge=1, le=365)] | None = None
    credentials_email_format: Annotated[str, StringConstraints(max_length=10000)] | None = None
    pages: dict[PageKey, bool] | None = None
    email_sender: Email | None = None
    support_email: Email | None = None
    support_phone: ShortText | None = None
    statement_day: Annotated[int, Field(ge=1, le=28)] | None = None


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
    domains: list[str] = []
    time_zone: str
    currency: str
    oem_label: str
    web_access_owner: str
    auto_credentials: bool
    credentials_delivery: str
    generated_password_days: int
    credentials_email_format: str | None = None
    pages: dict[str, bool]
    email_sender: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    statement_day: int | None = None
    active: bool
    payment_methods: dict[str, PaymentMethodStatus] = {}
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
    dns_records: list[DnsRecordOut] = []
    certificate_arn: str | None = None
    certificate_status: str | None = None
    api_gateway_target: str | None = None
    notes: list[str] = []


class AdminCreate(Strict):
    email: Email
    name: ShortText | None = None
    company_ids: Annotated[list[CompanyId], Field(min_length=1, max_length=50)]


class AdminOut(BaseModel):
    user_id: str
    email: str
    name: str | None = None
    company_ids: list[str]
    created: bool
    email_sent: bool


class TokenCreate(Strict):
    scope: Literal["platform", "company"]
    company_id: CompanyId | None = None
    label: ShortText | None = None

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
    company_id: str | None = None
    label: str | None = None
    revoked: bool = False
    created_at: datetime
    last_used_at: datetime | None = None


class TokenCreated(BaseModel):
    token_id: str
    token: str = Field(description="Shown once: only its SHA-256 is stored")
    scope: str
    company_id: str | None = None
    label: str | None = None
    created_at: datetime


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class GatewayCredentialsIn(Strict):
    oid: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    auth_token: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="Write-only: never returned or logged"
    )
    environment: Literal["sandbox", "production"]

    def __repr__(self) -> str:  # never print the token
        return f"GatewayCredentialsIn(oid={self.oid!r}, environment={self.environment!r})"

    __str__ = __repr__


# --- feeds ------------------------------------------------------------------------------


class FeedPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class AckRequest(Strict):
    ids: Annotated[list[Key], Field(min_length=1, max_length=500)]


class AckResult(BaseModel):
    acknowledged: list[str]
    unknown: list[str]


class ServiceRequestStatusIn(Strict):
    """The ERP's status of one service request (the customer sees it at once)."""

    status: Literal["received", "scheduled", "in_progress", "completed", "cancelled"]
    scheduled_date: date | None = Field(None, description="The visit date; required when status is scheduled")
    work_order_no: Key | None = Field(
        None,
        description="The ERP's work order (an invoice number): the customer's request links to it in Current Orders",
    )
    note: Text | None = Field(None, description="Shown to the customer")
    updated_at: UpdatedAt


class ServiceRequestStatusOut(BaseModel):
    request_id: str
    status: str
    scheduled_date: str | None = None
    work_order_no: str | None = None
    outcome: Literal["updated", "skipped_stale"]


class PdfUpload(Strict):
    pdf_base64: Annotated[str, StringConstraints(min_length=1)]


class ErrorBody(BaseModel):
    error: str
    message: str
    errors: list[FieldError] = []
