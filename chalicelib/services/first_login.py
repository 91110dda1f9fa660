"""Auto-generated credentials on add invoice (EPASS; README "Security at a glance").

When a NEW invoice arrives for a customer nobody can sign in for yet, and the company
has `auto_credentials` on: user name = customer number, first password = invoice number
(argon2id; must be changed at first sign-in; expires after `generated_password_days`),
an active membership of the account, and the company's credentials e-mail to the
customer's primary contact.  With `credentials_delivery = "link"` no password is set:
the e-mail carries a single-use set-password link (7 days) instead.
Problems never fail the invoice: they come back as warnings.
"""

from .. import clock
from ..ids import new_id
from ..logs import logger
from ..models import Company, Invoice, Membership, User, WebAccess
from ..repositories import accounts, audit, erp, users
from ..repositories.keys import account_pk, name_login
from . import auth, credentials_email, passwords


def provision(company: Company, invoice: Invoice, outbox=None) -> list[str]:
    if not company.auto_credentials:
        return []
    company_id, customer_no = company.company_id, invoice.customer_no
    login_key = name_login(company_id, customer_no)
    if users.user_id_for_login(login_key) or erp.has_members(company_id, customer_no):
        return []  # the customer already has a portal sign-in
    now = clock.now()
    by_link = (company.credentials_delivery or "password") == "link"
    user = User(
        new_id(),
        name=None,
        password_hash=None if by_link else passwords.hash_password(invoice.invoice_no),
        must_change_password=not by_link,
        generated_password_expires_at=None if by_link else auth.generated_password_expiry(company, now),
        created_at=clock.utcnow(),
    )
    membership = Membership(
        user.user_id,
        account_pk(company_id, customer_no),
        company_id=company_id,
        customer_no=customer_no,
        status="active",
        activated_at=clock.utcnow(),
    )
    try:
        users.create_generated_login(user, login_key, membership)
    except Exception:  # the user name was claimed meanwhile: someone else provisioned it
        logger.info("generated login already exists", extra={"company": company_id})
        return []
    web_access = accounts.get_web_access(company_id, customer_no)
    if web_access is None:
        WebAccess(account_pk(company_id, customer_no), user_name=customer_no, updated_at=clock.utcnow()).save()
    elif not web_access.user_name:
        web_access.update(actions=[WebAccess.user_name.set(customer_no)])
    audit.record(
        company_id,
        "generated_login_created",
        actor="erp",
        user=user.user_id,
        customer_no=customer_no,
        invoice_no=invoice.invoice_no,
        delivery="link" if by_link else "password",
    )
    return _send(company, user, customer_no, invoice, by_link, outbox)


def _send(company, user, customer_no, invoice, by_link, outbox) -> list[str]:
    from .platform import set_password_link

    customer = accounts.bill_to(company.company_id, customer_no)
    to = credentials_email.primary_email(erp.contacts(company.company_id, customer_no))
    if to is None:
        audit.record(
            company.company_id,
            "credentials_not_sent",
            actor="erp",
            customer_no=customer_no,
            reason="no valid contact e-mail",
        )
        return [f"login {customer_no} created, but the customer has no valid contact e-mail: credentials not sent"]
    link = set_password_link(company, user.user_id) if by_link else None
    try:
        credentials_email.send(
            company,
            to,
            customer or customer_no,
            customer_no,
            None if by_link else invoice.invoice_no,
            link=link,
            outbox=outbox,
        )
    except credentials_email.CredentialsEmailError as error:
        logger.warning("credentials e-mail not sent", extra={"company": company.company_id, "reason": str(error)})
        audit.record(
            company.company_id, "credentials_not_sent", actor="erp", customer_no=customer_no, reason=str(error)[:200]
        )
        return [f"login {customer_no} created, but the credentials e-mail was not sent: {error}"]
    audit.record(company.company_id, "credentials_sent", actor="erp", customer_no=customer_no)
    return []
