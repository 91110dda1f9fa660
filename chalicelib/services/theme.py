"""A company's branding: the draft an administrator edits, its checks, publishing and rollback.

Images go from the browser straight to S3 through a presigned POST (an upload
key under `uploads/`), then `accept_upload` checks the stored object itself
(size, and type by its first bytes: moto does not enforce a POST policy, and a
policy says nothing about what the bytes are) and copies it to a content-hashed
key under `assets/`, cached for a year: a new image is a new URL.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from .. import aws, colors, config
from ..ids import new_id
from ..models import Company, Theme
from ..repositories import audit, themes

MAX_IMAGE_BYTES = 2 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60  # the editor page may stay open a while before the admin uploads
CACHE_FOREVER = "public, max-age=31536000, immutable"
ASSET_PREFIX = "assets/"
UPLOAD_PREFIX = "uploads/"
# kind -> (Theme attribute, label shown to the administrator)
IMAGE_KINDS = {
    "logo": ("logo_key", "Logo"),
    "home_image": ("home_image_key", "Home-page image"),
    "favicon": ("favicon_key", "Favicon"),
}
# content type, extension by magic bytes (WebP: "RIFF" <size> "WEBP")
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
WELCOME_MAX = 600
OEM_LABEL_MAX = 40
THEME_FIELDS = (
    "primary_color",
    "accent_color",
    "logo_key",
    "home_image_key",
    "favicon_key",
    "welcome_text",
    "oem_label",
)


class ThemeError(Exception):
    """Input the administrator must correct; the message says how."""


class ThemeStoreUnavailable(ThemeError):
    """S3 did not answer while an image was checked; nothing changed, the upload is kept."""


STORE_UNAVAILABLE = (
    "The image store is not answering right now, so the image was not added "
    "and your theme is unchanged. Please try again in a minute."
)
# S3's answers to a missing or unreadable upload (HeadObject has no body: bare codes).
UPLOAD_MISSING_CODES = {"404", "403", "NoSuchKey", "NotFound", "AccessDenied"}


def _upload_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in UPLOAD_MISSING_CODES


# ------------------------------------------------------------------ drafts


def current_draft(company: Company) -> Theme:
    """The draft being edited, or a copy of the published theme when there is none.

    Its `oem_label` is None unless the draft changes the live label (which Portal
    settings may also edit): publishing then leaves the live label alone.
    """
    source = company.theme_draft or company.theme or Theme()
    values = {name: getattr(source, name, None) for name in THEME_FIELDS}
    if values.get("oem_label") == live_oem_label(company):
        values["oem_label"] = None
    return Theme(**values)


def live_oem_label(company: Company) -> str:
    return company.oem_label or "OEM"


def has_unpublished_changes(company: Company) -> bool:
    if company.theme_draft is None:
        return False
    live = company.theme or Theme()
    draft = current_draft(company)
    return draft.oem_label is not None or any(
        getattr(draft, name, None) != getattr(live, name, None) for name in THEME_FIELDS if name != "oem_label"
    )


@dataclass
class ColorCheck:
    ok: bool
    ratio: float
    message: str | None = None


def check_primary(color: str) -> ColorCheck:
    """The primary colour carries header/button text (white or near-black, whichever reads
    better) and is itself the colour of links and outlined buttons on the page background."""
    on_it = colors.contrast(color, colors.text_on(color))
    as_text = colors.contrast(color, colors.PAGE_BACKGROUND)
    if as_text >= colors.AA_TEXT:
        return ColorCheck(True, min(on_it, as_text))

    def passes(candidate):
        return colors.contrast(candidate, colors.PAGE_BACKGROUND) >= colors.AA_TEXT

    return ColorCheck(
        False,
        as_text,
        _refusal(
            "Primary colour",
            color,
            f"as link text on the page background ({colors.PAGE_BACKGROUND})",
            as_text,
            colors.suggest(color, passes),
            lambda c: colors.contrast(c, colors.PAGE_BACKGROUND),
        ),
    )


def check_accent(color: str) -> ColorCheck:
    """The accent colour carries text drawn on it (white or near-black)."""
    text = colors.text_on(color)
    ratio = colors.contrast(color, text)
    if ratio >= colors.AA_TEXT:
        return ColorCheck(True, ratio)

    def passes(candidate):
        return colors.contrast(candidate, colors.text_on(candidate)) >= colors.AA_TEXT

    return ColorCheck(
        False,
        ratio,
        _refusal(
            "Accent colour",
            color,
            f"with {'white' if text == '#ffffff' else 'dark'} text on it",
            ratio,
            colors.suggest(color, passes),
            lambda c: colors.contrast(c, colors.text_on(c)),
        ),
    )


def _refusal(label, color, where, ratio, suggestion, measure) -> str:
    message = (
        f"{label} {color} {where} has a contrast ratio of {ratio:.2f}:1; WCAG AA needs at least {colors.AA_TEXT}:1."
    )
    if suggestion:
        message += f" Try {suggestion} ({measure(suggestion):.2f}:1)."
    return message


def _plain_text(value: str | None, limit: int, *, single_line: bool) -> str:
    """Plain text only: control characters dropped (newlines kept unless single_line)."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in value if ch == "\n" and not single_line or unicodedata.category(ch)[0] != "C")
    return re.sub(r"\n{3,}", "\n\n", kept).strip()[: limit + 1]


