"""Unknown paths answer the branded 404 page.

API Gateway would otherwise answer 403 "Missing Authentication Token", and
`chalice local` does not match greedy `{proxy+}` paths, so catch-alls are
declared per depth; concrete routes always win over them.
"""

from chalice import Blueprint, NotFoundError

bp = Blueprint(__name__)
METHODS = ["GET", "POST"]


def _not_found(**_):
    raise NotFoundError("Page not found")


for depth in range(1, 5):
    path = "".join(f"/{{p{i}}}" for i in range(depth))
    bp.route(
        path,
        methods=METHODS,
        name=f"not_found_{depth}",
        content_types=["application/x-www-form-urlencoded", "application/json", "multipart/form-data", "text/plain"],
    )(_not_found)
