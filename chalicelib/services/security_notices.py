"""E-mails that tell a login about its own security: a sign-in from a new device, and a
change of password, two-factor or passkeys (README "Sessions, devices and passkeys").

A device is a browser: a long-lived random cookie (`portal_browser`) set at sign-in.  Only a
SHA-256 prefix of it is kept, on the user item the sign-in reads anyway, so a sign-in from a
known device costs no extra DynamoDB call and a new one a single UpdateItem.
"""

from datetime import UTC, datetime
from typing import TypeGuard

from .. import email as mail
from ..ids import new_secret, sha256
from ..logs import logger
from ..models import Company, User
from ..repositories import users
from . import sessions

# Beyond this many known devices the set starts again from the current one (it stays small;
# the cost is one extra "new device" e-mail per device afterwards).
MAX_KNOWN_DEVICES = 30

# What changed -> the sentence the e-mail says.  The two-factor entries are for the code that
# enrols, disables and resets it: it calls `notify_change(..., "two_factor_enabled")`.
CHANGES = {
    "passkey_added": "A passkey was added to your sign-in",
    "passkey_removed": "A passkey was removed from your sign-in",
    "two_factor_enabled": "Two-factor sign-in was turned on",
    "two_factor_disabled": "Two-factor sign-in was turned off",
    "two_factor_reset": "Two-factor sign-in was reset by an administrator",
    "recovery_codes_renewed": "New recovery codes were made",
}


def device_key(device_id: str) -> str:
    return sha256(f"device:{device_id}")[:32]


def valid_device_id(value: str | None) -> TypeGuard[str]:
    return value is not None and 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()


def note_sign_in(
    company: Company,
    user: User,
    device_id: str | None,
    client: sessions.Client,
    now: float,
    *,
    vouched_by: str | None = None,
    outbox: mail.Outbox | None = None,
) -> str:
    """Call after every successful sign-in.  Returns the device id the browser keeps (its own,
    or a new one); e-mails the login when this device has not signed in to it before.

    `vouched_by`: for a company hand-off, the device key of the browser on the source host.
    The hand-off is bound to the browser (docs/security.md), so it is the same device under
    another host's cookie: known there means known here, and no e-mail."""
    if not valid_device_id(device_id):  # none yet, or not one we made: a new device
        device_id = new_secret()
    key = device_key(device_id)
    known = set(user.known_devices or ())
    if key in known:
        return device_id
    users.remember_device(user, key, forget_others=len(known) >= MAX_KNOWN_DEVICES)
    if known and not (vouched_by and vouched_by in known):
        # The first device a login is seen on is its baseline, not news (README "Sessions,
        # devices" says what that costs).
        _send(
            company,
            user,
            "new_device_sign_in",
            outbox,
            now=now,
            device=sessions.describe_device(client.user_agent),
            source_ip=client.source_ip or "unknown",
        )
    return device_id


def notify_change(
    company: Company,
    user: User,
    change: str,
    now: float,
    *,
    detail: str = "",
    source_ip: str = "",
    outbox: mail.Outbox | None = None,
) -> bool:
    """E-mail the login that its password, two-factor or passkeys changed; `change` is a key of
    CHANGES.  Returns whether an e-mail was queued (a login without an address gets none)."""
    if change not in CHANGES:
        raise ValueError(f"unknown security change {change!r}")
    return _send(
        company,
        user,
        "security_change",
        outbox,
        now=now,
        what=CHANGES[change],
        detail=detail,
        source_ip=source_ip or "unknown",
    )


def _send(company: Company, user: User, template: str, outbox, now: float, **context) -> bool:
    if not user.email:
        return False
    when = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        mail.send(company, user.email, template, outbox=outbox, user=user, when=when, **context)
        return True
    except mail.EmailError:  # the sign-in or change stands; the log says the e-mail did not go
        logger.exception("security e-mail not sent", extra={"user": user.user_id, "template": template})
        return False
