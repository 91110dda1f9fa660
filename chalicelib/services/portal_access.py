"""What an administrator changes about one customer account: portal access
(inactivate / reactivate), its web access (EPASS web tab) and its credentials.

None of this touches the ERP's own data (`Customer.erp_active` stays as the ERP
pushed it).  Ending access takes effect at the customer's next click: the
middleware re-reads the session's membership on every request.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..ids import new_id
from ..models import Company, LoginName, Membership, User, WebAccess
from ..models.base import plain_dict
from ..repositories import accounts, admin_customers, audit, users
from ..repositories.keys import account_pk, customer_no_of, name_login
from . import auth, passwords, sessions
from .menu import DEALER, RETAIL

# Per-customer page flags (the EPASS web tab), in the order the editor shows them.
PAGE_FLAGS = [
    ("orders", "Current orders"),
    ("open_parts", "Open parts list"),
    ("history", "History"),
    ("parts", "Parts lookup"),
    ("account", "Account (open invoices)"),
    ("account_history", "Account history"),
    ("purchases", "Purchase history"),
    ("equipment", "Equipment"),
    ("statements", "Statements"),
    ("payments", "Payments"),
    ("service", "Service requests"),
    ("dealer_orders", "Dealer open orders"),
    ("dealer_history", "Dealer history"),
]
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")


def _utc(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


# ------------------------------------------------------------------ access
def set_portal_access(company: Company, customer_no: str, active: bool, actor: User, source_ip: str, now: float) -> str:
    """Inactivate or reactivate every portal login of one account; returns a notice."""
    company_id = company.company_id
    memberships = admin_customers.account_memberships(company_id, customer_no)
    changed = 0
    for membership in memberships:
        if not active and membership.status != "inactive":
            users.set_membership_status(membership, "inactive")
            changed += 1
        elif active and membership.status == "inactive":
            # A pending invitation stays pending; any other login gets its access back.
            users.set_membership_status(membership, "invited" if membership.invite_token_hash else "active")
            changed += 1
    web = accounts.get_web_access(company_id, customer_no) or WebAccess(account_pk(company_id, customer_no))
    web.portal_active = active
    web.updated_at = _utc(now)
    web.save()
    admin_customers.refresh_summary(company_id, customer_no)
    audit.record(
        company_id,
        "portal_reactivated" if active else "portal_inactivated",
        actor=actor.user_id,
        source_ip=source_ip,
        customer_no=customer_no,
        logins=changed,
    )
    if active:
        return f"Portal access of {customer_no} restored ({changed} login(s))."
    return f"Portal access of {customer_no} removed ({changed} login(s)); their open sessions end at their next click."


# -------------------------------------------------------------- web access
@dataclass
class WebAccessForm:
    access_type: str = RETAIL
    search_all: bool = False
    pages: dict[str, bool] = field(default_factory=dict)
    user_name: str = ""
    password: str = ""

    @classmethod
    def parse(cls, form: dict) -> "WebAccessForm":
        return cls(
            access_type=form.get("access_type", RETAIL),
            search_all=form.get("search_all") == "on",
            pages={key: form.get(f"page_{key}") == "on" for key, _ in PAGE_FLAGS},
            user_name=(form.get("user_name") or "").strip()[:60],
            password=(form.get("password") or "")[: passwords.MAX_LENGTH + 1],
        )

    @classmethod
    def of(cls, web: WebAccess | None) -> "WebAccessForm":
        pages = plain_dict(web.pages) if web else {}
        return cls(
            access_type=web.access_type if web else RETAIL,
            search_all=bool(web and web.search_all),
            pages={key: pages.get(key) is not False for key, _ in PAGE_FLAGS},
            user_name=(web.user_name or "") if web else "",
        )


def read_only_reason(company: Company) -> str | None:
    if (company.web_access_owner or "portal") == "erp":
        return (
            f"{company.name} manages web access in its ERP: these settings are shown "
            "read-only here and change with the next ERP update."
        )
    return None


def save_web_access(
    company: Company, customer_no: str, form: WebAccessForm, actor: User, source_ip: str, now: float
) -> str | None:
    """Store the web tab; an error message (nothing written) or None."""
    reason = read_only_reason(company)
    if reason:
        return reason
    if form.access_type not in (RETAIL, DEALER):
        return "Choose Retail or Dealer as the access type."
    company_id = company.company_id
    web = accounts.get_web_access(company_id, customer_no) or WebAccess(account_pk(company_id, customer_no))
    error = _check_credentials(company, web, form.user_name, form.password)
    if error:
        return error
    if form.user_name or form.password:
        error = set_credentials(company, customer_no, web, form.user_name or web.user_name, form.password, now)
        if error:
            return error
    web.access_type = form.access_type
    web.search_all = form.search_all
    web.pages = {key: value for key, value in form.pages.items()}
    web.updated_at = _utc(now)
    web.save()
    admin_customers.refresh_summary(company_id, customer_no)
    audit.record(
        company_id,
        "web_access_changed",
        actor=actor.user_id,
        source_ip=source_ip,
        customer_no=customer_no,
        access_type=form.access_type,
        search_all=form.search_all,
        hidden=",".join(k for k, v in form.pages.items() if not v) or "-",
        user_name=web.user_name or "-",
        new_password=bool(form.password),
    )
    return None


def _check_credentials(company, web, user_name, password) -> str | None:
    if user_name and not USER_NAME.match(user_name):
        return (
            "A user name has 2 to 40 letters, digits, dots, dashes or underscores, and starts with a letter or digit."
        )
    if user_name and "@" in user_name:
        return "A user name cannot contain @."
    if password:
        existing = users.get_user(web.login_user_id) if web.login_user_id else None
        # A first password: the login must change it at first sign-in (set_credentials).
        error = passwords.first_password_error(
            existing, password, also=[user_name, web.user_name, customer_no_of(web.pk)]
        )
        if error:
            return f"First password: {error}"
    if (user_name or password) and not web.login_user_id and not (user_name and password):
        return "A new portal login needs both a user name and a first password."
    return None


def set_credentials(
    company: Company, customer_no: str, web: WebAccess, user_name: str, password: str, now: float
) -> str | None:
    """Create or update the account's user-name login; a new password must be changed
    at the next sign-in and expires after the company's generated-password days."""
    company_id = company.company_id
    expires = auth.generated_password_expiry(company, now)
    pk = account_pk(company_id, customer_no)
    user = users.get_user(web.login_user_id) if web.login_user_id else None
    if user is not None:
        if user_name and user_name.lower() != (web.user_name or "").lower():
            if not users.claim_login_name(name_login(company_id, user_name), user.user_id):
                return f"The user name {user_name} is already taken."
            if web.user_name:
                LoginName(name_login(company_id, web.user_name)).delete()
        if password:
            users.set_password(
                user, passwords.hash_password(password), _utc(now), must_change=True, generated_expires_at=expires
            )
            sessions.end_all_for_user(user.user_id)
        if users.get_membership_by_pk(user.user_id, pk) is None:
            users.save_membership(
                Membership(
                    user.user_id,
                    pk,
                    company_id=company_id,
                    customer_no=customer_no,
                    status="active",
                    activated_at=_utc(now),
                )
            )
    else:
        customer = accounts.bill_to(company_id, customer_no)
        user = User(
            new_id(),
            name=customer.name if customer else customer_no,
            password_hash=passwords.hash_password(password),
            must_change_password=True,
            generated_password_expires_at=expires,
            created_at=_utc(now),
        )
        try:
            users.create_user(user, [name_login(company_id, user_name)])
        except users.LoginTaken:
            return f"The user name {user_name} is already taken."
        users.save_membership(
            Membership(
                user.user_id,
                pk,
                company_id=company_id,
                customer_no=customer_no,
                status="active",
                activated_at=_utc(now),
            )
        )
        web.login_user_id = user.user_id
    web.user_name = user_name or web.user_name
    return None


