"""The mail queue's consumer: sends each queued message through SES.

Messages are put on the queue by chalicelib/email.py (rendered e-mails) and
chalicelib/services/password_reset.py (reset requests, looked up here so the
request itself does the same work for known and unknown addresses).

A record that fails (SES throttled or down, a bug) is reported back; SQS delivers
it again after the queue's visibility timeout and, after the queue's
maxReceiveCount receives, moves it to the dead-letter queue (infra/resources.py),
where an alarm (and in the local stage the dev mailbox) shows it.  Records of the
same batch that were sent are not reported, so they are not sent twice.
"""

import json
from collections.abc import Iterable

from .. import config
from .. import email as mail
from ..logs import logger


class UnknownMessage(ValueError):
    """A queue message this consumer cannot read: it ends in the dead-letter queue."""


class VerifiedSenders:
    """Which sender addresses and domains SES has verified, asked once per batch."""

    def __init__(self, ses):
        self._ses = ses
        self._status: dict[str, bool] = {}

    def among(self, address: str | None) -> list[str]:
        if not address:
            return []
        candidates = [address.lower(), address.rsplit("@", 1)[-1].lower()]
        unknown = [c for c in candidates if c not in self._status]
        if unknown:
            answer = self._ses.get_identity_verification_attributes(Identities=unknown)
            attributes = answer.get("VerificationAttributes", {})
            for identity in unknown:
                status = attributes.get(identity, {}).get("VerificationStatus")
                self._status[identity] = status == "Success"
        return [c for c in candidates if self._status[c]]


def deliver_batch(records: Iterable[dict], *, ses, now: float) -> dict:
    """Send every record of an SQS event; the failed ones in Lambda's partial-batch form
    (`{"batchItemFailures": [{"itemIdentifier": messageId}]}`)."""
    senders = VerifiedSenders(ses)
    failures = []
    for record in records:
        try:
            deliver(json.loads(record["body"]), ses=ses, senders=senders, now=now)
        except Exception as error:  # noqa: BLE001 (this record only; SQS retries it)
            logger.warning(
                "queued e-mail not sent; it will be delivered again",
                extra={
                    "message_id": record.get("messageId"),
                    "error": str(error)[:300],
                    "receive_count": (record.get("attributes") or {}).get("ApproximateReceiveCount"),
                },
            )
            failures.append({"itemIdentifier": record.get("messageId")})
    return {"batchItemFailures": failures}


def deliver(job: dict, *, ses, senders: VerifiedSenders, now: float) -> str | None:
    """Send one queue message; the SES message id (None when there was nothing to send)."""
    kind = job.get("kind") if isinstance(job, dict) else None
    message: dict | None
    if kind == "email":
        message = job
    elif kind == "password_reset":
        from . import password_reset

        message = password_reset.compose(job, now)
        if message is None:  # no such login here: nothing to send, and nothing to say
            return None
    else:
        raise UnknownMessage(f"unknown queue message kind {kind!r}")
    return send_through_ses(message, ses=ses, senders=senders)


def send_through_ses(message: dict, *, ses, senders: VerifiedSenders) -> str:
    configuration_set = config.ses_configuration_set()
    source = mail.sender(
        message["company_name"], message.get("from_address"), senders.among(message.get("from_address"))
    )
    answer = ses.send_email(
        Source=source,
        Destination={"ToAddresses": [message["to"]]},
        Message={
            "Subject": {"Data": message["subject"], "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": message["text"], "Charset": "UTF-8"},
                "Html": {"Data": message["html"], "Charset": "UTF-8"},
            },
        },
        # The stage's configuration set sends bounces and complaints to its SNS topic.
        **({"ConfigurationSetName": configuration_set} if configuration_set else {}),
    )
    logger.info(
        "e-mail sent",
        extra={
            "template": message.get("template") or "",
            "company": message.get("company_id"),
            "ses_message_id": answer["MessageId"],
        },
    )
    return answer["MessageId"]