def draft_from_form(company: Company, form: dict) -> tuple[Theme, dict[str, str]]:
    """The edited draft and the errors per field (empty when it may be saved)."""
    draft = current_draft(company)
    errors = {}
    for field, label, check in (
        ("primary_color", "Primary colour", check_primary),
        ("accent_color", "Accent colour", check_accent),
    ):
        raw = (form.get(field) or "").strip()
        color = colors.normalise(raw)
        if color is None:
            errors[field] = f"{label}: enter a colour as #RRGGBB (for example #1f4e79)."
            setattr(draft, field, raw[:20])
            continue
        setattr(draft, field, color)
        result = check(color)
        if not result.ok:
            errors[field] = result.message or ""  # a failed check always says why
    welcome = _plain_text(form.get("welcome_text"), WELCOME_MAX, single_line=False)
    if len(welcome) > WELCOME_MAX:
        errors["welcome_text"] = f"The welcome text is limited to {WELCOME_MAX} characters."
    draft.welcome_text = welcome[:WELCOME_MAX] or None
    label = _plain_text(form.get("oem_label"), OEM_LABEL_MAX, single_line=True)
    if not label:
        errors["oem_label"] = "Enter the OEM label (for example “Dealer”)."
    elif len(label) > OEM_LABEL_MAX:
        errors["oem_label"] = f"The OEM label is limited to {OEM_LABEL_MAX} characters."
    label = label[:OEM_LABEL_MAX]
    draft.oem_label = label if label and label != live_oem_label(company) else None
    return draft, errors


def save_draft(company: Company, draft: Theme) -> None:
    themes.save_draft(company, draft)
    company.theme_draft = draft


# ------------------------------------------------------------------ images


def upload_form(company: Company, kind: str, redirect_url: str, s3=None) -> dict:
    """A presigned POST for one image: {"url", "fields"}; S3 redirects to `redirect_url`."""
    if kind not in IMAGE_KINDS:
        raise ThemeError("Unknown image.")
    s3 = s3 or aws.client("s3")
    key = f"{UPLOAD_PREFIX}{company.company_id}/{kind}/{new_id()}"
    return aws.presigned_upload(s3, config.theme_bucket(), key, redirect_url, MAX_IMAGE_BYTES, UPLOAD_SECONDS)


def upload_key_is_ours(company: Company, kind: str, key: str) -> bool:
    return bool(re.fullmatch(rf"{UPLOAD_PREFIX}{re.escape(company.company_id)}/{kind}/[0-9a-f]{{24}}", key or ""))


