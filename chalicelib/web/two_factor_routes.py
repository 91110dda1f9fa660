"""Two-factor sign-in (chalicelib/services/two_factor.py has the rules):

GET/POST /sign-in/two-factor                 the challenge of a pending sign-in (no session yet)
GET      /preferences/two-factor             status; set-up (QR code, key); turn off
POST     /preferences/two-factor/setup       a new secret to scan
POST     /preferences/two-factor/confirm     first code: on, recovery codes shown once
POST     /sign-in/two-factor/passkey[/options] a passkey of the login instead of a code (JSON)
POST     /preferences/two-factor/disable     password + code: off
POST     /preferences/two-factor/recovery-codes  password + code: a new set, shown once
GET      /admin/customers/{no}/logins        the account's logins and whether they use it
POST     /admin/customers/{no}/logins/{id}/reset-two-factor
"""

import json
from urllib.parse import quote, urlencode

from chalice import Blueprint, NotFoundError, Response

from .. import clock
from ..repositories import admin_customers, users
from ..repositories import sessions as session_repo
from ..services import passkeys, security_notices, sessions
from . import cookies, forms
from . import state as request_state
from .admin_routes import customer_of_managed
from .guards import administrator, signed_in
from .pages import admin_page, page, redirect
from .security_routes import relying_party

bp = Blueprint(__name__)


def _two_factor():
    """The rules, imported at the first two-factor request: `import app` (cold start) skips them."""
    from ..services import two_factor

    return two_factor


PREFERENCE_NOTICES = {"disabled": "Two-factor sign-in is off."}


def _state():
    return request_state.of(bp.current_request)


# ---------------------------------------------------------------- the challenge
def _pending_secret():
    state = _state()
    return cookies.read(bp.current_request.headers, cookies.pending_name(state.path_prefix))


def _challenge(status=200, error=None, notice=None, expired=False, user=None):
    """`user`: the pending sign-in's login; offered a passkey if it has one for this host."""
    with_passkey = bool(user is not None and passkeys.for_host(user, relying_party(bp.current_request)))
    return page(
        bp.current_request,
        "two_factor_challenge.html",
        status=status,
        error=error,
        notice=notice,
        expired=expired,
        with_passkey=with_passkey,
    )


@bp.route("/sign-in/two-factor", methods=["GET"])
def challenge_form():
    two_factor = _two_factor()
    state = _state()
    if state.user is not None:
        return redirect("/")
    found = two_factor.pending(state.company, _pending_secret(), clock.now())
    if found is None:
        state.cookies.append(cookies.clear_pending_cookie(state.path_prefix))
        return _challenge(status=410, error=two_factor.EXPIRED, expired=True)
    notice = two_factor.DEVICE_FORGOTTEN if (bp.current_request.query_params or {}).get("notice") == "device" else None
    return _challenge(notice=notice, user=found[1])


@bp.route("/sign-in/two-factor", methods=["POST"], content_types=forms.FORM)
def challenge_submit():
    two_factor = _two_factor()
    state = _state()
    form = forms.parse(bp.current_request)
    request = bp.current_request
    client = sessions.Client(user_agent=request.headers.get("user-agent") or "", source_ip=state.source_ip)
    proven, error, status = two_factor.verify_pending(
        state.company,
        _pending_secret(),
        form.get("code", ""),
        clock.now(),
        state.source_ip,
        remember_device=form.get("remember") == "on",
        client=client,
    )
    if proven is None:
        expired = status == 410
        if expired:
            state.cookies.append(cookies.clear_pending_cookie(state.path_prefix))
            return _challenge(status=status, error=error, expired=True)
        # Asked again: the passkey stays on offer (one more read, on a refused code only).
        found = two_factor.pending(state.company, _pending_secret(), clock.now())
        return _challenge(status=status, error=error, user=found[1] if found else None)
    return redirect(_finish_proven(state, request, proven, client))


def _finish_proven(state, request, proven, client: "sessions.Client") -> str:
    """A second factor proven (code or passkey): the session and device cookies, the
    new-device e-mail as a sign-in without a second factor (web/auth_routes.py).  Where to go."""
    state.cookies.append(cookies.clear_pending_cookie(state.path_prefix))
    state.cookies.append(cookies.session_cookie(proven.started.cookie_value, state.path_prefix))
    if proven.device_secret:
        state.cookies.append(cookies.device_cookie(proven.device_secret, state.path_prefix))
    browser = security_notices.note_sign_in(
        state.company,
        proven.user,
        cookies.read(request.headers, cookies.browser_name(state.path_prefix)),
        client,
        clock.now(),
        vouched_by=proven.vouched_device,
    )
    state.cookies.append(cookies.browser_cookie(browser, state.path_prefix))
    if proven.user.must_change_password:
        return "/change-password"
    return proven.next_path


# ---------------------------------------------------------------- a passkey as the second factor
def _json(body: dict, status: int = 200) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers={"Content-Type": "application/json"})


@bp.route("/sign-in/two-factor/passkey/options", methods=["POST"], content_types=forms.FORM)
def passkey_factor_options():
    two_factor = _two_factor()
    state = _state()
    found = two_factor.pending(state.company, _pending_secret(), clock.now())
    if found is None:
        return _json({"error": two_factor.EXPIRED}, 410)
    options = passkeys.sign_in_options(state.company, relying_party(bp.current_request), clock.now(), user=found[1])
    return Response(body=options, status_code=200, headers={"Content-Type": "application/json"})


