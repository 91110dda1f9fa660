"""Statements: the current one on screen, its PDF, and the ERP's past statements."""

from chalice import Blueprint, NotFoundError

from ..services import account as account_service
from ..services import documents, statements
from .guards import customer_page
from .pages import page, redirect

bp = Blueprint(__name__)
PAY_URL = "/account/pay"  # the payments page (pay on account)


@bp.route("/statements", methods=["GET"])
@customer_page("statements")
def statement(state):
    view = statements.current(
        state.company, state.account.customer_no, terms_days=state.account.terms_days, items=state.account.balance_items
    )
    return page(bp.current_request, "statements.html", view=view, buckets=account_service.BUCKETS, pay_url=PAY_URL)


@bp.route("/statements/{statement_date}/pdf", methods=["GET"])
@customer_page("statements")
def statement_pdf(state, statement_date):
    """`current`, or the date of a statement the ERP sent this account; anything else is 404."""
    url = documents.statement_pdf_url(
        state.company,
        state.account.customer_no,
        statement_date[:20],
        bill_to=state.account.name,
        terms_days=state.account.terms_days,
    )
    if url is None:
        raise NotFoundError("Page not found")
    return redirect(url)
