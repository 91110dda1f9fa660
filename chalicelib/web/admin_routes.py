"""Dealer Administration (/admin): dealership staff manage their portal customers.

Every route is behind `guards.administrator`, which 404s for anyone who does not
administer the host's company and puts the selected company ("Select Dealer") on
`state.managed_company`.  Every read and write below is scoped to that company:
a customer number from a URL or a form is only ever looked up under it.
"""

from urllib.parse import quote, urlencode

from chalice import BadRequestError, Blueprint, NotFoundError

from .. import clock
from ..repositories import accounts, admin_customers, audit, dealers, paging
from ..services import admin, audit_view, credentials_email, invitations, portal_access, settings
from . import forms, params
from . import state as request_state
from .guards import OUT_OF_DATE_LINK, administrator
from .pages import admin_page, page, redirect

bp = Blueprint(__name__)

# The "Activated" drop-down (RIMSS shows activation and e-mail confirmation apart).
ACTIVATION_FILTER = {
    "active": "Yes",
    "invited": "Invited, not yet",
    "not_invited": "Not invited",
    "inactive": "Inactivated",
}


def _state():
    return request_state.of(bp.current_request)


def _query():
    return bp.current_request.query_params or {}


def _text(query, name, limit=80):
    return (query.get(name) or "").strip()[:limit]


# Which form field a validation message is about (by its words), so the page can mark that
# field invalid and link the message to it (templates/admin/_fields.html).
CREDENTIAL_FIELDS = (("password", "password"), ("user name", "user_name"), ("contact e-mail", "to"))
SETTINGS_FIELDS = (
    ("prices", "parts_price_display"),
    ("availability", "parts_qty_display"),
    ("dealer pages label", "oem_label"),
    ("e-mail format", "credentials_email_format"),
    ("service request link", "service_request_url"),
)


def _field_of(error, fields) -> str:
    lowered = (error or "").lower()
    return next((field for words, field in fields if words in lowered), "")


def _choice(query, name, allowed):
    value = query.get(name) or ""
    return value if value in allowed else ""


@bp.route("/admin", methods=["GET"])
@administrator(bp)
def admin_home():
    return redirect("/admin/customers")


