"""Accepting an invitation (/invite/{token}) and confirming an e-mail address.

Token pages send `Referrer-Policy: no-referrer`: the secret is in their URL.
"""

from chalice import Blueprint

from .. import clock
from ..services import invitations
from . import cookies, forms
from . import state as request_state
from .guards import signed_in
from .pages import page, redirect

bp = Blueprint(__name__)


def _problem(reason):
    """What the page says for an invitation that cannot be accepted (None: it can)."""
    return {
        invitations.UNKNOWN: "This invitation link is not valid. Check that you opened the whole link from the e-mail.",
        invitations.USED: "This invitation has already been accepted. Sign in with your e-mail "
        "address and the password you chose, or use “Forgot your password?”.",
        invitations.EXPIRED: "This invitation has expired: links work for 7 days.",
        invitations.REPLACED: "A newer invitation replaced this one: use the link in the most recent e-mail.",
    }.get(reason)


def _state():
    state = request_state.of(bp.current_request)
    state.referrer_policy = "no-referrer"
    return state


def _invite_page(found, status=200, error=None, name=""):
    return page(
        bp.current_request,
        "invite_accept.html",
        status=status,
        found=found,
        problem=_problem(found.problem),
        error=error,
        name=name,
    )


@bp.route("/invite/{secret}", methods=["GET"])
def invite_form(secret):
    state = _state()
    found = invitations.find(state.company, secret, clock.now())
    return _invite_page(found, status=410 if found.problem else 200, name=found.user.name or "" if found.user else "")


@bp.route("/invite/{secret}", methods=["POST"], content_types=forms.FORM)
def invite_accept(secret):
    state = _state()
    form = forms.parse(bp.current_request)
    found, error, started = invitations.accept(
        state.company,
        secret,
        form.get("name", ""),
        form.get("password", ""),
        form.get("confirm", ""),
        state.source_ip,
        clock.now(),
    )
    if found.problem:
        return _invite_page(found, status=410)
    if error:
        return _invite_page(found, status=400, error=error, name=form.get("name", "")[:100])
    state.cookies.append(cookies.session_cookie(started.cookie_value, state.path_prefix))
    return redirect("/?notice=welcome")


@bp.route("/confirm-email/{secret}", methods=["GET"])
def confirm_form(secret):
    state = _state()
    valid = invitations.confirmation(state.company, secret, clock.now()) is not None
    return page(bp.current_request, "confirm_email.html", status=200 if valid else 410, valid=valid, done=False)


@bp.route("/confirm-email/{secret}", methods=["POST"], content_types=forms.FORM)
def confirm_submit(secret):
    state = _state()
    done = invitations.confirm(state.company, secret, clock.now())
    return page(bp.current_request, "confirm_email.html", status=200 if done else 410, valid=done, done=done)


@bp.route("/preferences/confirm-email", methods=["POST"], content_types=forms.FORM)
@signed_in(bp)
def send_confirmation():
    state = request_state.of(bp.current_request)
    error = invitations.send_confirmation(state.company, state.user, clock.now())
    return page(
        bp.current_request,
        "preferences.html",
        status=400 if error else 200,
        error=error,
        forced=False,
        notice=None if error else f"We sent a confirmation link to {state.user.email}.",
    )
