"""Invoices / work orders, the ledger, statements and portal payments."""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name

# Money is stored as integer cents (NumberAttribute of int): never float.


class InvoiceLine(MapAttribute):
    line_no = NumberAttribute()
    part_no = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    qty_ordered = NumberAttribute(default=0)
    qty_shipped = NumberAttribute(default=0)
    qty_backordered = NumberAttribute(default=0)
    price_cents = NumberAttribute(default=0)
    extension_cents = NumberAttribute(default=0)
    expected_on = UnicodeAttribute(null=True)


class InvoicesByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    state_key = UnicodeAttribute(range_key=True)  # open|closed#date#invoice_no


class InvoicesByDealer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_dealer"
        projection = AllProjection()

    dealer_pk = UnicodeAttribute(hash_key=True)  # company#dealer_code
    state_key = UnicodeAttribute(range_key=True)


class InvoicesByCustomerDate(GlobalSecondaryIndex):
    """Every invoice of a customer by date, whatever its state (purchase history)."""

    class Meta:
        index_name = "by_customer_date"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)
    date_key = UnicodeAttribute(range_key=True)  # date#invoice_no


class OpenArInvoices(GlobalSecondaryIndex):
    """Sparse: only invoices with a balance due carry `ar_pk`."""

    class Meta:
        index_name = "ar_open"
        projection = AllProjection()

    ar_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    due_key = UnicodeAttribute(range_key=True)  # due date#invoice_no


class Invoice(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("invoices")

    pk = UnicodeAttribute(hash_key=True)  # company#invoice_no
    company_id = UnicodeAttribute()
    invoice_no = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    customer_pk = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)
    dealer_code = UnicodeAttribute(null=True)
    dealer_pk = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # open | closed
    state_key = UnicodeAttribute()
    date_key = UnicodeAttribute()
    status = UnicodeAttribute(null=True)  # ERP wording: received, scheduled, ...
    status_dates: MapAttribute[str, Any] = MapAttribute(default=dict)
    invoice_date = UnicodeAttribute()  # ISO date
    due_date = UnicodeAttribute(null=True)
    po_number = UnicodeAttribute(null=True)
    ship_to = UnicodeAttribute(null=True)
    equipment_serial = UnicodeAttribute(null=True)
    lines = ListAttribute(of=InvoiceLine, default=list)
    subtotal_cents = NumberAttribute(default=0)
    tax_cents = NumberAttribute(default=0)
    total_cents = NumberAttribute(default=0)
    balance_cents = NumberAttribute(default=0)  # the ERP's balance
    applied_payment_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # the stub wants of=str
    ar_pk = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)
    erp_updated_at = UTCDateTimeAttribute()
    by_customer = InvoicesByCustomer()
    by_customer_date = InvoicesByCustomerDate()
    by_dealer = InvoicesByDealer()
    ar_open = OpenArInvoices()


class OpenCredits(GlobalSecondaryIndex):
    """Sparse: only credit memos and payments the ERP has not applied to an invoice
    (wholly or in part) carry `credit_pk` (docs/balance.md)."""

    class Meta:
        index_name = "open_credits"
        projection = AllProjection()

    credit_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    entry_key = UnicodeAttribute(range_key=True)


class LedgerEntry(PortalModel):
    """ERP-recorded account activity: counter payments, credit memos, balance forward."""

    class Meta(BaseMeta):
        table_name = table_name("ledger")

    customer_pk = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # date#entry_id
    kind = UnicodeAttribute()  # payment | credit | balance_forward | invoice
    reference = UnicodeAttribute(null=True)
    amount_cents = NumberAttribute()
    entry_date = UnicodeAttribute()
    # Credit memos and payments: the part the ERP has not applied to any invoice yet
    # (positive cents; an open credit lowers the balance due, docs/balance.md).
    open_cents = NumberAttribute(null=True)
    credit_pk = UnicodeAttribute(null=True)  # set only while open_cents > 0
    erp_updated_at = UTCDateTimeAttribute()
    open_credits = OpenCredits()


class Statement(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("statements")

    customer_pk = UnicodeAttribute(hash_key=True)
    statement_date = UnicodeAttribute(range_key=True)
    balance_cents = NumberAttribute()
    pdf_key = UnicodeAttribute(null=True)
    erp_updated_at = UTCDateTimeAttribute()


class PaymentsByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)


class PendingPayments(GlobalSecondaryIndex):
    """Sparse: reconciler finds payments still `pending` with the gateway."""

    class Meta:
        index_name = "pending"
        projection = KeysOnlyProjection()

    pending_company = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)


class UnexportedPayments(GlobalSecondaryIndex):
    """Sparse: the ERP feed; the attribute is removed when the ERP acknowledges."""

    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed_company = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)


class UnappliedPayments(GlobalSecondaryIndex):
    """Sparse: approved portal payments the ERP has not yet applied (docs/balance.md)."""

    class Meta:
        index_name = "unapplied"
        projection = AllProjection()

    unapplied_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    payment_id = UnicodeAttribute(range_key=True)


class ReceiptsDue(GlobalSecondaryIndex):
    """Sparse: approved payments whose receipt e-mail is not sent yet (retried by the reconciler)."""

    class Meta:
        index_name = "receipts_due"
        projection = KeysOnlyProjection()

    receipt_company = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)