@bp.route("/admin/select-dealer", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def select_dealer():
    state = _state()
    form = forms.parse(bp.current_request)
    if not admin.select(state.user, state.session, form.get("company_id", "")):
        raise NotFoundError("Page not found")
    return redirect("/admin/customers")


@bp.route("/admin/customers", methods=["GET"])
@administrator(bp)
def customers():
    from ..models.customer import PORTAL_STATUSES  # the model module loads on first use, not at `import app`

    state = _state()
    query = _query()
    filters = admin_customers.Filters(
        number=_text(query, "number", 40),
        name=_text(query, "cname"),
        location=_text(query, "location"),
        city=_text(query, "city"),
        erp_active=_choice(query, "erp", {"yes", "no"}),
        status=_choice(query, "status", set(ACTIVATION_FILTER) | set(PORTAL_STATUSES)),
        bounced=_choice(query, "bounced", {"yes", "no"}),
        confirmed=_choice(query, "confirmed", {"yes", "no"}),
    )
    listing = None
    if query.get("retrieve"):
        listing = admin_customers.retrieve(
            state.managed_company.company_id, _text(query, "name"), filters, query.get("after")
        )
    filtered = any(vars(filters).values())
    return admin_page(
        bp.current_request,
        "admin/customers.html",
        listing=listing,
        filters=filters,
        filtered=filtered,
        query=query,
        activation=ACTIVATION_FILTER,
        qs=params.query_string,
        notice=query.get("notice", "")[:200] or None,
    )


def customer_of_managed(customer_no: str):
    """The bill-to of a customer of the selected company, or 404."""
    customer = accounts.bill_to(_state().managed_company.company_id, (customer_no or "")[:40])
    if customer is None:
        raise NotFoundError("Page not found")
    return customer


def _partial() -> bool:
    """The JavaScript dialog asks for the bare fragment (no page around it)."""
    request = bp.current_request
    if request.query_params and request.query_params.get("partial") == "1":
        return True
    return request.method == "POST" and forms.parse(request).get("partial") == "1"


def _dialog(template: str, status: int = 200, **context):
    """An action's dialog: the bare fragment for the script, else a full admin page."""
    if _partial():
        return page(bp.current_request, template, status=status, managed=_state().managed_company, **context)
    return admin_page(
        bp.current_request, "admin/action_page.html", status=status, fragment=template, full_page=True, **context
    )


def _back(customer_no: str) -> str:
    return "/admin/customers?" + urlencode({"retrieve": "1", "number": customer_no})


# ------------------------------------------------------------- invitations
@bp.route("/admin/customers/{customer_no}/invite", methods=["GET"])
@administrator(bp)
def invite_dialog(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    return _dialog(
        "admin/_invite.html",
        customer=customer,
        outcome=None,
        choices=invitations.choices(state.managed_company.company_id, customer.customer_no),
        back=_back(customer.customer_no),
    )


@bp.route("/admin/customers/{customer_no}/invite", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def invite_send(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    form = forms.parse(bp.current_request)
    outcome = invitations.invite(
        state.managed_company,
        customer.customer_no,
        form.get("contact_id", "")[:80],
        state.user,
        state.source_ip,
        clock.now(),
    )
    choices = [] if outcome.ok else invitations.choices(state.managed_company.company_id, customer.customer_no)
    return _dialog(
        "admin/_invite.html",
        status=200 if outcome.ok else 400,
        customer=customer,
        outcome=outcome,
        choices=choices,
        back=_back(customer.customer_no),
    )


# ------------------------------------------------- inactivate / reactivate
def _access_dialog(customer_no, active: bool):
    state = _state()
    customer = customer_of_managed(customer_no)
    logins = admin_customers.account_memberships(state.managed_company.company_id, customer.customer_no)
    return _dialog(
        "admin/_access.html",
        customer=customer,
        active=active,
        logins=logins,
        outcome=None,
        back=_back(customer.customer_no),
    )


def _access_change(customer_no, active: bool):
    state = _state()
    customer = customer_of_managed(customer_no)
    message = portal_access.set_portal_access(
        state.managed_company, customer.customer_no, active, state.user, state.source_ip, clock.now()
    )
    return _dialog(
        "admin/_access.html",
        customer=customer,
        active=active,
        logins=[],
        outcome=message,
        back=_back(customer.customer_no),
    )


@bp.route("/admin/customers/{customer_no}/inactivate", methods=["GET"])
@administrator(bp)
def inactivate_dialog(customer_no):
    return _access_dialog(customer_no, False)


@bp.route("/admin/customers/{customer_no}/inactivate", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def inactivate(customer_no):
    return _access_change(customer_no, False)


@bp.route("/admin/customers/{customer_no}/reactivate", methods=["GET"])
@administrator(bp)
def reactivate_dialog(customer_no):
    return _access_dialog(customer_no, True)


@bp.route("/admin/customers/{customer_no}/reactivate", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def reactivate(customer_no):
    return _access_change(customer_no, True)


# -------------------------------------------------------------- web access
def _web_access_page(customer, form, status=200, error=None, notice=None):
    company = _state().managed_company
    return admin_page(
        bp.current_request,
        "admin/web_access.html",
        status=status,
        error_field=_field_of(error, CREDENTIAL_FIELDS),
        customer=customer,
        form=form,
        flags=portal_access.PAGE_FLAGS,
        read_only=portal_access.read_only_reason(company),
        error=error,
        notice=notice,
        back=_back(customer.customer_no),
        linked_dealers=accounts.linked_dealer_codes(company.company_id, customer.customer_no),
    )


@bp.route("/admin/customers/{customer_no}/web-access", methods=["GET"])
@administrator(bp)
def web_access_form(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    web = accounts.get_web_access(state.managed_company.company_id, customer.customer_no)
    notice = "Web access saved." if (_query().get("saved") == "1") else None
    return _web_access_page(customer, portal_access.WebAccessForm.of(web), notice=notice)


@bp.route("/admin/customers/{customer_no}/web-access", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def web_access_save(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    form = portal_access.WebAccessForm.parse(forms.parse(bp.current_request))
    error = portal_access.save_web_access(
        state.managed_company, customer.customer_no, form, state.user, state.source_ip, clock.now()
    )
    if error:
        form.password = ""
        return _web_access_page(customer, form, status=400, error=error)
    return redirect(f"/admin/customers/{quote(customer.customer_no)}/web-access?saved=1")


# ----------------------------------------------------------------- dealers
@bp.route("/admin/dealers", methods=["GET"])
@administrator(bp)
def dealer_list():
    state = _state()
    query = _query()
    listing = dealers.page_of_dealers(
        state.managed_company.company_id, _text(query, "code", 40), _text(query, "dname"), query.get("after")
    )
    return admin_page(bp.current_request, "admin/dealers.html", listing=listing, query=query, qs=params.query_string)


def _dealer_of_managed(dealer_code):
    dealer = dealers.get(_state().managed_company.company_id, (dealer_code or "")[:40])
    if dealer is None:
        raise NotFoundError("Page not found")
    return dealer


def _dealer_page(dealer, status=200, error=None, notice=None, warning=None):
    state = _state()
    company_id = state.managed_company.company_id
    find = _text(_query(), "find")
    linked = accounts.bill_tos(company_id, list(dealer.linked_customer_nos or []))
    access = {number: portal_access.access_type_of(company_id, number) for number in (dealer.linked_customer_nos or [])}
    found = admin_customers.find_customers(company_id, find) if find else []
    return admin_page(
        bp.current_request,
        "admin/dealer.html",
        status=status,
        dealer=dealer,
        linked=linked,
        access=access,
        found=found,
        find=find,
        error=error,
        notice=notice,
        warning=warning,
    )


@bp.route("/admin/dealers/{dealer_code}", methods=["GET"])
@administrator(bp)
def dealer_detail(dealer_code):
    dealer = _dealer_of_managed(dealer_code)
    query = _query()
    notice = {"linked": "Customer account linked.", "unlinked": "Link removed."}.get(query.get("done"))
    warning = None
    if query.get("warn"):
        warning = (
            f"Account {_text(query, 'warn', 40)} has access type "
            f"{_text(query, 'type', 10) or 'Retail'}: it will not see the dealer pages "
            "until its web access is set to Dealer."
        )
    return _dealer_page(dealer, notice=notice, warning=warning)


@bp.route("/admin/dealers/{dealer_code}/link", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def dealer_link(dealer_code):
    state = _state()
    dealer = _dealer_of_managed(dealer_code)
    customer = accounts.bill_to(
        state.managed_company.company_id, forms.parse(bp.current_request).get("customer_no", "")[:40]
    )
    if customer is None:
        return _dealer_page(dealer, status=400, error="Choose one of this company's customers.")
    dealers.link(dealer, customer.customer_no)
    audit.record(
        state.managed_company.company_id,
        "dealer_linked",
        actor=state.user.user_id,
        source_ip=state.source_ip,
        customer_no=customer.customer_no,
        dealer=dealer.dealer_code,
    )
    access_type = portal_access.access_type_of(state.managed_company.company_id, customer.customer_no)
    target = f"/admin/dealers/{quote(dealer.dealer_code)}?done=linked"
    if access_type != "Dealer":
        target += "&" + urlencode({"warn": customer.customer_no, "type": access_type})
    return redirect(target)


@bp.route("/admin/dealers/{dealer_code}/unlink", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def dealer_unlink(dealer_code):
    state = _state()
    dealer = _dealer_of_managed(dealer_code)
    customer_no = forms.parse(bp.current_request).get("customer_no", "")[:40]
    if customer_no not in (dealer.linked_customer_nos or []):
        raise NotFoundError("Page not found")
    dealers.unlink(dealer, customer_no)
    audit.record(
        state.managed_company.company_id,
        "dealer_unlinked",
        actor=state.user.user_id,
        source_ip=state.source_ip,
        customer_no=customer_no,
        dealer=dealer.dealer_code,
    )
    return redirect(f"/admin/dealers/{quote(dealer.dealer_code)}?done=unlinked")


# ---------------------------------------------------------------- settings
def _format_preview(company, text):
    """The format as a sample customer would receive it (nothing saved)."""
    if not text.strip():
        return None
    error = credentials_email.validate_format(text)
    if error:
        return {"error": error}
    original = company.credentials_email_format
    company.credentials_email_format = text
    try:
        subject, body, _html = credentials_email.render(company, "Sample Customer", "C12345", "W10085")
    except credentials_email.CredentialsEmailError as failure:
        return {"error": str(failure)}
    finally:
        company.credentials_email_format = original
    return {"subject": subject, "text": body}


def _settings_page(form, status=200, error=None, notice=None, preview=None):
    return admin_page(
        bp.current_request,
        "admin/settings.html",
        status=status,
        form=form,
        error_field=_field_of(error, SETTINGS_FIELDS),
        pages=settings.COMPANY_PAGES,
        prices=settings.PRICE_DISPLAY,
        quantities=settings.QTY_DISPLAY,
        error=error,
        notice=notice,
        service_modes=settings.SERVICE_MODES,
        two_factor_policies=settings.TWO_FACTOR_POLICIES,
        preview=preview,
    )


@bp.route("/admin/settings", methods=["GET"])
@administrator(bp)
def settings_form():
    notice = "Portal settings saved." if _query().get("saved") == "1" else None
    return _settings_page(settings.SettingsForm.of(_state().managed_company), notice=notice)


@bp.route("/admin/settings", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def settings_save():
    state = _state()
    raw = forms.parse(bp.current_request)
    form = settings.SettingsForm.parse(raw)
    if raw.get("action") == "preview":
        error = settings.validate(form, credentials_email.validate_format)
        return _settings_page(
            form,
            status=400 if error else 200,
            error=error,
            preview=None if error else _format_preview(state.managed_company, form.credentials_email_format),
        )
    error = settings.save(
        state.managed_company,
        form,
        state.user.user_id,
        state.source_ip,
        clock.now(),
        format_error=credentials_email.validate_format,
    )
    if error:
        return _settings_page(form, status=400, error=error)
    return redirect("/admin/settings?saved=1")


# --------------------------------------------------------------- audit log
@bp.route("/admin/audit", methods=["GET"])
@administrator(bp)
def audit_page():
    state = _state()
    query = _query()
    # A bad date range or page link re-renders the page (filters kept, message linked to
    # the dates), not a bare error page.
    error = None
    try:
        date_from, date_to = params.date_range(query)
        found = audit_view.events(
            state.managed_company,
            _text(query, "person", 254),
            _choice(query, "action", set(audit_view.ACTIONS)),
            date_from,
            date_to,
            query.get("after"),
        )
    except BadRequestError as failure:
        error = str(failure)
    except paging.BadCursor:
        error = OUT_OF_DATE_LINK
    if error:
        found = audit_view.AuditPage([], None, False)
    return admin_page(
        bp.current_request,
        "admin/audit.html",
        status=400 if error else 200,
        found=found,
        query=query,
        error=error,
        error_field="dates" if error and "date" in error.lower() else "",
        actions=audit_view.ACTIONS,
        qs=params.query_string,
    )


# ------------------------------------------------------ credentials e-mail
def _credentials_page(customer, status=200, error=None, notice=None, preview=None, to="", user_name="", password=""):
    state = _state()
    company_id = state.managed_company.company_id
    web = accounts.get_web_access(company_id, customer.customer_no)
    return admin_page(
        bp.current_request,
        "admin/credentials.html",
        status=status,
        error_field=_field_of(error, CREDENTIAL_FIELDS),
        customer=customer,
        error=error,
        notice=notice,
        preview=preview,
        emails=portal_access.contact_emails(company_id, customer.customer_no),
        to=to,
        user_name=user_name or (web.user_name if web and web.user_name else customer.customer_no),
        password=password or portal_access.new_first_password(),
        read_only=portal_access.read_only_reason(state.managed_company),
        back=_back(customer.customer_no),
    )


@bp.route("/admin/customers/{customer_no}/credentials", methods=["GET"])
@administrator(bp)
def credentials_form(customer_no):
    customer = customer_of_managed(customer_no)
    notice = "Credentials e-mail sent." if _query().get("sent") == "1" else None
    return _credentials_page(customer, notice=notice)


@bp.route("/admin/customers/{customer_no}/credentials", methods=["POST"], content_types=forms.FORM)
@administrator(bp)
def credentials_send(customer_no):
    state = _state()
    customer = customer_of_managed(customer_no)
    form = forms.parse(bp.current_request)
    to, user_name = form.get("to", "")[:254], form.get("user_name", "").strip()[:40]
    password = form.get("password", "")[:129]
    if portal_access.read_only_reason(state.managed_company):
        return _credentials_page(
            customer,
            status=400,
            to=to,
            user_name=user_name,
            error=portal_access.read_only_reason(state.managed_company),
        )
    if form.get("action") == "preview":
        try:
            subject, text, _html = credentials_email.render(
                state.managed_company, customer, user_name or customer.customer_no, password
            )
        except credentials_email.CredentialsEmailError as failure:
            return _credentials_page(
                customer, status=400, error=str(failure), to=to, user_name=user_name, password=password
            )
        return _credentials_page(
            customer, to=to, user_name=user_name, password=password, preview={"subject": subject, "text": text}
        )
    error = portal_access.send_credentials(
        state.managed_company, customer.customer_no, to, user_name, password, state.user, state.source_ip, clock.now()
    )
    if error:
        return _credentials_page(customer, status=400, error=error, to=to, user_name=user_name, password=password)
    return redirect(f"/admin/customers/{quote(customer.customer_no)}/credentials?sent=1")
