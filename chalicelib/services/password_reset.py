"""Forgotten password (docs/mail.md).

The request does the same work whatever the address: it counts the request against
the address and the source IP (DynamoDB counters with atomic add and TTL,
repositories/throttles.py) and queues the request.  Whether a login has that address
is decided later by the mail queue's consumer (services/mail_delivery.py), which makes
the single-use token and sends the e-mail.  So neither the answer, nor its timing, nor
its DynamoDB calls tell anyone whether an address has a login.
"""

from .. import email as mail
from ..ids import new_secret, sha256
from ..logs import logger
from ..models import Token
from ..repositories import audit, companies, throttles, tokens, users
from ..repositories.keys import email_login, reset_throttle_keys
from .auth import RESET_SECONDS

ADDRESS_LIMIT = 3  # reset e-mails per address per hour
IP_LIMIT = 20  # reset requests per source IP per hour
WINDOW_SECONDS = 60 * 60
MAX_ADDRESS = 254


def _address(text: str | None) -> str:
    return (text or "").strip().lower()[:MAX_ADDRESS]


def request(company, address: str, source_ip: str, now: float, outbox: mail.Outbox | None = None) -> bool:
    """Count and queue one reset request; True when it was queued.

    The caller shows the same page whatever this returns."""
    address = _address(address)
    at = int(now)
    # Both counters are always counted (the same two writes for every request).
    address_key, ip_key = reset_throttle_keys(sha256(address), source_ip)
    per_address = throttles.add_failure(address_key, at, WINDOW_SECONDS, WINDOW_SECONDS)
    per_ip = throttles.add_failure(ip_key, at, WINDOW_SECONDS, WINDOW_SECONDS)
    if per_address.failures > ADDRESS_LIMIT or per_ip.failures > IP_LIMIT:
        logger.warning(
            "password reset refused: limit",
            extra={
                "ip": source_ip,
                "address_hash": sha256(address)[:16],
                "per_address": int(per_address.failures),
                "per_ip": int(per_ip.failures),
            },
        )
        return False
    if "@" not in address:
        return False
    try:
        (outbox or mail.Outbox()).put({"kind": "password_reset", "company_id": company.company_id, "address": address})
    except mail.EmailError:
        logger.exception("password reset request not queued", extra={"ip": source_ip})
        return False
    return True


def compose(job: dict, now: float) -> dict | None:
    """The consumer's half: a one-hour reset link for the login with this address that
    has access to this company, as a queue e-mail message; None when there is none."""
    company = companies.get_company(job.get("company_id") or "")
    address = _address(job.get("address"))
    if company is None or "@" not in address:
        return None
    user_id = users.user_id_for_login(email_login(address))
    user = users.get_user(user_id) if user_id else None
    if user is None or not user.active or not user.email:
        return None
    if not (
        company.company_id in (user.admin_company_ids or set())
        or users.memberships_in_company(user.user_id, company.company_id)
    ):
        return None
    secret = new_secret()
    at = int(now)
    tokens.create(
        Token(
            sha256(secret),
            kind="reset",
            user_id=user.user_id,
            company_id=company.company_id,
            created=at,
            expires_at=at + RESET_SECONDS,
            expires=at + RESET_SECONDS + 86400,
        )
    )
    audit.record(company.company_id, "password_reset_requested", actor=user.user_id)
    link = mail.company_url(company, f"/reset-password/{secret}")
    return mail.compose(company, user.email, "password_reset", user=user, link=link, valid_for="1 hour")
