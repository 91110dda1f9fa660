"""Portal invitations (RIMSS), their acceptance, and e-mail confirmation links.

- A new address gets a branded invitation with a single-use link valid 7 days;
  inviting again sends a new link and the older one stops working (the
  membership keeps only the latest token's hash).
- An address that already belongs to an active login gets the account added to
  that login (no second account) and a short e-mail saying so.
- When the e-mail cannot be queued, nothing is recorded as sent: the token is deleted and the
  membership is left as it was.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import email as mail
from ..ids import new_id, new_secret, sha256
from ..logs import logger
from ..models import Company, Contact, Membership, Token, User
from ..repositories import admin_customers, audit, tokens, users
from ..repositories.keys import account_pk, email_login
from . import passwords, sessions

INVITE_SECONDS = 7 * 24 * 60 * 60
CONFIRM_SECONDS = 7 * 24 * 60 * 60
TOKEN_KEEP_SECONDS = 24 * 60 * 60  # TTL after expiry, so "expired" can still be told apart
# Deliberately simple: one @, a dot in the domain, no spaces. SES rejects the rest.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


@dataclass
class Choice:
    """One contact e-mail in the invite dialog; `reason` says why it cannot be chosen."""

    contact_id: str
    name: str
    email: str
    role: str
    reason: str | None = None


def email_problem(contact: Contact) -> str | None:
    address = (contact.email or "").strip()
    if not address:
        return "No e-mail address"
    if len(address) > 254 or not EMAIL.match(address):
        return "Not a valid e-mail address"
    if contact.email_bounced:
        return (
            "Marked as spam by the recipient"
            if (contact.bounce_reason or "").startswith("complaint")
            else "E-mail to this address bounced"
        )
    return None


def choices(company_id: str, customer_no: str) -> list[Choice]:
    return [
        Choice(c.contact_id, c.name or "", (c.email or "").strip(), c.role or "", email_problem(c))
        for c in admin_customers.contacts(company_id, customer_no)
    ]


@dataclass
class Outcome:
    ok: bool
    message: str


def invite(
    company: Company, customer_no: str, contact_id: str, actor: User, source_ip: str, now: float, outbox=None
) -> Outcome:
    company_id = company.company_id
    contact = next((c for c in admin_customers.contacts(company_id, customer_no) if c.contact_id == contact_id), None)
    if contact is None:
        return Outcome(False, "Choose one of this customer's contact e-mails.")
    problem = email_problem(contact)
    if problem:
        return Outcome(False, f"{contact.email or 'This contact'} cannot be invited: {problem}.")
    address = contact.email.strip().lower()
    pk = account_pk(company_id, customer_no)
    user_id = users.user_id_for_login(email_login(address))
    user = users.get_user(user_id) if user_id else None
    membership = users.get_membership_by_pk(user.user_id, pk) if user else None
    if user is not None and not user.active:
        return Outcome(False, f"The portal login of {address} is disabled.")
    if membership is not None and membership.status == "inactive":
        return Outcome(
            False, f"{address}'s access to this account is inactive. Use “Reactivate portal account” to restore it."
        )
    if membership is not None and membership.status == "active":
        return Outcome(True, f"{address} already has portal access to this account.")
    if user is not None and user.password_hash:
        return _add_company(company, customer_no, user, membership, address, actor, source_ip, now, outbox)
    return _send_invitation(company, customer_no, contact, user, membership, address, actor, source_ip, now, outbox)


def _add_company(company, customer_no, user, membership, address, actor, source_ip, now, outbox):
    """An active login: add this account to it and tell them in a short e-mail."""
    try:
        mail.send(company, address, "company_added", outbox=outbox, user=user, link=mail.company_url(company, "/login"))
    except mail.EmailError as error:
        logger.warning("company-added e-mail refused", extra={"error": str(error)})
        audit.record(
            company.company_id,
            "invitation_failed",
            actor=actor.user_id,
            source_ip=source_ip,
            customer_no=customer_no,
            email=address,
            error=str(error)[:200],
        )
        return Outcome(
            False, f"The e-mail to {address} could not be sent ({_short(error)}). Nothing was changed; try again later."
        )
    at = _utc(now)
    users.save_membership(
        Membership(
            user.user_id,
            account_pk(company.company_id, customer_no),
            company_id=company.company_id,
            customer_no=customer_no,
            status="active",
            invited_at=membership.invited_at if membership else at,
            last_invited_at=at,
            activated_at=at,
            invited_email=address,
        )
    )
    admin_customers.refresh_summary(company.company_id, customer_no)
    audit.record(
        company.company_id,
        "account_added_to_login",
        actor=actor.user_id,
        source_ip=source_ip,
        customer_no=customer_no,
        email=address,
    )
    return Outcome(
        True,
        f"{address} already had a portal login: this account was added to it "
        "and they were told by e-mail. It appears at their next sign-in.",
    )


def _send_invitation(company, customer_no, contact, user, membership, address, actor, source_ip, now, outbox):
    at = int(now)
    user_id = user.user_id if user else new_id()
    secret = new_secret()
    token = Token(
        sha256(secret),
        kind="invite",
        user_id=user_id,
        company_id=company.company_id,
        account_pk=account_pk(company.company_id, customer_no),
        email=address,
        created=at,
        expires_at=at + INVITE_SECONDS,
        expires=at + INVITE_SECONDS + TOKEN_KEEP_SECONDS,
    )
    tokens.create(token)
    try:
        mail.send(
            company,
            address,
            "invitation",
            outbox=outbox,
            name=contact.name,
            link=mail.company_url(company, f"/invite/{secret}"),
            valid_for="7 days",
        )
    except mail.EmailError as error:
        tokens.delete(token.token_hash)  # never recorded as sent
        logger.warning("invitation e-mail refused", extra={"error": str(error)})
        audit.record(
            company.company_id,
            "invitation_failed",
            actor=actor.user_id,
            source_ip=source_ip,
            customer_no=customer_no,
            email=address,
            error=str(error)[:200],
        )
        return Outcome(
            False,
            f"The invitation to {address} could not be sent ({_short(error)}). It was not recorded; try again later.",
        )
    if user is None:
        try:
            users.create_user(
                User(user_id, email=address, name=contact.name, created_at=_utc(now)), [email_login(address)]
            )
        except users.LoginTaken:  # the address was claimed a moment ago
            tokens.delete(token.token_hash)
            return Outcome(
                False, f"{address} was just registered by another request. Retrieve the customers again and retry."
            )
    previous = membership.invite_token_hash if membership else None
    users.save_membership(
        Membership(
            user_id,
            token.account_pk,
            company_id=company.company_id,
            customer_no=customer_no,
            status="invited",
            invited_at=membership.invited_at if membership else _utc(now),
            last_invited_at=_utc(now),
            invited_email=address,
            invite_token_hash=token.token_hash,
        )
    )
    if previous and previous != token.token_hash:
        tokens.revoke(previous, at)
    admin_customers.refresh_summary(company.company_id, customer_no)
    audit.record(
        company.company_id,
        "invitation_sent",
        actor=actor.user_id,
        source_ip=source_ip,
        customer_no=customer_no,
        email=address,
        again=bool(previous),
    )
    return Outcome(True, f"Invitation sent to {address}. The link works once, for 7 days.")


def _short(error: Exception) -> str:
    text = str(error)
    return text.split(": ", 1)[-1][:120] if text else "e-mail service error"


# ----------------------------------------------------------------- accepting
UNKNOWN, USED, EXPIRED, REPLACED = "unknown", "used", "expired", "replaced"


@dataclass
class Invitation:
    token: Token | None = None
    membership: Membership | None = None
    user: User | None = None
    problem: str | None = None  # UNKNOWN / USED / EXPIRED / REPLACED


def find(company: Company, secret: str, now: float) -> Invitation:
    if not secret or len(secret) > 128:
        return Invitation(problem=UNKNOWN)
    token = tokens.get(sha256(secret))
    if token is None or token.kind != "invite" or token.company_id != company.company_id:
        return Invitation(problem=UNKNOWN)
    membership = users.get_membership_by_pk(token.user_id, token.account_pk)
    if token.used_at is not None:
        replaced = membership is not None and membership.invite_token_hash not in (None, token.token_hash)
        return Invitation(problem=REPLACED if replaced else USED)
    if token.expires_at <= int(now):
        return Invitation(problem=EXPIRED)
    if membership is None or membership.status != "invited" or membership.invite_token_hash != token.token_hash:
        return Invitation(problem=REPLACED)
    user = users.get_user(token.user_id)
    if user is None or not user.active:
        return Invitation(problem=UNKNOWN)
    return Invitation(token, membership, user)


def accept(company: Company, secret: str, name: str, password: str, confirm: str, source_ip: str, now: float):
    """Set the password and name; activate the account and confirm the e-mail.

    Returns (invitation, error, started session).
    """
    found = find(company, secret, now)
    if found.problem:
        return found, None, None
    # find() sets all three whenever it finds no problem.
    assert found.token is not None and found.membership is not None and found.user is not None
    name = (name or "").strip()[:100]
    if not name:
        return found, "Enter your name.", None
    if password != confirm:
        return found, "The two passwords do not match.", None
    error = passwords.new_password_error(found.user, password or "", also=[name])
    if error:
        return found, error, None
    if not tokens.mark_used(found.token, int(now)):
        return Invitation(problem=USED), None, None
    at = _utc(now)
    users.set_password(found.user, passwords.hash_password(password), at)
    users.update_user(found.user, name=name, email_confirmed_at=at)
    users.set_membership_status(found.membership, "active", activated_at=at, invite_token_hash=None)
    admin_customers.refresh_summary(company.company_id, found.membership.customer_no)
    audit.record(
        company.company_id,
        "invitation_accepted",
        actor=found.user.user_id,
        source_ip=source_ip,
        customer_no=found.membership.customer_no,
    )
    active = sorted(
        m.account_pk
        for m in users.memberships_in_company(found.user.user_id, company.company_id)
        if m.status == "active"
    )
    sessions.end_all_for_user(found.user.user_id)
    started = sessions.start(found.user.user_id, company.company_id, found.token.account_pk, now, account_pks=active)
    audit.record(company.company_id, "sign_in", actor=found.user.user_id, source_ip=source_ip, via="invitation")
    return found, None, started


# ------------------------------------------------------- e-mail confirmation
def send_confirmation(company: Company, user: User, now: float, outbox=None) -> str | None:
    """E-mail a confirmation link to a login created another way; an error message or None."""
    if not user.email:
        return "This sign-in has no e-mail address to confirm."
    if user.email_confirmed_at:
        return "Your e-mail address is already confirmed."
    at = int(now)
    secret = new_secret()
    token = Token(
        sha256(secret),
        kind="confirm",
        user_id=user.user_id,
        company_id=company.company_id,
        email=user.email.lower(),
        created=at,
        expires_at=at + CONFIRM_SECONDS,
        expires=at + CONFIRM_SECONDS + TOKEN_KEEP_SECONDS,
    )
    tokens.create(token)
    try:
        mail.send(
            company,
            user.email,
            "email_confirmation",
            outbox=outbox,
            user=user,
            link=mail.company_url(company, f"/confirm-email/{secret}"),
            valid_for="7 days",
        )
    except mail.EmailError as error:
        tokens.delete(token.token_hash)
        return f"The confirmation e-mail could not be sent ({_short(error)}). Try again later."
    audit.record(company.company_id, "email_confirmation_sent", actor=user.user_id)
    return None


def confirmation(company: Company, secret: str, now: float) -> Token | None:
    if not secret or len(secret) > 128:
        return None
    token = tokens.get(sha256(secret))
    if (
        token is None
        or token.kind != "confirm"
        or token.company_id != company.company_id
        or token.used_at is not None
        or token.expires_at <= int(now)
    ):
        return None
    return token


def confirm(company: Company, secret: str, now: float) -> bool:
    token = confirmation(company, secret, now)
    user = users.get_user(token.user_id) if token else None
    if token is None or user is None or (user.email or "").lower() != token.email:
        return False
    if not tokens.mark_used(token, int(now)):
        return False
    users.update_user(user, email_confirmed_at=_utc(now))
    for membership in users.memberships(user.user_id):
        admin_customers.refresh_summary(membership.company_id, membership.customer_no)
    audit.record(company.company_id, "email_confirmed", actor=user.user_id)
    return True
