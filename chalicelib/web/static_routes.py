"""The portal's own CSS/JS under content-hashed URLs, cached for a year."""

import mimetypes

from chalice import Blueprint, NotFoundError, Response

from ..templating import STATIC_DIR, static_url

bp = Blueprint(__name__)
ALLOWED = {"portal.css", "portal.js", "admin.css", "admin.js", "theme-editor.js", "payments.js", "passkeys.js"}


@bp.route("/static/{digest}/{name}", methods=["GET"])
def static_file(digest, name):
    if name not in ALLOWED or static_url(name) != f"/static/{digest}/{name}":
        raise NotFoundError("Not found")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(
        body=(STATIC_DIR / name).read_text(encoding="utf-8"),
        status_code=200,
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )
