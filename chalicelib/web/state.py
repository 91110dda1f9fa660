"""What the middleware learned about the current request, for routes and templates."""

import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..repositories import accounts

if TYPE_CHECKING:  # the model modules load on the first request (chalicelib/models/__init__.py)
    from ..models import Cart, Company, Customer, Session, User, WebAccess
    from ..repositories.accounts import Location
    from ..repositories.request_context import BalanceItems


@dataclass
class Account:
    """The customer account the signed-in user is working on."""

    company_id: str
    customer_no: str
    web_access: "WebAccess | None"
    dealer_codes: list[str]
    # The account's AR totals and reservation items, read with the request context
    # (repositories/request_context.py): the balance pages' own reads.
    balance_items: "BalanceItems | None" = None
    # Read with the same BatchGetItem: the bill-to row (name, terms, locations, price level,
    # charge to account) and the login's cart (the header's badge; the cart and checkout
    # pages start from it).
    bill_to: "Customer | None" = None
    cart: "Cart | None" = None

    # What comes from the bill-to row is read from it, never copied, so it cannot disagree.
    @property
    def name(self) -> str:
        return self.bill_to.name if self.bill_to is not None else self.customer_no

    @property
    def terms_days(self) -> int:
        """Due date = invoice date + terms when the ERP gives none."""
        return int(self.bill_to.terms_days or 30) if self.bill_to is not None else 30

    @property
    def locations(self) -> "list[Location] | None":
        """The Location filter's choices as the bill-to lists them (None: not listed there)."""
        return accounts.listed_locations(self.bill_to)

    @property
    def cart_count(self) -> int:
        return len(self.cart.lines or []) if self.cart is not None else 0

    @property
    def access_type(self) -> str:
        return self.web_access.access_type if self.web_access else "Retail"


@dataclass
class RequestState:
    company: "Company | None"
    source_ip: str
    path: str  # from the app's root, e.g. "/orders" (without path_prefix)
    # What API Gateway removed from the public path before routing: "/api" (the stage)
    # on its own execute-api URL, "" on a custom domain.  Links, redirects and
    # cookie paths get it back (chalicelib/web/middleware.py).
    path_prefix: str = ""
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    session: "Session | None" = None
    user: "User | None" = None
    account: Account | None = None
    anon_csrf: str | None = None  # double-submit value for pages before sign-in
    set_anon_csrf: bool = False
    cookies: list[str] = field(default_factory=list)  # extra Set-Cookie values
    referrer_policy: str = "strict-origin-when-cross-origin"
    form_targets: list[str] = field(default_factory=list)  # extra form-action origins (S3 upload)
    # Origins whose scripts and frames this page needs (the gateway's hosted fields).
    frame_origins: list[str] = field(default_factory=list)
    # Dealer Administration (guards.administrator): the company being administered
    # ("Select Dealer"; may differ from the host's company) and every company this
    # administrator manages, for the drop-down.
    embedded_email: bool = False  # dev mailbox frame: e-mail HTML with its inline styles
    managed_company: "Company | None" = None
    admin_companies: "list[Company]" = field(default_factory=list)

    @property
    def csrf_token(self) -> str:
        if self.session is not None:
            return self.session.csrf_token
        if self.anon_csrf is None:
            self.anon_csrf = secrets.token_urlsafe(32)
            self.set_anon_csrf = True
        return self.anon_csrf

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.company and self.company.company_id in (self.user.admin_company_ids or set()))


def of(request) -> RequestState:
    return request.portal_state


# The state of the request being handled, for guards that serve every blueprint (they
# have no blueprint's `current_request` to ask).  Set by the middleware before routing;
# per thread, as `chalice local` serves each request on a thread of its own.
_current = threading.local()


def begin(state: RequestState) -> None:
    _current.state = state


def current() -> RequestState:
    return _current.state
