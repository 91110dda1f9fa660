"""Service requests (docs/service-requests.md): keys and queries of the `service-requests`
table.  Every state change is a conditional write, so a double click or a late ERP push
never undoes a newer state."""

from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from ..models import ServiceRequest
from . import paging
from .keys import account_pk

CONDITION_FAILED = "ConditionalCheckFailedException"
DRAFT = "draft"


def _conditional_failure(error) -> bool:
    return getattr(error, "cause_response_code", None) == CONDITION_FAILED


def id_bound(moment: datetime) -> str:
    """The smallest id minted at `moment` (ids start with 12 hex digits of ms)."""
    return f"{int(moment.timestamp() * 1000):012x}"


def create(request: ServiceRequest) -> bool:
    """Store a new request; False if the id exists (never overwrites)."""
    try:
        request.save(condition=ServiceRequest.order_id.does_not_exist())
        return True
    except PutError as error:
        if _conditional_failure(error):
            return False
        raise


def get(company_id: str, request_id: str) -> ServiceRequest | None:
    try:
        return ServiceRequest.get(company_id, request_id, consistent_read=True)
    except ServiceRequest.DoesNotExist:
        return None


def of_customer(company_id: str, customer_no: str, request_id: str) -> ServiceRequest | None:
    """The request if it belongs to this account, else None (another account's id is
    treated as unknown)."""
    request = get(company_id, request_id)
    if request is None or request.customer_pk != account_pk(company_id, customer_no):
        return None
    return request


def add_photo(request: ServiceRequest, key: str, max_photos: int) -> bool:
    """Append a checked photo while the request is a draft with room for it."""
    try:
        request.update(
            actions=[ServiceRequest.photo_keys.set(ServiceRequest.photo_keys.append([key]))],
            condition=(ServiceRequest.status == DRAFT) & ServiceRequest.photo_keys[max_photos - 1].does_not_exist(),
        )
        return True
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise


def submit(request: ServiceRequest, now: datetime) -> bool:
    """draft -> submitted, and into the ERP's feed; False if it was sent already."""
    try:
        request.update(
            actions=[
                ServiceRequest.status.set("submitted"),
                ServiceRequest.submitted_at.set(now),
                ServiceRequest.feed_company.set(request.company_id),
            ],
            condition=ServiceRequest.status == DRAFT,
        )
        return True
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise


def set_status(
    request: ServiceRequest,
    *,
    status: str,
    scheduled_date: str | None,
    work_order_no: str | None,
    note: str | None,
    updated_at: datetime,
) -> bool:
    """The ERP's status, written only over an older (or no) ERP update of a sent request."""
    actions: list[Action] = [ServiceRequest.status.set(status), ServiceRequest.erp_updated_at.set(updated_at)]
    for attribute, value in (
        (ServiceRequest.scheduled_date, scheduled_date),
        (ServiceRequest.work_order_no, work_order_no),
        (ServiceRequest.erp_note, note),
    ):
        actions.append(attribute.set(value) if value else attribute.remove())
    try:
        request.update(
            actions=actions,
            condition=(ServiceRequest.status != DRAFT)
            & (ServiceRequest.erp_updated_at.does_not_exist() | (ServiceRequest.erp_updated_at < updated_at)),
        )
        return True
    except UpdateError as error:
        if _conditional_failure(error):
            return False
        raise


def for_customer(company_id: str, customer_no: str, cursor: str | None, want: int = 25) -> paging.Page:
    """Index by_customer: customer_pk = C, newest first (ids are time-sortable)."""
    pk = account_pk(company_id, customer_no)
    start = paging.decode(
        cursor, hash_attr="customer_pk", hash_value=pk, allowed={"customer_pk", "company_id", "order_id"}
    )
    return paging.collect(
        lambda **page: ServiceRequest.by_customer.query(pk, scan_index_forward=False, **page),
        ServiceRequest.from_raw_data,
        start=start,
        want=want,
        max_calls=1,
    )


def for_company(
    company_id: str,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    status: str | None = None,
    customer_no: str | None = None,
    cursor: str | None = None,
    want: int = paging.DEFAULT_ROWS,
) -> paging.Page:
    """Administrators' list: table service-requests, company_id = C AND order_id BETWEEN
    the ids of the date range, newest first; status and customer are filter expressions
    (bounded by paging's call budget)."""
    low = id_bound(date_from) if date_from else "0"
    high = (id_bound(date_to) if date_to else "f" * 12) + "\uffff"
    condition = ServiceRequest.order_id.between(low, high)
    filters = None
    for part in (
        ServiceRequest.status == status if status else None,
        ServiceRequest.customer_no == customer_no if customer_no else None,
    ):
        if part is not None:
            filters = part if filters is None else filters & part
    start = paging.decode(cursor, hash_attr="company_id", hash_value=company_id, allowed={"company_id", "order_id"})
    key_of = (
        (lambda raw: {"company_id": raw["company_id"], "order_id": raw["order_id"]}) if filters is not None else None
    )
    return paging.collect(
        lambda **page: ServiceRequest.query(
            company_id, condition, filter_condition=filters, scan_index_forward=False, **page
        ),
        ServiceRequest.from_raw_data,
        start=start,
        want=want,
        key_of=key_of,
    )


def many(company_id: str, request_ids: list[str]) -> list[ServiceRequest]:
    keys = [(company_id, rid) for rid in dict.fromkeys(request_ids)][:100]
    return list(ServiceRequest.batch_get(keys)) if keys else []
