"""Service requests (docs/service-requests.md): the customer's built-in form, photos, list and
detail; Dealer Administration's list and detail.  Rules in services/service_requests.py.

Customer pages need the menu's "service" item, which exists only when the company chose the
built-in form (services/menu.py); another account's request id answers 404 like an unknown one.
"""

import functools
import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from chalice import BadRequestError, Blueprint, NotFoundError, Response

from .. import clock, config
from ..repositories import accounts, paging
from ..repositories import service_requests as repo
from ..services import account as account_service
from ..services import service_requests as service
from . import forms, params
from . import state as request_state
from .customer_routes import customer_page
from .guards import administrator
from .pages import admin_page, page, redirect

bp = Blueprint(__name__)
REQUEST_ID = re.compile(r"^[0-9a-f]{24}$")
NOTICES = {
    "photo": "Photo checked and added.",
    "sent": "Your service request was sent. We e-mailed you a confirmation.",
    "resent": "This request had been sent already.",
}


def _request():
    return bp.current_request


def _own(state, request_id):
    found = (
        repo.of_customer(state.account.company_id, state.account.customer_no, request_id)
        if REQUEST_ID.match(request_id or "")
        else None
    )
    if found is None:
        raise NotFoundError("Page not found")
    return found


def _choices(state):
    """The account's equipment (1 Query) and sites (the bill-to's list, read with the request
    context; a Query only for a bill-to written before that list existed)."""
    account = state.account
    units = account_service.equipment(account.company_id, account.customer_no)
    locations = accounts.account_locations(account.company_id, account.customer_no, account.locations)
    return ([unit.equipment for unit in units], locations)


def _form_page(state, form, status=200, error=None, choices=None):
    units, locations = choices or _choices(state)
    return page(
        _request(),
        "service_request_new.html",
        status=status,
        form=form,
        units=units,
        locations=locations,
        windows=service.TIME_WINDOWS,
        today=service.today(state.company).isoformat(),
        error=error,
        other=service.OTHER,
    )


@bp.route("/service-requests", methods=["GET"])
@customer_page("service")
def request_list(state):
    query = _query()
    listing = repo.for_customer(state.account.company_id, state.account.customer_no, query.get("after"))
    return page(
        _request(),
        "service_requests.html",
        listing=listing,
        query=query,
        qs=params.query_string,
        label=service.status_label,
        equipment=service.equipment_text,
    )


@bp.route("/service-requests/new", methods=["GET"])
@customer_page("service")
def new_request(state):
    choices = _choices(state)
    wanted = params.text(_query(), "serial") or ""
    form = service.RequestForm(equipment=wanted if any(u.serial_no == wanted for u in choices[0]) else "")
    return _form_page(state, form, choices=choices)


@bp.route("/service-requests/new", methods=["POST"], content_types=forms.FORM)
@customer_page("service")
def create_request(state):
    form = service.RequestForm.parse(forms.parse(_request()))
    choices = units, locations = _choices(state)
    service.validate(form, units=units, locations=locations, today=service.today(state.company))
    if form.errors:
        return _form_page(
            state,
            form,
            status=400,
            error="The request was not saved. Correct the fields marked below.",
            choices=choices,
        )
    try:
        created = service.create_draft(
            state.company,
            state.account.customer_no,
            state.user,
            form,
            units=units,
            locations=locations,
            now=clock.utcnow(),
        )
    except service.ServiceRequestError as refused:
        return _form_page(state, form, status=409, error=str(refused), choices=choices)
    return redirect(f"/service-requests/{created.order_id}")


def _detail(state, found, status=200, error=None, notice=None):
    upload = None
    if found.status == repo.DRAFT and len(found.photo_keys or []) < service.MAX_PHOTOS:
        host = _request().headers.get("host", state.company.primary_domain)
        back = f"{config.url_scheme()}://{host}{state.path_prefix}/service-requests/{found.order_id}/photo-uploaded"
        upload = service.upload_form(found, back)
        state.form_targets.append("{0.scheme}://{0.netloc}".format(urlsplit(upload["url"])))
    work_order = None
    if found.work_order_no:
        from ..services import orders

        work_order = orders.invoice_for_customer(
            state.account.company_id, state.account.customer_no, found.work_order_no
        )
    return page(
        _request(),
        "service_request.html",
        status=status,
        found=found,
        upload=upload,
        error=error,
        notice=notice,
        label=service.status_label(found),
        equipment=service.equipment_text(found),
        window=service.TIME_WINDOWS.get(found.time_window or "", ""),
        max_photos=service.MAX_PHOTOS,
        max_mb=service.MAX_PHOTO_BYTES // 1024 // 1024,
        work_order=work_order,
    )


