"""SES bounce and complaint notifications (SNS) mark the contact e-mails.

SES publishes to an SNS topic that the app subscribes to (`app.py`,
`@app.on_sns_message`); each SNS message body is one SES notification, JSON with
`notificationType` "Bounce" / "Complaint" (or `eventType` for configuration-set
event publishing).  Shapes: AWS SES Developer Guide, "Amazon SNS notification
contents for Amazon SES" (bounce: bounce.bounceType / bouncedRecipients[].emailAddress;
complaint: complaint.complainedRecipients[].emailAddress).

Only permanent bounces mark an address (transient ones retry by themselves).
Contacts are found by address through the `Contact.by_email` index, never a scan.
"""

import json
from datetime import UTC, datetime

from ..logs import logger
from ..models import Contact
from ..repositories import admin_customers, audit
from ..repositories.keys import split_account_pk


def _addresses(notification: dict):
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return kind, [], None
        reason = f"bounce: {bounce.get('bounceType')}/{bounce.get('bounceSubType', '')}"
        return kind, [r.get("emailAddress") for r in bounce.get("bouncedRecipients") or []], reason
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        reason = f"complaint: {complaint.get('complaintFeedbackType') or 'unspecified'}"
        return kind, [r.get("emailAddress") for r in complaint.get("complainedRecipients") or []], reason
    return kind, [], None


def handle(message: str, now: float) -> list[str]:
    """Mark every contact with a bounced/complained address; returns the contact pks."""
    try:
        notification = json.loads(message)
    except (TypeError, ValueError):
        logger.warning("SES notification is not JSON")
        return []
    if not isinstance(notification, dict):
        return []
    kind, addresses, reason = _addresses(notification)
    marked = []
    at = datetime.fromtimestamp(now, UTC)
    for address in filter(None, addresses):
        address = _bare(address)
        for key in Contact.by_email.query(address, limit=200):
            contact = Contact(key.pk, key.contact_id)
            contact.update(
                actions=[
                    Contact.email_bounced.set(True),
                    Contact.bounce_reason.set(reason),
                    Contact.bounced_at.set(at),
                ],
                condition=Contact.pk.exists(),
            )
            company_id, customer_no = split_account_pk(key.pk)
            admin_customers.refresh_summary(company_id, customer_no)
            audit.record(company_id, "email_bounced", customer_no=customer_no, email=address, reason=reason)
            marked.append(key.pk)
    logger.info("SES notification", extra={"kind": kind, "marked": len(marked)})
    return marked


def _bare(address: str) -> str:
    """`"Jane" <jane@example.com>` -> jane@example.com, lower-cased."""
    address = address.strip()
    if "<" in address and address.endswith(">"):
        address = address[address.rindex("<") + 1 : -1]
    return address.lower()
