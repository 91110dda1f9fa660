"""Service requests (docs/service-requests.md): the company's mode, the form's rules, photos,
sending (e-mails, the ERP feed) and the ERP's status pushes.

A request is written as a `draft` once its form passes; photos are then uploaded straight
to the private documents bucket with a presigned POST and checked after upload the way
theme images are (size, and type by the first bytes, chalicelib/services/theme.py); "Send"
moves it to `submitted`, into the ERP's feed, and queues the two e-mails.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from .. import aws, clock, config
from ..email import EmailError, Outbox
from ..email import send as send_email
from ..ids import new_id
from ..models import Company, ServiceRequest
from ..repositories import keys
from ..repositories import service_requests as repo
from .theme import IMAGE_TYPES, describe_refused, image_type

BUILTIN, LINK, OFF = "builtin", "link", "off"
MODES = {
    BUILTIN: "Built-in service request form",
    LINK: "Link to our own service-request website",
    OFF: "Off (no service requests in the portal)",
}
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
UPLOAD_SECONDS = 30 * 60
UPLOAD_PREFIX = "service-requests/uploads/"  # unchecked; expire after a day (infra/resources.py)
PHOTO_PREFIX = "service-requests/photos/"
PRESIGN_SECONDS = 300
TIME_WINDOWS = {"any": "Any time", "morning": "Morning (8 am – noon)", "afternoon": "Afternoon (noon – 5 pm)"}
OTHER = "other"  # the equipment choice "another appliance"
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
LATEST_DAYS = 365  # a preferred date at most a year ahead
RANGE_DAYS = 60  # preferred dates span at most this many days
# What the ERP may push (the customer sees the label).
ERP_STATUSES = {
    "received": "Received",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
LABELS = dict(ERP_STATUSES, draft="Not sent yet", submitted="Sent")
PHONE_CHARS = re.compile(r"^[0-9 +().\-/]+$")


class ServiceRequestError(Exception):
    """Input the customer must correct; the message says how."""


class PhotoStoreUnavailable(ServiceRequestError):
    """S3 did not answer while a photo was checked: nothing changed, try again."""


def mode(company: Company) -> str:
    """The company's choice; unset: the saved link if any, else off."""
    chosen = company.service_requests
    if chosen in MODES:
        return chosen
    return LINK if company.service_request_url else OFF


def status_label(request: ServiceRequest) -> str:
    label = LABELS.get(request.status, (request.status or "").replace("_", " ").capitalize())
    if request.status == "scheduled" and request.scheduled_date:
        day = date.fromisoformat(request.scheduled_date)
        label = f"Scheduled for {day.strftime('%a %b')} {day.day}, {day.year}"
    return label


def equipment_text(request: ServiceRequest) -> str:
    parts = [p for p in (request.equipment_brand, request.equipment_model) if p]
    if request.equipment_serial:
        parts.append(f"serial {request.equipment_serial}")
    return " ".join(parts) or "—"


# ------------------------------------------------------------------ the form


@dataclass
class RequestForm:
    equipment: str = ""
    brand: str = ""
    model: str = ""
    serial: str = ""
    description: str = ""
    location_id: str = ""
    date_from: str = ""
    date_to: str = ""
    time_window: str = "any"
    phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: dict) -> "RequestForm":
        return cls(
            equipment=_line(form.get("equipment"), 60),
            brand=_line(form.get("brand"), 61),
            model=_line(form.get("model"), 61),
            serial=_line(form.get("serial"), 61),
            description=_text(form.get("description"), DESCRIPTION_MAX + 1),
            location_id=_line(form.get("location_id"), 60),
            date_from=_line(form.get("date_from"), 10),
            date_to=_line(form.get("date_to"), 10),
            time_window=_line(form.get("time_window"), 20) or "any",
            phone=_line(form.get("phone"), 31),
        )