@bp.route("/sign-in/two-factor/passkey", methods=["POST"], content_types=forms.FORM)
def passkey_factor_submit():
    state = _state()
    request = bp.current_request
    form = forms.parse(request)
    client = sessions.Client(user_agent=request.headers.get("user-agent") or "", source_ip=state.source_ip)
    proven, error, status = passkeys.prove_second_factor(
        state.company,
        relying_party(request),
        _pending_secret(),
        form.get("credential", ""),
        client,
        clock.now(),
        remember_device=form.get("remember") == "on",
    )
    if proven is None:
        if status == 410:
            state.cookies.append(cookies.clear_pending_cookie(state.path_prefix))
        return _json({"error": error}, status)
    return _json({"redirect": _finish_proven(state, request, proven, client)})


# ---------------------------------------------------------------- preferences
def _preferences(status=200, error=None, notice=None, recovery_codes=None):
    two_factor = _two_factor()
    state = _state()
    user, company = state.user, state.company
    secret = None if two_factor.enrolled(user) else user.totp_pending_secret
    uri = two_factor.provisioning_uri(user, company, secret) if secret else None
    return page(
        bp.current_request,
        "two_factor.html",
        status=status,
        error=error,
        notice=notice,
        enrolled=two_factor.enrolled(user),
        forced=two_factor.must_enrol(company, user),
        required=two_factor.required(company, user),
        secret=secret,
        spaced_secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None,
        qr=two_factor.qr_svg_data_uri(uri) if uri else None,
        recovery_codes=recovery_codes,
        codes_left=len(user.recovery_code_hashes or ()),
        few_codes_left=two_factor.few_recovery_codes(user),
    )


@bp.route("/preferences/two-factor", methods=["GET"])
@signed_in(bp)
def preferences():
    notice = PREFERENCE_NOTICES.get((bp.current_request.query_params or {}).get("notice"))
    return _preferences(notice=notice)


@bp.route("/preferences/two-factor/setup", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def setup():
    two_factor = _two_factor()
    state = _state()
    if not two_factor.enrolled(state.user):
        two_factor.begin_enrolment(state.user)
    return redirect("/preferences/two-factor")


@bp.route("/preferences/two-factor/confirm", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def confirm():
    two_factor = _two_factor()
    state = _state()
    code = forms.parse(bp.current_request).get("code", "")
    result = two_factor.confirm_enrolment(state.user, state.company, code, clock.now(), state.source_ip)
    if result.error:
        return _preferences(status=400, error=result.error)
    # This sign-in has just proven the factor: a switch to another company carries it.
    session_repo.set_second_factor(state.session, "totp")
    state.user = users.get_user(state.user.user_id)
    return _preferences(notice="Two-factor sign-in is on.", recovery_codes=result.recovery_codes)


@bp.route("/preferences/two-factor/disable", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def disable():
    two_factor = _two_factor()
    state = _state()
    form = forms.parse(bp.current_request)
    error = two_factor.disable(
        state.user, state.company, form.get("password", ""), form.get("code", ""), clock.now(), state.source_ip
    )
    if error:
        return _preferences(status=400, error=error)
    return redirect("/preferences/two-factor?notice=disabled")


@bp.route("/preferences/two-factor/recovery-codes", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def renew_recovery_codes():
    two_factor = _two_factor()
    state = _state()
    form = forms.parse(bp.current_request)
    result = two_factor.renew_recovery_codes(
        state.user, state.company, form.get("password", ""), form.get("code", ""), clock.now(), state.source_ip
    )
    if result.error:
        return _preferences(status=400, error=result.error)
    return _preferences(
        notice="New recovery codes were made; the old ones no longer work.", recovery_codes=result.recovery_codes
    )


# ---------------------------------------------------------------- administrators
def _logins(customer):
    """(membership, user) of every login of this account of the managed company."""
    memberships = admin_customers.account_memberships(_state().managed_company.company_id, customer.customer_no)
    found = admin_customers.users_by_id(m.user_id for m in memberships)
    return [(m, found[m.user_id]) for m in memberships if m.user_id in found]


def _logins_page(customer, status=200, notice=None, error=None):
    return admin_page(
        bp.current_request,
        "admin/logins.html",
        status=status,
        customer=customer,
        logins=_logins(customer),
        notice=notice,
        error=error,
        back="/admin/customers?" + urlencode({"retrieve": "1", "number": customer.customer_no}),
    )


@bp.route("/admin/customers/{customer_no}/logins", methods=["GET"])
@administrator(bp)
def logins(customer_no):
    customer = customer_of_managed(customer_no)
    notice = {"reset": "Two-factor sign-in was reset; the login was told by e-mail."}.get(
        (bp.current_request.query_params or {}).get("notice")
    )
    return _logins_page(customer, notice=notice)


@bp.route(
    "/admin/customers/{customer_no}/logins/{user_id}/reset-two-factor", methods=["POST"], content_types=forms.FORM
)
@administrator(bp)
def reset(customer_no, user_id):
    two_factor = _two_factor()
    state = _state()
    customer = customer_of_managed(customer_no)
    # Only a login of this account of the managed company: anything else does not exist.
    target = next((user for _m, user in _logins(customer) if user.user_id == user_id), None)
    if target is None:
        raise NotFoundError("Page not found")
    if not two_factor.admin_reset(state.managed_company, state.user, target, state.source_ip):
        return _logins_page(customer, status=400, error="This login has no two-factor sign-in to reset.")
    return redirect(f"/admin/customers/{quote(customer.customer_no, safe='')}/logins?notice=reset")
