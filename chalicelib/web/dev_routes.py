"""Local stage only: a mailbox page listing what SES (moto) "sent"."""
import json
import urllib.request

from chalice import Blueprint, NotFoundError

from .. import config
from .pages import page

bp = Blueprint(__name__)


def sent_messages():
    """Messages recorded by the local moto server, newest first."""
    with urllib.request.urlopen(f"{config.moto_url()}/moto-api/data.json", timeout=5) as answer:
        data = json.load(answer)
    messages = data.get("ses", {}).get("Message", [])
    return list(reversed(messages))


@bp.route("/dev/mailbox", methods=["GET"])
def mailbox():
    if not config.is_local():
        raise NotFoundError("Not found")
    return page(bp.current_request, "dev_mailbox.html", messages=sent_messages())