def _text(value, limit: int) -> str:
    """Plain text: control characters dropped, newlines kept."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")[: limit * 2]
    kept = "".join(ch for ch in value if ch == "\n" or unicodedata.category(ch)[0] != "C")
    return kept.strip()[:limit]


def _line(value, limit: int) -> str:
    return _text(value, limit).replace("\n", " ")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def validate(form: RequestForm, *, units: list, locations: list, today: date) -> RequestForm:
    """Fill `form.errors` (field -> message shown next to it)."""
    errors = form.errors
    serials = {unit.serial_no for unit in units}
    if form.equipment != OTHER and form.equipment not in serials:
        errors["equipment"] = "Choose one of your appliances, or “Another appliance” and describe it."
    if form.equipment == OTHER:
        if not form.brand:
            errors["brand"] = "Enter the appliance's brand (for example Whirlpool)."
        for name, label in (("brand", "Brand"), ("model", "Model"), ("serial", "Serial number")):
            if len(getattr(form, name)) > 60:
                errors[name] = f"{label}: at most 60 characters."
    if len(form.description) < DESCRIPTION_MIN:
        errors["description"] = (
            f"Describe the problem in at least {DESCRIPTION_MIN} characters (what happens, since when)."
        )
    elif len(form.description) > DESCRIPTION_MAX:
        errors["description"] = f"The description is limited to {DESCRIPTION_MAX:,} characters."
    if locations and form.location_id not in {loc.location_id for loc in locations}:
        errors["location_id"] = "Choose the site where the appliance is."
    first = _day(form.date_from)
    if first is None:
        errors["date_from"] = "Enter the first date that suits you (YYYY-MM-DD)."
    elif first < today:
        errors["date_from"] = f"{first.isoformat()} is in the past; choose today ({today.isoformat()}) or later."
    elif first > today + timedelta(days=LATEST_DAYS):
        errors["date_from"] = "Choose a date within the next 12 months."
    if form.date_to:
        last = _day(form.date_to)
        if last is None:
            errors["date_to"] = "Enter the last date that suits you (YYYY-MM-DD), or leave it empty."
        elif first is not None and last < first:
            errors["date_to"] = "The last date cannot be before the first date."
        elif first is not None and last > first + timedelta(days=RANGE_DAYS):
            errors["date_to"] = f"Choose dates within {RANGE_DAYS} days of the first date."
        elif last < today:
            errors["date_to"] = f"{last.isoformat()} is in the past."
    if form.time_window not in TIME_WINDOWS:
        errors["time_window"] = "Choose a time window."
    digits = re.sub(r"\D", "", form.phone)
    if not form.phone:
        errors["phone"] = "Enter a phone number we can reach you on."
    elif not PHONE_CHARS.match(form.phone) or not 7 <= len(digits) <= 15 or len(form.phone) > 30:
        errors["phone"] = "Enter a phone number of 7 to 15 digits (for example 555-123-4567)."
    return form


def create_draft(
    company: Company, customer_no: str, user, form: RequestForm, *, units: list, locations: list, now: datetime
) -> ServiceRequest:
    """Store the checked form as a draft (photos may follow); the caller validated it."""
    unit = next((u for u in units if u.serial_no == form.equipment), None)
    location = next((loc for loc in locations if loc.location_id == form.location_id), None)
    request = ServiceRequest(
        company.company_id,
        new_id(),
        customer_pk=keys.account_pk(company.company_id, customer_no),
        customer_no=customer_no,
        user_id=user.user_id,
        status=repo.DRAFT,
        equipment_on_file=unit is not None,
        equipment_serial=(unit.serial_no if unit else form.serial) or None,
        equipment_brand=(unit.make if unit else form.brand) or None,
        equipment_model=(unit.model if unit else form.model) or None,
        description=form.description,
        location_id=location.location_id if location else None,
        location_name=(location.location_name or location.location_id) if location else None,
        preferred_date=form.date_from,
        preferred_date_to=form.date_to or None,
        time_window=form.time_window,
        contact_name=user.name or None,
        contact_phone=form.phone,
        contact_email=user.email or None,
        photo_keys=[],
        created_at=now,
    )
    if not repo.create(request):
        raise ServiceRequestError("The request could not be saved. Please send the form again.")
    return request


# ------------------------------------------------------------------ photos


def upload_form(request: ServiceRequest, redirect_url: str, s3=None) -> dict:
    """A presigned POST of one photo into the documents bucket: {"url", "fields"}."""
    s3 = s3 or aws.client("s3")
    key = f"{UPLOAD_PREFIX}{request.company_id}/{request.order_id}/{new_id()}"
    return aws.presigned_upload(s3, config.documents_bucket(), key, redirect_url, MAX_PHOTO_BYTES, UPLOAD_SECONDS)


def upload_key_is_ours(request: ServiceRequest, key: str) -> bool:
    return bool(
        re.fullmatch(
            rf"{UPLOAD_PREFIX}{re.escape(request.company_id)}/"
            rf"{re.escape(request.order_id)}/[0-9a-f]{{24}}",
            key or "",
        )
    )


STORE_UNAVAILABLE = (
    "The photo store is not answering right now, so the photo was not added. Please try again in a minute."
)


def add_photo(request: ServiceRequest, upload_key: str, s3=None) -> str:
    """Check the uploaded object and keep a copy under its content hash; returns its key.

    The unchecked upload stays under `UPLOAD_PREFIX`, which the bucket expires after a day
    (the web function may not delete documents)."""
    if request.status != repo.DRAFT:
        raise ServiceRequestError("This request was sent already; photos cannot be added now.")
    if len(request.photo_keys or []) >= MAX_PHOTOS:
        raise ServiceRequestError(f"A request can have at most {MAX_PHOTOS} photos.")
    if not upload_key_is_ours(request, upload_key):
        raise ServiceRequestError("This upload is not valid. Choose the photo and upload it again.")
    s3 = s3 or aws.client("s3")
    bucket = config.documents_bucket()
    try:
        size = s3.head_object(Bucket=bucket, Key=upload_key)["ContentLength"]
        if size > MAX_PHOTO_BYTES:
            raise ServiceRequestError(
                f"The photo is {size / 1024 / 1024:.1f} MB; photos are limited to "
                f"{MAX_PHOTO_BYTES // 1024 // 1024} MB each. Choose a smaller photo."
            )
        if size == 0:
            raise ServiceRequestError("The file is empty. Choose a photo.")
        body = s3.get_object(Bucket=bucket, Key=upload_key)["Body"].read(MAX_PHOTO_BYTES + 1)
        if len(body) > MAX_PHOTO_BYTES:
            raise ServiceRequestError(f"Photos are limited to {MAX_PHOTO_BYTES // 1024 // 1024} MB each.")
        extension = image_type(body[:16])
        if extension is None:
            raise ServiceRequestError(describe_refused(body[:4096]).replace("image", "photo"))
        digest = hashlib.sha256(body).hexdigest()[:32]
        key = f"{PHOTO_PREFIX}{request.company_id}/{request.order_id}/{digest}.{extension}"
        if key in (request.photo_keys or []):
            raise ServiceRequestError("This photo is attached already.")
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=IMAGE_TYPES[extension])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "403", "NoSuchKey", "NotFound", "AccessDenied"}:
            raise ServiceRequestError("The photo did not arrive. Choose it and upload it again.") from None
        raise PhotoStoreUnavailable(STORE_UNAVAILABLE) from error
    except BotoCoreError as error:
        raise PhotoStoreUnavailable(STORE_UNAVAILABLE) from error
    if not repo.add_photo(request, key, MAX_PHOTOS):
        raise ServiceRequestError(f"A request can have at most {MAX_PHOTOS} photos, and only before it is sent.")
    return key


def photo_url(request: ServiceRequest, index: int, s3=None) -> str | None:
    """A presigned GET (≤ 5 minutes) of photo `index` (1-based); the caller checked access."""
    keys = list(request.photo_keys or [])
    if not 1 <= index <= len(keys):
        return None
    key = keys[index - 1]
    extension = key.rsplit(".", 1)[-1]
    return (s3 or aws.client("s3")).generate_presigned_url(
        "get_object",
        ExpiresIn=PRESIGN_SECONDS,
        Params={
            "Bucket": config.documents_bucket(),
            "Key": key,
            "ResponseContentType": IMAGE_TYPES.get(extension, "application/octet-stream"),
        },
    )


# ------------------------------------------------------------------ sending


@dataclass
class Sent:
    sent_now: bool  # False: it had been sent before (a double click)
    mail_problems: list[str] = field(default_factory=list)


def submit(company: Company, request: ServiceRequest, *, now: datetime, outbox: Outbox | None = None) -> Sent:
    """Send a draft: into the ERP's feed, then the confirmation to the customer and the
    notification to the service department.  A repeat sends nothing twice."""
    if not repo.submit(request, now):
        return Sent(False)
    request.status, request.submitted_at = "submitted", now
    problems = []
    context = {
        "request": request,
        "equipment": equipment_text(request),
        "time_window": TIME_WINDOWS.get(request.time_window, ""),
        "photo_count": len(request.photo_keys or []),
        "reference": request.order_id.upper(),
    }
    recipients = [(request.contact_email, "service_request_received")]
    if company.service_email:
        recipients.append((company.service_email, "service_request_new"))
    for to, template in recipients:
        if not to:
            continue
        try:
            send_email(company, to, template, outbox=outbox, **context)
        except EmailError as error:  # the request is sent; only an e-mail is missing
            problems.append(f"{template}: {error}")
    return Sent(True, problems)


# ------------------------------------------------------------------ the ERP


class StatusError(ValueError):
    """A status push the ERP must correct (400)."""


def push_status(company: Company, request_id: str, body) -> dict | None:
    """The ERP's status of one sent request.  None: unknown (or unsent) id."""
    request = repo.get(company.company_id, request_id)
    if request is None or request.status == repo.DRAFT:
        return None
    if body.status == "scheduled" and not body.scheduled_date:
        raise StatusError("scheduled_date is required when status is scheduled.")
    updated = body.updated_at
    scheduled = body.scheduled_date.isoformat() if body.scheduled_date else None
    work_order = body.work_order_no.strip().upper() if body.work_order_no else None
    if request.erp_updated_at and request.erp_updated_at >= updated:
        outcome = "skipped_stale"
    elif repo.set_status(
        request,
        status=body.status,
        scheduled_date=scheduled,
        work_order_no=work_order,
        note=body.note,
        updated_at=updated,
    ):
        outcome = "updated"
    else:
        outcome = "skipped_stale"
    stored = repo.get(company.company_id, request_id)
    if stored is None:  # read above and never deleted; if it were gone, it is unknown
        return None
    return {
        "request_id": stored.order_id,
        "status": stored.status,
        "scheduled_date": stored.scheduled_date,
        "work_order_no": stored.work_order_no,
        "outcome": outcome,
    }


def feed_item(request: ServiceRequest, s3=None) -> dict:
    """What the ERP's service-requests feed hands out for one request."""
    return {
        "order_id": request.order_id,
        "customer_no": request.customer_no,
        "user_id": request.user_id,
        "equipment_serial": request.equipment_serial,
        "equipment_brand": request.equipment_brand,
        "equipment_model": request.equipment_model,
        "equipment_on_file": bool(request.equipment_on_file),
        "description": request.description,
        "location_id": request.location_id,
        "preferred_date": request.preferred_date,
        "preferred_date_to": request.preferred_date_to,
        "time_window": request.time_window,
        "contact_name": request.contact_name,
        "contact_phone": request.contact_phone,
        "contact_email": request.contact_email,
        "photo_urls": [photo_url(request, n, s3) for n in range(1, len(request.photo_keys or []) + 1)],
        "submitted_at": request.submitted_at.isoformat() if request.submitted_at else None,
        "created_at": request.created_at.isoformat() if request.created_at else None,
    }


def today(company: Company) -> date:
    zone = clock.zone(company.time_zone)
    return clock.utcnow().astimezone(zone).date()
