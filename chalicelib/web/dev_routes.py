"""Local stage only: a mailbox page listing what SES (moto) "sent".

Each message's HTML part is shown as the recipient would see it, in a
sandboxed frame served by `/dev/mailbox/{id}` with its own relaxed CSP (e-mail
HTML uses inline styles), never on the portal's own pages.
"""

import json
import re
import urllib.request

from chalice import Blueprint, NotFoundError, Response

from .. import config
from . import state as request_state
from .pages import page

bp = Blueprint(__name__)
LINK = re.compile(r'href="([^"]+)"')


def sent_messages():
    """Messages recorded by the local moto server, newest first."""
    with urllib.request.urlopen(f"{config.moto_url()}/moto-api/data.json", timeout=5) as answer:
        data = json.load(answer)
    messages = data.get("ses", {}).get("Message", [])
    return list(reversed(messages))


def _links(body: str):
    return list(dict.fromkeys(link.replace("&amp;", "&") for link in LINK.findall(body or "")))


@bp.route("/dev/mailbox", methods=["GET"])
def mailbox():
    if not config.is_local():
        raise NotFoundError("Not found")
    messages = sent_messages()
    for message in messages:
        message["links"] = _links(message.get("body"))
        message["is_html"] = "<html" in (message.get("body") or "")[:200].lower()
    return page(bp.current_request, "dev_mailbox.html", messages=messages, undelivered=dead_letters())


def dead_letters():
    """What waits in the mail dead-letter queue (up to 10), read without taking it."""
    from .. import aws

    sqs = aws.client("sqs")
    answer = sqs.receive_message(
        QueueUrl=aws.queue_url(config.mail_queue_name() + "-dlq"), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    parked = []
    for message in answer.get("Messages", []):
        try:
            parked.append(json.loads(message["Body"]))
        except ValueError:
            parked.append({"kind": "unreadable message"})
    return parked


@bp.route("/dev/mailbox/{message_id}", methods=["GET"])
def mailbox_message(message_id):
    if not config.is_local():
        raise NotFoundError("Not found")
    message = next((m for m in sent_messages() if m.get("id") == message_id), None)
    if message is None:
        raise NotFoundError("Not found")
    request_state.of(bp.current_request).embedded_email = True
    # Links open in the whole window, as in a mail client (not inside the frame).
    body = re.sub(r"(<head[^>]*>|<html[^>]*>)", r'\1<base target="_top">', message.get("body") or "", count=1)
    return Response(body=body, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})