class Payment(PortalModel):
    """A portal payment (docs/payments.md): written `pending` before the gateway is called.

    Status: pending → approved | declined | failed (conditional on `pending`);
    approved → voided.  A refund is its own row (`kind` "refund", negative amount,
    `refund_of` the sale).  `unapplied_pk` is set while the payment lowers the shown
    balances (pending or approved, until the ERP applies it); `feed_company` while
    the ERP has not acknowledged its latest state.
    """

    class Meta(BaseMeta):
        table_name = table_name("payments")

    company_id = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute(range_key=True)  # time-sortable; = externalTransactionId
    customer_no = UnicodeAttribute()
    customer_pk = UnicodeAttribute()
    user_id = UnicodeAttribute()
    method = UnicodeAttribute()  # card | ach
    status = UnicodeAttribute()  # pending | approved | declined | failed | settled | returned
    amount_cents = NumberAttribute()
    allocations: MapAttribute[str, Any] = MapAttribute(default=dict)  # invoice_no -> cents
    gateway_id = UnicodeAttribute(null=True)  # uniqueTransId
    masked_account = UnicodeAttribute(null=True)
    result_message = UnicodeAttribute(null=True)
    pending_company = UnicodeAttribute(null=True)
    feed_company = UnicodeAttribute(null=True)
    feed_acked_at = UTCDateTimeAttribute(null=True)  # set when the ERP acknowledged it
    unapplied_pk = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="payment")  # payment | refund
    refund_of = UnicodeAttribute(null=True)  # refund rows: the sale's payment id
    parts_order_id = UnicodeAttribute(null=True)  # a parts order's payment (no invoices)
    refunded_cents = NumberAttribute(default=0)  # sales: approved refunds so far
    idempotency_key = UnicodeAttribute(null=True)  # the same on every retry
    transaction_token = UnicodeAttribute(null=True)  # hosted-fields token (not a card number)
    billing_name = UnicodeAttribute(null=True)
    billing_zip = UnicodeAttribute(null=True)
    receipt_email = UnicodeAttribute(null=True)
    account_type = UnicodeAttribute(null=True)  # ACH: Checking | Savings
    approval_number = UnicodeAttribute(null=True)
    card_type = UnicodeAttribute(null=True)
    needs_attention = BooleanAttribute(default=False)  # the reconciler could not resolve it
    reconcile_attempts = NumberAttribute(default=0)
    receipt_company = UnicodeAttribute(null=True)
    receipt_sent_at = UTCDateTimeAttribute(null=True)
    erp_updated_at = UTCDateTimeAttribute(null=True)  # ERP's time of the ACH settlement/return
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    by_customer = PaymentsByCustomer()
    unapplied = UnappliedPayments()
    pending = PendingPayments()
    feed = UnexportedPayments()
    receipts_due = ReceiptsDue()


class ArTotals(PortalModel):
    """One account's open AR in cents per day: /account's aging in one GetItem.

    Aging buckets move with the calendar, so the totals are kept per day, not per
    bucket: `by_due` for invoices with an ERP due date, `by_invoice_date` for those
    without (the customer's terms are added when read).  Moved by every ERP write of
    an invoice (`repositories.ar_totals`).
    """

    class Meta(BaseMeta):
        table_name = table_name("ar-totals")

    ar_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    by_due: MapAttribute[str, Any] = MapAttribute(default=dict)  # ISO date -> cents
    by_invoice_date: MapAttribute[str, Any] = MapAttribute(default=dict)
    open_count = NumberAttribute(default=0)
    # Open credits (credit memos, unapplied cash) in cents, moved by every ERP write of
    # a ledger entry in the same transaction (`repositories.ar_totals.save_ledger_entry`).
    open_credits_cents = NumberAttribute(default=0)
    erp_updated_at = UTCDateTimeAttribute(null=True)  # the latest invoice write counted
    version = NumberAttribute(default=0)  # +1 on every move: a recount saves only over what it read
    # The newest payment in the ERP's ledger ({"entry_key", "day", "cents"}; {}: none), for the
    # home page, moved by every ERP write of a ledger payment (`repositories.ar_totals`).
    # Absent on items from before it: the home page reads the ledger once and stores it.
    last_payment: MapAttribute[str, Any] = MapAttribute(null=True)
    # The ERP's newest statements (ISO statement date -> balance cents, at most
    # `repositories.statements.PAST_STATEMENTS`) for /statements, moved by every ERP write of a
    # statement.  Absent on items from before it: the statements page reads them once and stores them.
    statements: MapAttribute[str, Any] = MapAttribute(null=True)


class OpenJournals(GlobalSecondaryIndex):
    class Meta:
        index_name = "open_journals"
        projection = AllProjection()

    state = UnicodeAttribute(hash_key=True)  # always "open"
    created_at = UTCDateTimeAttribute(range_key=True)


class ArJournal(PortalModel):
    """The accounts one ERP batch of invoices may move, written before its first invoice
    and deleted once their totals have moved: a batch cut off in between leaves it for
    the repair job, which recounts those accounts (`repositories.ar_totals`)."""

    class Meta(BaseMeta):
        table_name = table_name("ar-journal")

    journal_id = UnicodeAttribute(hash_key=True)
    accounts = UnicodeSetAttribute()  # ar_pk = company#customer_no
    state = UnicodeAttribute(default="open")
    created_at = UTCDateTimeAttribute()
    open_journals = OpenJournals()
