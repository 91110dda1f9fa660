"""Branded e-mail, sent through the mail queue.  Every link is built from the company's own
configured domain, never from the request's Host header (README "Security at a glance").

A request renders the e-mail and puts it on the mail queue (SQS); the consumer
(`send_queued_mail` in app.py, chalicelib/services/mail_delivery.py) picks the sender
and sends it through SES, with retries and a dead-letter queue.  So an SES fault loses
nothing and no answer waits for SES.
"""

import json
from collections.abc import Iterable
from email.utils import formataddr

from botocore.exceptions import BotoCoreError, ClientError

from . import aws, config
from .models import Company
from .services import theme
from .templating import render

# SQS refuses bodies over 256 KiB; an e-mail this large is a bug, said before it is queued.
MAX_MESSAGE_BYTES = 250 * 1024


class EmailError(Exception):
    """The e-mail could not be queued; the caller tells the user."""


class Outbox:
    """The mail queue, as requests see it: put one message, get its id.

    The SQS client and the queue URL are looked up when first used (aws.py), so
    importing this costs nothing and tests inject their own."""

    def __init__(self, sqs=None, queue_url: str | None = None):
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, message: dict) -> str:
        body = json.dumps(message, separators=(",", ":"))
        if len(body.encode("utf-8")) > MAX_MESSAGE_BYTES:
            raise EmailError("the e-mail is too large to send")
        try:
            sqs = self._sqs or aws.client("sqs")
            url = self._queue_url or aws.queue_url(config.mail_queue_name())
            return sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
        except (BotoCoreError, ClientError) as error:
            raise EmailError(f"the mail queue is unavailable ({error})") from error


def company_url(company: Company, path: str) -> str:
    port = config.public_port()
    host = company.primary_domain + (f":{port}" if port else "")
    return f"{config.url_scheme()}://{host}{path}"


def sender(company_name: str, company_address: str | None, verified: Iterable[str]) -> str:
    """`"ABC Appliance" <no-reply@abc.example>`: the company's own address once SES has
    verified it (or its domain), else the platform's verified sender; the display name
    is always the company's, encoded by formataddr when it is not plain ASCII."""
    verified = {v.lower() for v in verified}
    address = config.mail_sender()
    if company_address:
        domain = company_address.rsplit("@", 1)[-1].lower()
        if company_address.lower() in verified or domain in verified:
            address = company_address
    return formataddr((company_name, address), charset="utf-8")


def company_address(company: Company) -> str:
    """The address the company would send from: its configured sender, else no-reply@ its
    primary domain (used only once verified, see `sender`)."""
    return company.email_sender or f"no-reply@{company.primary_domain}"


def context_for(company: Company, **context) -> dict:
    """What every e-mail template gets: the company, its portal URL and its brand
    (logo from the theme bucket / CloudFront URL and colours, as in the portal)."""
    brand = theme.brand(company)
    return dict(context, company=company, portal_url=company_url(company, "/"), brand=brand, logo_url=brand["logo_url"])


def compose(company: Company, to: str, template: str, **context) -> dict:
    """Render `emails/<template>` (subject, text, html) into a queue message."""
    context = context_for(company, **context)
    subject = render(f"emails/{template}.subject.txt", **context).strip()
    text = render(f"emails/{template}.txt", **context)
    html = render(f"emails/{template}.html", **context)
    return message(company, to, subject, text, html, template=template)


def message(company: Company, to: str, subject: str, text: str, html: str, template: str = "") -> dict:
    """A rendered e-mail as the consumer reads it (chalicelib/services/mail_delivery.py)."""
    return {
        "kind": "email",
        "company_id": company.company_id,
        "company_name": company.name,
        "from_address": company_address(company),
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "template": template,
    }


def send(company: Company, to: str, template: str, *, outbox: Outbox | None = None, **context) -> str:
    """Render `emails/<template>.txt` and `.html` and queue them; returns the queue's id."""
    return (outbox or Outbox()).put(compose(company, to, template, **context))


def deliver(company: Company, to: str, subject: str, text: str, html: str, *, outbox: Outbox | None = None) -> str:
    """Queue one already rendered e-mail from the company; returns the queue's id."""
    return (outbox or Outbox()).put(message(company, to, subject, text, html))
