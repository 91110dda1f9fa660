"""Sign-in, sign-out, forgotten and changed passwords."""

from chalice import Blueprint

from .. import clock
from ..services import auth, password_reset, security_notices, sessions
from . import cookies, forms
from . import state as request_state
from .guards import signed_in
from .pages import page, redirect, safe_next

bp = Blueprint(__name__)


def _state():
    return request_state.of(bp.current_request)


@bp.route("/login", methods=["GET"])
def login_form():
    state = _state()
    if state.user is not None:
        next_path = (bp.current_request.query_params or {}).get("next")
        return redirect(safe_next(next_path, bp.current_app))
    params = bp.current_request.query_params or {}
    notice = {
        "reset": "Your password has been changed. Sign in with the new one.",
        "signed-out": "You have signed out.",
    }.get(params.get("notice"))
    return page(
        bp.current_request,
        "login.html",
        next=safe_next(params.get("next"), bp.current_app),
        login="",
        error=None,
        notice=notice,
    )


@bp.route("/login", methods=["POST"], content_types=forms.FORM)
def login_submit():
    request = bp.current_request
    state = _state()
    form = forms.parse(request)
    next_path = safe_next(form.get("next"), bp.current_app)
    client = sessions.Client(user_agent=request.headers.get("user-agent") or "", source_ip=state.source_ip)
    result = auth.sign_in(
        state.company,
        form.get("login", ""),
        form.get("password", ""),
        state.source_ip,
        clock.now(),
        next_path=next_path,
        device_secret=cookies.read(request.headers, cookies.device_name(state.path_prefix)),
        client=client,
    )
    if not result.ok:
        return page(
            request,
            "login.html",
            status=result.status,
            error=result.error,
            login=form.get("login", "")[:254],
            next=safe_next(form.get("next"), bp.current_app),
            notice=None,
        )
    return redirect(finish_sign_in(state, request, result, next_path, client))


def finish_sign_in(state, request, result, next_path: str, client: "sessions.Client") -> str:
    """After any successful sign-in (password, password and second factor, passkey): end this browser's older session
    here, set the session and device cookies, e-mail the login if the device is new
    (chalicelib/services/security_notices.py).  Returns where to go."""
    if state.session is not None:  # the sign-in this browser had here ends on the server
        auth.sign_out(state.session)
    if result.clear_device:
        state.cookies.append(cookies.clear_device_cookie(state.path_prefix))
    if result.pending_secret:  # the second factor next (web/two_factor_routes.py); no session
        if state.session is not None:
            state.cookies.append(cookies.clear_session_cookie(state.path_prefix))
        state.cookies.append(cookies.pending_cookie(result.pending_secret, state.path_prefix))
        return "/sign-in/two-factor" + ("?notice=device" if result.notice else "")
    state.cookies.append(cookies.session_cookie(result.started.cookie_value, state.path_prefix))
    browser = security_notices.note_sign_in(
        state.company,
        result.user,
        cookies.read(request.headers, cookies.browser_name(state.path_prefix)),
        client,
        clock.now(),
    )
    state.cookies.append(cookies.browser_cookie(browser, state.path_prefix))
    if result.user.must_change_password:
        return "/change-password"
    return next_path


@bp.route("/logout", methods=["POST"], content_types=forms.FORM)
def logout():
    state = _state()
    if state.session is not None:
        auth.sign_out(state.session)
    state.cookies.append(cookies.clear_session_cookie(state.path_prefix))
    return redirect("/login?notice=signed-out")


@bp.route("/forgot-password", methods=["GET"])
def forgot_form():
    return page(bp.current_request, "forgot_password.html", sent=False)


@bp.route("/forgot-password", methods=["POST"], content_types=forms.FORM)
def forgot_submit():
    state = _state()
    form = forms.parse(bp.current_request)
    password_reset.request(state.company, form.get("email", ""), state.source_ip, clock.now())
    # The same answer whether or not the address is known, or the request was over a limit.
    return page(bp.current_request, "forgot_password.html", sent=True)


@bp.route("/reset-password/{secret}", methods=["GET"])
def reset_form(secret):
    state = _state()
    state.referrer_policy = "no-referrer"  # the token is in this page's URL
    valid = auth.valid_reset_token(state.company, secret, clock.now()) is not None
    return page(bp.current_request, "reset_password.html", status=200 if valid else 410, valid=valid, error=None)


@bp.route("/reset-password/{secret}", methods=["POST"], content_types=forms.FORM)
def reset_submit(secret):
    state = _state()
    state.referrer_policy = "no-referrer"
    form = forms.parse(bp.current_request)
    error = auth.reset_password(state.company, secret, form.get("password", ""), form.get("confirm", ""), clock.now())
    if error:
        valid = auth.valid_reset_token(state.company, secret, clock.now()) is not None
        return page(bp.current_request, "reset_password.html", status=400 if valid else 410, valid=valid, error=error)
    return redirect("/login?notice=reset")


@bp.route("/change-password", methods=["GET"])
@signed_in(bp)
def change_form():
    return page(bp.current_request, "change_password.html", error=None, forced=_state().user.must_change_password)


def _password_field(error: str) -> str:
    """Which field of the change-password form an error of auth.change_password is about."""
    if error == auth.CURRENT_PASSWORD_WRONG:
        return "current"
    if error == auth.PASSWORDS_DIFFER:
        return "confirm"
    return "password"


@bp.route("/change-password", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def change_submit():
    state = _state()
    form = forms.parse(bp.current_request)
    error, started = auth.change_password(
        state.company,
        state.user,
        state.session,
        form.get("current", ""),
        form.get("password", ""),
        form.get("confirm", ""),
        clock.now(),
    )
    if error:  # the same form again (passwords are never sent back), the field marked
        template = "preferences.html" if form.get("return_to") == "preferences" else "change_password.html"
        return page(
            bp.current_request,
            template,
            status=400,
            forced=state.user.must_change_password,
            error="Your password was not changed: correct the field marked below.",
            field_errors={_password_field(error): error},
        )
    state.cookies.append(cookies.session_cookie(started.cookie_value, state.path_prefix))
    return redirect("/?notice=password-changed")
