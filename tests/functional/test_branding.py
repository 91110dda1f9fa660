"""Branding: the theme editor (draft, images through S3, contrast), publish and rollback,
serving (CSS custom properties, e-mails), the platform host."""
import html
import re

import pytest

from chalicelib import colors, config
from chalicelib.models import AuditEvent, Company, ThemeVersion
from chalicelib.services import theme as theme_service
from tests.support import Browser, abc_company, make_user, png, s3, sent_mail, text, upload_fields

BRAND_RULE = re.compile(r"--brand: (#[0-9a-f]{6});")




@pytest.fixture
def admin(browser):
    make_user("boss@example.com", admin_of=["abc"], name="Ada Admin")
    browser.sign_in("boss@example.com")
    return browser






def _browser_uploads(admin, kind, body):
    """What the browser does: POST the file to S3 (here: put it at the form's key), then
    follow S3's redirect to /admin/theme/uploaded and submit its form."""
    _url, fields = upload_fields(text(admin.get("/admin/theme")), kind)
    s3().put_object(Bucket=config.theme_bucket(), Key=fields["key"], Body=body)
    back = fields["success_action_redirect"]
    assert back == f"http://localhost/admin/theme/uploaded?kind={kind}"
    page = admin.get(f"/admin/theme/uploaded?kind={kind}&key={fields['key']}&bucket=b")
    assert page.status_code == 200 and 'id="image-form"' in text(page)
    return admin.post("/admin/theme/image", {"kind": kind, "key": fields["key"]}), fields["key"]




# ------------------------------------------------------------------ access

def test_theme_editor_is_for_administrators_of_this_company_only(browser, pacific):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    make_user("other-admin@example.com", admin_of=["pacific"], accounts=[("abc", "C2")])
    browser.sign_in("rita@example.com")
    assert browser.get("/admin/theme").status_code == 404
    browser.post("/logout", {})
    browser.sign_in("other-admin@example.com")
    assert browser.get("/admin/theme").status_code == 404
    anonymous = Browser(browser.client)
    assert anonymous.get("/admin/theme").status_code == 303


def test_theme_is_a_page_of_dealer_administration(admin):
    customers = text(admin.get("/admin/customers"))
    assert '<a href="/admin/theme"' in customers
    editor = text(admin.get("/admin/theme"))
    assert 'aria-label="Dealer Administration"' in editor and 'href="/admin/theme" aria-current="page"' in editor


def test_editor_posts_images_straight_to_s3_and_csp_allows_only_that_origin(admin):
    page = admin.get("/admin/theme")
    assert page.status_code == 200
    url, fields = upload_fields(text(page), "logo")
    assert config.theme_bucket() in url
    assert {"key", "policy", "success_action_redirect"} <= set(fields)
    assert fields["key"].startswith("uploads/abc/logo/")
    s3_origin = re.match(r"https?://[^/]+", url).group(0)
    csp = page.headers["Content-Security-Policy"]
    assert f"form-action 'self' {s3_origin}" in csp
    # Other pages do not name it.
    assert "form-action 'self';" in admin.get("/").headers["Content-Security-Policy"]


def test_csp_img_src_names_the_asset_origin_and_nothing_wider(browser, monkeypatch):
    monkeypatch.setenv("PORTAL_THEME_ASSETS_URL", "https://d111.cloudfront.net")
    csp = browser.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://d111.cloudfront.net;" in csp
    assert "*" not in csp and "https:;" not in csp


# ------------------------------------------------------------ uploads

def test_an_uploaded_png_is_checked_and_stored_under_its_content_hash(admin):
    body = png()
    answer, upload_key = _browser_uploads(admin, "logo", body)
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/theme?notice=image"
    key = abc_company().theme_draft.logo_key
    assert re.fullmatch(r"assets/abc/logo/[0-9a-f]{32}\.png", key)
    stored = s3().get_object(Bucket=config.theme_bucket(), Key=key)
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "image/png"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    with pytest.raises(Exception):  # the unchecked upload is gone
        s3().head_object(Bucket=config.theme_bucket(), Key=upload_key)
    # A new image is a new URL.
    _browser_uploads(admin, "logo", png((10, 120, 40)))
    assert abc_company().theme_draft.logo_key != key


@pytest.mark.parametrize("body, message", [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "SVG images are not accepted"),
    (b"<html><body>not an image</body></html>", "not a PNG, JPEG or WebP image, whatever its name"),
    (b"GIF89a" + b"\x00" * 40, "GIF images are not accepted"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "images are limited to 2 MB"),
], ids=["svg", "html-named-png", "gif", "oversize"])
def test_uploads_are_refused_by_their_real_type_and_size(admin, body, message):
    answer, upload_key = _browser_uploads(admin, "logo", body)
    assert answer.status_code == 400
    assert message in html.unescape(text(answer))
    assert abc_company().theme_draft is None or abc_company().theme_draft.logo_key is None
    with pytest.raises(Exception):  # refused uploads are deleted too
        s3().head_object(Bucket=config.theme_bucket(), Key=upload_key)