def access_type_of(company_id: str, customer_no: str) -> str:
    web = accounts.get_web_access(company_id, customer_no)
    return web.access_type if web else RETAIL


def new_first_password() -> str:
    """A readable generated first password (the customer must change it)."""
    return "-".join(secrets.token_hex(3) for _ in range(3))


def contact_emails(company_id: str, customer_no: str) -> list[str]:
    from .invitations import email_problem

    return [c.email.strip() for c in admin_customers.contacts(company_id, customer_no) if not email_problem(c)]


def send_credentials(
    company: Company,
    customer_no: str,
    to: str,
    user_name: str,
    password: str,
    actor: User,
    source_ip: str,
    now: float,
    outbox=None,
) -> str | None:
    """The EPASS credentials e-mail: set the login's user name and first password
    (forced change), then e-mail them in the company's format.  An error or None."""
    from . import credentials_email

    if to.lower() not in {e.lower() for e in contact_emails(company.company_id, customer_no)}:
        return "Choose one of this customer's valid contact e-mails."
    web = accounts.get_web_access(company.company_id, customer_no) or WebAccess(
        account_pk(company.company_id, customer_no)
    )
    user_name = user_name or web.user_name or customer_no
    error = _check_credentials(company, web, user_name, password) if password else "Enter the first password to send."
    if error:
        return error
    customer = accounts.bill_to(company.company_id, customer_no)
    try:  # refuse before changing anything when the format cannot be rendered
        credentials_email.render(company, customer, user_name, password)
    except credentials_email.CredentialsEmailError as failure:
        return str(failure)
    error = set_credentials(company, customer_no, web, user_name, password, now)
    if error:
        return error
    web.updated_at = _utc(now)
    web.save()
    admin_customers.refresh_summary(company.company_id, customer_no)
    try:
        credentials_email.send(company, to, customer, user_name, password, outbox=outbox)
    except credentials_email.CredentialsEmailError as failure:
        return (
            f"The user name and first password were set, but the e-mail to {to} could not "
            f"be sent ({str(failure)[-120:]}). Send it again with a new password."
        )
    audit.record(
        company.company_id,
        "credentials_sent",
        actor=actor.user_id,
        source_ip=source_ip,
        customer_no=customer_no,
        email=to,
        user_name=user_name,
    )
    return None
