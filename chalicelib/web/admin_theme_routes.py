"""Dealer Administration → Theme: edit a draft, upload images to S3, preview, publish, restore."""

import functools
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from chalice import BadRequestError, Blueprint, NotFoundError

from .. import clock, config
from ..repositories import companies
from ..services import tenant
from ..services import theme as theme_service
from . import forms
from . import state as request_state
from .guards import administrator
from .pages import admin_page, page, redirect

bp = Blueprint(__name__)

NOTICES = {
    "saved": "Draft saved. Preview it, then publish it to make it live.",
    "image": "Image checked and added to the draft.",
    "removed": "Image removed from the draft.",
    "published": "Published: customers now see the new theme.",
    "restored": "The earlier theme is live again.",
}


def theme_admin(view):
    """Dealer Administration's guard (the managed company, "Select Dealer"), then that
    company read fresh: the tenant cache may be a minute old."""

    @functools.wraps(view)
    @administrator(bp)
    def wrapper(*args, **kwargs):
        state = request_state.of(bp.current_request)
        company = companies.get_company(state.managed_company.company_id, consistent=True)
        if company is None:
            raise NotFoundError("Page not found")
        return view(state, company, *args, **kwargs)

    return wrapper


def _upload_forms(state, company):
    """One presigned POST per image; S3 sends the browser back to /admin/theme/uploaded."""
    host = bp.current_request.headers.get("host", company.primary_domain)
    result = {}
    for kind in theme_service.IMAGE_KINDS:
        back = f"{config.url_scheme()}://{host}/admin/theme/uploaded?kind={kind}"
        result[kind] = theme_service.upload_form(company, kind, back)
    origins = {"{0.scheme}://{0.netloc}".format(urlsplit(f["url"])) for f in result.values()}
    state.form_targets.extend(sorted(origins))
    return result


def _editor(state, company, status=200, draft=None, errors=None, error=None, notice=None):
    draft = draft or theme_service.current_draft(company)
    images = {
        kind: theme_service.asset_url(getattr(draft, attr))
        for kind, (attr, _label) in theme_service.IMAGE_KINDS.items()
    }
    return admin_page(
        bp.current_request,
        "admin_theme.html",
        status=status,
        draft=draft,
        errors=errors or {},
        error=error,
        notice=notice,
        images=images,
        kinds=theme_service.IMAGE_KINDS,
        uploads=_upload_forms(state, company),
        oem_label=draft.oem_label or theme_service.live_oem_label(company),
        max_mb=theme_service.MAX_IMAGE_BYTES // 1024 // 1024,
        version=int(company.theme_version or 0),
        unpublished=theme_service.has_unpublished_changes(company),
        versions=theme_service.versions(company),
    )


@bp.route("/admin/theme", methods=["GET"])
@theme_admin
def editor(state, company):
    notice = NOTICES.get((bp.current_request.query_params or {}).get("notice"))
    return _editor(state, company, notice=notice)


@bp.route("/admin/theme", methods=["POST"], content_types=forms.FORM)
@theme_admin
def save(state, company):
    draft, errors = theme_service.draft_from_form(company, forms.parse(bp.current_request))
    if errors:
        return _editor(
            state,
            company,
            status=400,
            draft=draft,
            errors=errors,
            error="The draft was not saved. Correct the fields marked below.",
        )
    theme_service.save_draft(company, draft)
    return redirect("/admin/theme?notice=saved")


@bp.route("/admin/theme/uploaded", methods=["GET"])
@theme_admin
def uploaded(state, company):
    """S3's redirect after the upload: a form posting the key back (no change on GET)."""
    params = bp.current_request.query_params or {}
    kind, key = params.get("kind", ""), params.get("key", "")
    if kind not in theme_service.IMAGE_KINDS:
        raise NotFoundError("Page not found")
    return admin_page(
        bp.current_request,
        "admin_theme_uploaded.html",
        kind=kind,
        key=key[:200],
        label=theme_service.IMAGE_KINDS[kind][1],
    )


@bp.route("/admin/theme/image", methods=["POST"], content_types=forms.FORM)
@theme_admin
def add_image(state, company):
    form = forms.parse(bp.current_request)
    kind = form.get("kind", "")
    try:
        key = theme_service.accept_upload(company, kind, form.get("key", ""))
    except theme_service.ThemeError as refused:
        unavailable = isinstance(refused, theme_service.ThemeStoreUnavailable)
        return _editor(state, company, status=503 if unavailable else 400, error=str(refused))
    theme_service.set_image(company, kind, key)
    return redirect("/admin/theme?notice=image")


@bp.route("/admin/theme/image/remove", methods=["POST"], content_types=forms.FORM)
@theme_admin
def remove_image(state, company):
    kind = forms.parse(bp.current_request).get("kind", "")
    if kind not in theme_service.IMAGE_KINDS:
        raise BadRequestError("Unknown image.")
    theme_service.set_image(company, kind, None)
    return redirect("/admin/theme?notice=removed")


@bp.route("/admin/theme/preview", methods=["GET"])
@theme_admin
def preview(state, company):
    draft = theme_service.current_draft(company)
    return page(
        bp.current_request,
        "admin_theme_preview.html",
        theme=draft,
        managed=company,
        version=int(company.theme_version or 0),
        unpublished=theme_service.has_unpublished_changes(company),
    )


def _number(form, name) -> int:
    try:
        return int(form.get(name, ""))
    except ValueError:
        raise BadRequestError("This form is out of date. Reload the page and try again.") from None


def _published(state, company, action, notice):
    form = forms.parse(bp.current_request)
    now = datetime.fromtimestamp(clock.now(), UTC)
    try:
        action(form, now)
    except theme_service.ThemeError as refused:
        return _editor(state, company, status=409, error=str(refused))
    tenant.forget()  # this Lambda shows it at once; others within the tenant cache's minute
    return redirect(f"/admin/theme?notice={quote(notice)}")


@bp.route("/admin/theme/publish", methods=["POST"], content_types=forms.FORM)
@theme_admin
def publish(state, company):
    return _published(
        state,
        company,
        lambda form, now: theme_service.publish(company, _number(form, "version"), state.user.user_id, now),
        "published",
    )


@bp.route("/admin/theme/restore", methods=["POST"], content_types=forms.FORM)
@theme_admin
def restore(state, company):
    return _published(
        state,
        company,
        lambda form, now: theme_service.restore(
            company, _number(form, "restore"), _number(form, "version"), state.user.user_id, now
        ),
        "restored",
    )