@bp.route("/service-requests/{request_id}", methods=["GET"])
@customer_page("service")
def request_detail(state, request_id):
    return _detail(state, _own(state, request_id), notice=NOTICES.get(_query().get("notice")))


@bp.route("/service-requests/{request_id}/photo-uploaded", methods=["GET"])
@customer_page("service")
def photo_uploaded(state, request_id):
    """S3's redirect after the upload: a form posting the key back (no change on GET)."""
    found = _own(state, request_id)
    return page(_request(), "service_request_uploaded.html", found=found, key=(_query().get("key") or "")[:200])


@bp.route("/service-requests/{request_id}/photos", methods=["POST"], content_types=forms.FORM)
@customer_page("service")
def add_photo(state, request_id):
    found = _own(state, request_id)
    try:
        service.add_photo(found, forms.parse(_request()).get("key", ""))
    except service.ServiceRequestError as refused:
        unavailable = isinstance(refused, service.PhotoStoreUnavailable)
        return _detail(
            state, repo.get(found.company_id, found.order_id), status=503 if unavailable else 400, error=str(refused)
        )
    return redirect(f"/service-requests/{found.order_id}?notice=photo")


@bp.route("/service-requests/{request_id}/send", methods=["POST"], content_types=forms.FORM)
@customer_page("service")
def send_request(state, request_id):
    found = _own(state, request_id)
    if found.status != repo.DRAFT:
        return redirect(f"/service-requests/{found.order_id}?notice=resent")
    sent = service.submit(state.company, found, now=clock.utcnow())
    if sent.mail_problems:
        from ..logs import logger

        logger.warning(
            "service request e-mail not queued", extra={"request_id": found.order_id, "problems": sent.mail_problems}
        )
    return redirect(f"/service-requests/{found.order_id}?notice={'sent' if sent.sent_now else 'resent'}")


def _photo(found, number) -> Response:
    try:
        index = int(number)
    except ValueError:
        index = 0
    url = service.photo_url(found, index) if len(number) < 3 else None
    if url is None:
        raise NotFoundError("Page not found")
    return redirect(url, status=302)


@bp.route("/service-requests/{request_id}/photos/{number}", methods=["GET"])
@customer_page("service")
def request_photo(state, request_id, number):
    return _photo(_own(state, request_id), number)


def _query():
    return _request().query_params or {}


# ------------------------------------------------------------ Dealer Administration


def admin_only(view):
    @functools.wraps(view)
    @administrator(bp)
    def wrapper(*args, **kwargs):
        state = request_state.of(_request())
        try:
            return view(state, state.managed_company, *args, **kwargs)
        except paging.BadCursor:
            raise BadRequestError("This page link is out of date.") from None

    return wrapper


def _day_bound(day, company, end: bool):
    if not day:
        return None
    moment = datetime.combine(date.fromisoformat(day), time.max if end else time.min, clock.zone(company.time_zone))
    return moment.astimezone(UTC)


def _statuses() -> list:
    return ["draft", "submitted"] + list(service.ERP_STATUSES)


@bp.route("/admin/service-requests", methods=["GET"])
@admin_only
def admin_list(state, company):
    query = _query()
    date_from = params.iso_date(query, "from", "From date")
    date_to = params.iso_date(query, "to", "To date")
    status = query.get("status") if query.get("status") in _statuses() else None
    customer = (params.text(query, "customer") or "").upper() or None
    listing = repo.for_company(
        company.company_id,
        date_from=_day_bound(date_from, company, False),
        date_to=_day_bound(date_to, company, True),
        status=status,
        customer_no=customer,
        cursor=query.get("after"),
    )
    return admin_page(
        _request(),
        "admin/service_requests.html",
        listing=listing,
        query=query,
        statuses=_statuses(),
        labels=service.LABELS,
        qs=params.query_string,
        label=service.status_label,
        equipment=service.equipment_text,
        mode=service.mode(company),
        modes=service.MODES,
    )


def _admin_request(company, request_id):
    found = repo.get(company.company_id, request_id) if REQUEST_ID.match(request_id or "") else None
    if found is None:
        raise NotFoundError("Page not found")
    return found


@bp.route("/admin/service-requests/{request_id}", methods=["GET"])
@admin_only
def admin_detail(state, company, request_id):
    found = _admin_request(company, request_id)
    return admin_page(
        _request(),
        "admin/service_request.html",
        found=found,
        label=service.status_label(found),
        equipment=service.equipment_text(found),
        window=service.TIME_WINDOWS.get(found.time_window or "", ""),
    )


@bp.route("/admin/service-requests/{request_id}/photos/{number}", methods=["GET"])
@admin_only
def admin_photo(state, company, request_id, number):
    return _photo(_admin_request(company, request_id), number)