def test_an_upload_key_of_another_company_or_kind_is_refused(admin):
    _url, fields = upload_fields(text(admin.get("/admin/theme")), "logo")
    foreign = fields["key"].replace("uploads/abc/", "uploads/pacific/")
    s3().put_object(Bucket=config.theme_bucket(), Key=foreign, Body=png())
    answer = admin.post("/admin/theme/image", {"kind": "logo", "key": foreign})
    assert answer.status_code == 400 and "not valid" in text(answer)
    answer = admin.post("/admin/theme/image", {"kind": "favicon", "key": fields["key"]})
    assert answer.status_code == 400


def test_a_missing_upload_gets_a_clear_message(admin):
    _url, fields = upload_fields(text(admin.get("/admin/theme")), "favicon")
    answer = admin.post("/admin/theme/image", {"kind": "favicon", "key": fields["key"]})
    assert answer.status_code == 400 and "did not arrive" in text(answer)


def test_image_types_are_recognised_by_magic_bytes():
    assert theme_service.image_type(png()[:16]) == "png"
    assert theme_service.image_type(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpg"
    assert theme_service.image_type(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "webp"
    assert theme_service.image_type(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None
    assert theme_service.image_type(b"<svg") is None


# ------------------------------------------------------------ colours

def test_contrast_ratios_match_wcag():
    assert colors.contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert colors.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert colors.normalise("ABC") == "#aabbcc"
    assert colors.normalise("#12345g") is None
    assert colors.normalise("red") is None


@pytest.mark.parametrize("color", ["#ffd700", "#88ccff", "#f4f5f7", "#999999"])
def test_a_light_primary_colour_is_refused_with_its_ratio_and_a_passing_suggestion(color):
    result = theme_service.check_primary(color)
    assert not result.ok and result.ratio < 4.5
    assert f"{result.ratio:.2f}:1" in result.message and "4.5:1" in result.message
    suggestion = re.search(r"Try (#[0-9a-f]{6})", result.message).group(1)
    assert theme_service.check_primary(suggestion).ok


@pytest.mark.parametrize("color", ["#1f4e79", "#0b6e4f", "#000000", "#a4262c"])
def test_dark_primary_colours_pass(color):
    assert theme_service.check_primary(color).ok


def test_an_accent_needs_readable_text_on_it():
    assert theme_service.check_accent("#f2a900").ok  # dark text on amber
    assert theme_service.check_accent("#e4572e").ok
    for color in ("#ffffff", "#000000"):
        assert theme_service.check_accent(color).ok
    # Mid grey: neither white (4.48:1) nor near-black text reads well enough on it.
    refused = theme_service.check_accent("#777777")
    assert not refused.ok and "4.48:1" in refused.message
    suggestion = re.search(r"Try (#[0-9a-f]{6})", refused.message).group(1)
    assert theme_service.check_accent(suggestion).ok


def test_saving_a_failing_colour_is_refused_with_the_ratio_and_nothing_is_saved(admin):
    answer = admin.post("/admin/theme", {"primary_color": "#ffd700", "accent_color": "#f2a900",
                                         "welcome_text": "Hi", "oem_label": "Dealer"})
    body = html.unescape(text(answer))
    assert answer.status_code == 400
    assert "Primary colour #ffd700" in body and ":1; WCAG AA needs at least 4.5:1. Try #" in body
    assert 'aria-invalid="true"' in body
    assert abc_company().theme_draft is None


def test_a_malformed_colour_is_refused(admin):
    answer = admin.post("/admin/theme", {"primary_color": "blue;}</style>", "accent_color": "#f2a900",
                                         "oem_label": "Dealer"})
    assert answer.status_code == 400 and "#RRGGBB" in text(answer)
    assert "</style>\"" not in text(answer) and "blue;}&lt;/style&gt;" in text(answer)


def test_welcome_text_is_plain_text(admin):
    admin.post("/admin/theme", {"primary_color": "#1f4e79", "accent_color": "#f2a900",
                                "welcome_text": "<b>Hello</b>\x07 & welcome\r\nLine two",
                                "oem_label": "Dealer"})
    draft = abc_company().theme_draft
    assert draft.welcome_text == "<b>Hello</b> & welcome\nLine two"
    preview = text(admin.get("/admin/theme/preview"))
    assert "&lt;b&gt;Hello&lt;/b&gt; &amp; welcome" in preview


# ---------------------------------------------- preview, publish, rollback

def _save(admin, primary, **extra):
    form = {"primary_color": primary, "accent_color": "#f2a900", "welcome_text": "Hello",
            "oem_label": "Dealer", **extra}
    answer = admin.post("/admin/theme", form)
    assert answer.status_code == 303, text(answer)


def _live_brand(browser):
    return BRAND_RULE.search(text(browser.get("/login"))).group(1)


def test_a_draft_is_previewed_by_the_admin_and_not_shown_to_customers_until_published(admin):
    customer = Browser(admin.client)
    _save(admin, "#6a1b9a", welcome_text="Purple week")
    assert BRAND_RULE.search(text(admin.get("/admin/theme/preview"))).group(1) == "#6a1b9a"
    assert _live_brand(customer) == "#1f4e79"
    assert "Purple week" not in text(customer.get("/login"))
    editor = text(admin.get("/admin/theme"))
    assert "unpublished changes" in editor
    answer = admin.post("/admin/theme/publish", {"version": "0"})
    assert answer.headers["Location"] == "/admin/theme?notice=published"
    assert _live_brand(customer) == "#6a1b9a"
    assert "Purple week" in text(customer.get("/login"))
    company = abc_company()
    assert company.theme_version == 1 and company.theme_draft is None
    assert company.oem_label == "Dealer"
    assert ThemeVersion.get("abc", 1).theme.primary_color == "#6a1b9a"


def test_publishing_is_refused_when_someone_published_meanwhile(admin):
    _save(admin, "#6a1b9a")
    assert admin.post("/admin/theme/publish", {"version": "0"}).status_code == 303
    _save(admin, "#004d40")
    stale = admin.post("/admin/theme/publish", {"version": "0"})  # read before version 1
    assert stale.status_code == 409 and "published by someone else" in text(stale)
    assert abc_company().theme.primary_color == "#6a1b9a"
    assert [v.version for v in ThemeVersion.query("abc")] == [1]


def test_the_previous_theme_can_be_restored(admin):
    customer = Browser(admin.client)
    _save(admin, "#6a1b9a")
    admin.post("/admin/theme/publish", {"version": "0"})
    _save(admin, "#004d40")
    admin.post("/admin/theme/publish", {"version": "1"})
    assert _live_brand(customer) == "#004d40"
    editor = text(admin.get("/admin/theme"))
    assert "Restore version 1" in editor and "Restore version 2" not in editor
    answer = admin.post("/admin/theme/restore", {"version": "2", "restore": "1"})
    assert answer.headers["Location"] == "/admin/theme?notice=restored"
    assert _live_brand(customer) == "#6a1b9a"
    assert [v.version for v in ThemeVersion.query("abc")] == [1, 2, 3]  # history is kept
    actions = [e.action for e in AuditEvent.query("abc") if e.action.startswith("theme_")]
    assert actions == ["theme_published", "theme_published", "theme_restored"]
    assert admin.post("/admin/theme/restore", {"version": "3", "restore": "9"}).status_code == 409


def test_published_images_are_served_from_the_asset_origin(admin):
    _save(admin, "#1f4e79")
    _browser_uploads(admin, "home_image", png())
    _browser_uploads(admin, "favicon", png((0, 0, 0)))
    admin.post("/admin/theme/publish", {"version": "0"})
    company = abc_company()
    customer_home = text(admin.get("/"))
    assert f'src="{config.theme_assets_url()}/{company.theme.home_image_key}"' in customer_home
    assert f'rel="icon" href="{config.theme_assets_url()}/{company.theme.favicon_key}"' in customer_home


def test_header_text_colour_is_chosen_for_contrast(admin):
    page = text(admin.get("/"))
    assert "--brand: #1f4e79;" in page and "--brand-text: #ffffff;" in page
    assert "--accent: #f2a900;" in page and "--accent-text: #111111;" in page


def test_emails_carry_the_company_logo_and_colours(browser, abc):
    abc.theme.logo_key = "assets/abc/logo/" + "a" * 32 + ".png"
    abc.save()
    make_user("mail@example.com", accounts=[("abc", "C1")])
    browser.get("/forgot-password")
    browser.post("/forgot-password", {"email": "mail@example.com"})
    message = sent_mail()[-1]
    body = message.body if isinstance(message.body, str) else str(message.body)
    assert f'{config.theme_assets_url()}/assets/abc/logo/{"a" * 32}.png' in body
    assert "background:#1f4e79;color:#ffffff" in body
    assert "4px solid #f2a900" in body


# ------------------------------------------------------------ platform host

def test_the_platform_host_shows_a_neutral_page_that_names_no_company(app, abc, pacific):
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        platform = Browser(client, host="portal.localhost:8000")
        home = platform.get("/")
        assert home.status_code == 200
        assert "Customer portal" in text(home)
        for name in ("ABC", "Pacific", "abc.localhost", "pacific"):
            assert name not in text(home)
        assert platform.get("/login").status_code == 404
        assert Browser(client, host="nobody.example").get("/").status_code == 404


def test_publishing_colours_leaves_an_oem_label_set_in_portal_settings_alone(admin):
    _save(admin, "#6a1b9a", oem_label="OEM")  # the live label, unchanged in the draft
    company = abc_company()
    company.update(actions=[Company.oem_label.set("Partner")])  # Portal settings, meanwhile
    admin.post("/admin/theme/publish", {"version": "0"})
    company = abc_company()
    assert company.theme.primary_color == "#6a1b9a" and company.oem_label == "Partner"
    _save(admin, "#6a1b9a", oem_label="Affiliate")  # a label changed in the theme is published
    admin.post("/admin/theme/publish", {"version": "1"})
    assert abc_company().oem_label == "Affiliate"