def image_type(head: bytes) -> str | None:
    """The extension of a PNG, JPEG or WebP file from its first bytes, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def describe_refused(head: bytes) -> str:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<svg", b"<?xml")) or b"<svg" in head[:2048].lower():
        return "SVG images are not accepted (they can carry scripts). Upload a PNG, JPEG or WebP image."
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF images are not accepted. Upload a PNG, JPEG or WebP image."
    return "This file is not a PNG, JPEG or WebP image, whatever its name says. Upload a PNG, JPEG or WebP image."


def accept_upload(company: Company, kind: str, upload_key: str, s3=None) -> str:
    """Check the uploaded object and store it under its content hash; returns the asset key.

    The upload is deleted whatever the outcome: only checked copies are kept.
    """
    if kind not in IMAGE_KINDS or not upload_key_is_ours(company, kind, upload_key):
        raise ThemeError("This upload is not valid. Choose the file and upload it again.")
    s3 = s3 or aws.client("s3")
    bucket = config.theme_bucket()
    try:
        size = s3.head_object(Bucket=bucket, Key=upload_key)["ContentLength"]
    except ClientError as error:
        if not _upload_missing(error):
            raise ThemeStoreUnavailable(STORE_UNAVAILABLE) from error
        raise ThemeError(
            "The upload did not arrive (or was already used). Choose the file and upload it again."
        ) from None
    except BotoCoreError as error:
        raise ThemeStoreUnavailable(STORE_UNAVAILABLE) from error
    keep_upload = False
    try:
        if size > MAX_IMAGE_BYTES:
            raise ThemeError(
                f"The file is {size / 1024 / 1024:.1f} MB; images are limited to {MAX_IMAGE_BYTES // 1024 // 1024} MB."
            )
        if size == 0:
            raise ThemeError("The file is empty.")
        body = s3.get_object(Bucket=bucket, Key=upload_key)["Body"].read(MAX_IMAGE_BYTES + 1)
        if len(body) > MAX_IMAGE_BYTES:  # the object changed since the size was read
            raise ThemeError(f"Images are limited to {MAX_IMAGE_BYTES // 1024 // 1024} MB.")
        extension = image_type(body[:16])
        if extension is None:
            raise ThemeError(describe_refused(body[:4096]))
        digest = hashlib.sha256(body).hexdigest()[:32]
        key = f"{ASSET_PREFIX}{company.company_id}/{kind}/{digest}.{extension}"
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=IMAGE_TYPES[extension], CacheControl=CACHE_FOREVER)
        return key
    except (BotoCoreError, ClientError) as error:
        keep_upload = True  # S3 failed, not the image: the same upload may be tried again
        raise ThemeStoreUnavailable(STORE_UNAVAILABLE) from error
    finally:
        if not keep_upload:
            s3.delete_object(Bucket=bucket, Key=upload_key)


def store_asset(company_id: str, kind: str, body: bytes, s3=None) -> str:
    """Store a known-good image under its content-hashed key (demo seed, CLI)."""
    extension = image_type(body[:16])
    if extension is None or len(body) > MAX_IMAGE_BYTES or kind not in IMAGE_KINDS:
        raise ThemeError(describe_refused(body[:4096]) if extension is None else "Image too large.")
    key = f"{ASSET_PREFIX}{company_id}/{kind}/{hashlib.sha256(body).hexdigest()[:32]}.{extension}"
    (s3 or aws.client("s3")).put_object(
        Bucket=config.theme_bucket(), Key=key, Body=body, ContentType=IMAGE_TYPES[extension], CacheControl=CACHE_FOREVER
    )
    return key


def set_image(company: Company, kind: str, key: str | None) -> Theme:
    draft = current_draft(company)
    setattr(draft, IMAGE_KINDS[kind][0], key)
    save_draft(company, draft)
    return draft


# ------------------------------------------------------------ publishing


def publish(company: Company, expected_version: int, user_id: str, now) -> int:
    """Make the draft live.  Refused if it is stale, unchanged or fails the colour checks."""
    if company.theme_draft is None:
        raise ThemeError("There are no unpublished changes.")
    if int(company.theme_version or 0) != int(expected_version):
        raise ThemeError("The theme was published by someone else meanwhile. Review the current theme and try again.")
    draft = current_draft(company)
    for check, color in ((check_primary, draft.primary_color), (check_accent, draft.accent_color)):
        if colors.normalise(color) is None or not check(color).ok:
            raise ThemeError("Correct the colours before publishing.")
    try:
        version = themes.publish(company, draft, int(expected_version), user_id, now)
    except themes.VersionConflict:
        raise ThemeError(
            "The theme was published by someone else meanwhile. Review the current theme and try again."
        ) from None
    audit.record(company.company_id, "theme_published", actor=user_id, version=version)
    return version


def restore(company: Company, version: int, expected_version: int, user_id: str, now) -> int:
    """Publish an earlier version again (as a new version: history is never rewritten)."""
    old = themes.get_version(company.company_id, version)
    if old is None:
        raise ThemeError("That theme version does not exist.")
    if int(company.theme_version or 0) != int(expected_version):
        raise ThemeError("The theme was published by someone else meanwhile. Review the current theme and try again.")
    try:
        new_version = themes.publish(
            company, old.theme, int(expected_version), user_id, now, clear_draft=False
        )  # a draft in progress is kept
    except themes.VersionConflict:
        raise ThemeError(
            "The theme was published by someone else meanwhile. Review the current theme and try again."
        ) from None
    audit.record(company.company_id, "theme_restored", actor=user_id, version=new_version, restored=version)
    return new_version


def versions(company: Company) -> list:
    return themes.recent_versions(company.company_id)


# ------------------------------------------------------------- serving


def asset_url(key: str | None) -> str | None:
    return f"{config.theme_assets_url()}/{key}" if key else None


def brand(company: Company, theme: Theme | None = None) -> dict:
    """Colours and image URLs for pages and e-mails (text colours chosen for contrast)."""
    theme = theme or company.theme or Theme()
    primary = colors.normalise(theme.primary_color) or "#1f4e79"
    accent = colors.normalise(theme.accent_color) or "#f2a900"
    return {
        "primary": primary,
        "primary_text": colors.text_on(primary),
        "accent": accent,
        "accent_text": colors.text_on(accent),
        "logo_url": asset_url(theme.logo_key),
        "home_image_url": asset_url(theme.home_image_key),
        "favicon_url": asset_url(theme.favicon_key),
    }
