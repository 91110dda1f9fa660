"""Parts catalogue, carts, parts orders and service requests."""

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name


class PartsByNumber(GlobalSecondaryIndex):
    """Part-number prefix search ignoring case, spaces and dashes (docs/parts.md)."""

    class Meta:
        index_name = "by_number"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    number_key = UnicodeAttribute(range_key=True)  # normalised number + "#" + part_no


class BranchStock(MapAttribute):
    branch = UnicodeAttribute()
    qty = NumberAttribute(default=0)


class Part(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("parts")

    company_id = UnicodeAttribute(hash_key=True)
    part_no = UnicodeAttribute(range_key=True)  # upper-cased: number-prefix lookup
    number_key = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    unit = UnicodeAttribute(default="EA")  # unit of measure
    pack_qty = NumberAttribute(default=1)  # sold in multiples of this
    prices: MapAttribute[str, Any] = MapAttribute(default=dict)  # price level (lower case) -> cents
    qty_available = NumberAttribute(default=0)  # total; the branches' sum when sent
    branches = ListAttribute(of=BranchStock, null=True)
    superseded_by = UnicodeAttribute(null=True)  # the replacing part number
    alternates: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # the stub wants of=str
    discontinued = BooleanAttribute(default=False)
    core_charge_cents = NumberAttribute(default=0)
    erp_updated_at = UTCDateTimeAttribute()
    by_number = PartsByNumber()


class PartToken(PortalModel):
    """Description word -> part, for word search without a scan."""

    class Meta(BaseMeta):
        table_name = table_name("part-tokens")

    token_pk = UnicodeAttribute(hash_key=True)  # company#word
    part_no = UnicodeAttribute(range_key=True)


class CartLine(MapAttribute):
    part_no = UnicodeAttribute()
    quantity = NumberAttribute()
    price_cents = NumberAttribute(null=True)  # as shown when added: changes are told
    stock = UnicodeAttribute(null=True)  # availability as shown when added


class Cart(PortalModel):
    """One cart per login and account: customer_pk = company#customer, cart_id = user id."""

    class Meta(BaseMeta):
        table_name = table_name("carts")

    customer_pk = UnicodeAttribute(hash_key=True)
    cart_id = UnicodeAttribute(range_key=True)
    lines = ListAttribute(of=CartLine, default=list)
    version = NumberAttribute(default=0)  # every write is conditional on it (second tab)
    updated_at = UTCDateTimeAttribute()


class OrdersFeed(GlobalSecondaryIndex):
    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed_company = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)


class OrdersByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_pk = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)


class OrdersAwaiting(GlobalSecondaryIndex):
    """Sparse: orders still awaiting their payment, for the payment reconciler, which
    places the paid ones and expires the unpaid ones (docs/parts.md)."""

    class Meta:
        index_name = "awaiting"
        projection = KeysOnlyProjection()

    awaiting_company = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)


class PartsOrder(PortalModel):
    """Written at checkout as `awaiting_payment` (not listed, not fed); placed
    (`customer_pk` and `feed_company` set, status `placed`) once, by a conditional update,
    when its payment is approved or it is charged to account (docs/parts.md)."""

    class Meta(BaseMeta):
        table_name = table_name("parts-orders")

    company_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    customer_pk = UnicodeAttribute(null=True)  # set when placed: the customer's list
    customer_no = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute(default="placed")
    po_number = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    ship_to: MapAttribute[str, Any] = MapAttribute(null=True)  # location_id, name, address, city, state, postal_code
    pickup_branch = UnicodeAttribute(null=True)
    lines = ListAttribute(of=MapAttribute, default=list)
    total_cents = NumberAttribute(default=0)
    payment_method = UnicodeAttribute(null=True)  # account | card | ach
    payment_id = UnicodeAttribute(null=True)
    # Set (conditionally) when a payment is confirmed: from then on no other review
    # may rewrite this order, and only that payment places it.
    paying_payment_id = UnicodeAttribute(null=True)
    receipt_email = UnicodeAttribute(null=True)
    cart_version = NumberAttribute(null=True)  # the cart this order empties once placed
    carrier = UnicodeAttribute(null=True)
    tracking_no = UnicodeAttribute(null=True)
    invoice_no = UnicodeAttribute(null=True)
    backordered: MapAttribute[str, Any] = MapAttribute(null=True)  # part_no -> quantity back-ordered
    history = ListAttribute(of=MapAttribute, null=True)  # {status, at, note}
    confirmation_sent = BooleanAttribute(default=False)
    feed_company = UnicodeAttribute(null=True)
    awaiting_company = UnicodeAttribute(null=True)  # set only while awaiting payment (index `awaiting`)
    feed_acked_at = UTCDateTimeAttribute(null=True)  # set when the ERP acknowledged it
    erp_updated_at = UTCDateTimeAttribute(null=True)  # time of the ERP's last status
    placed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    feed = OrdersFeed()
    by_customer = OrdersByCustomer()
    awaiting = OrdersAwaiting()


class ServiceRequest(PortalModel):
    """A customer's service request (docs/service-requests.md).

    `order_id` is time-sortable (chalicelib/ids.py): lists are newest first by key.
    A request is a `draft` while photos may still be added; sending it sets
    `feed_company` (the ERP's feed) and queues the e-mails.  The ERP's status pushes
    carry `erp_updated_at`: an older push never overwrites a newer one.
    """

    class Meta(BaseMeta):
        table_name = table_name("service-requests")

    company_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    customer_pk = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    user_id = UnicodeAttribute()
    status = UnicodeAttribute(default="submitted")  # draft | submitted | received | ...
    equipment_serial = UnicodeAttribute(null=True)
    equipment_brand = UnicodeAttribute(null=True)
    equipment_model = UnicodeAttribute(null=True)
    equipment_on_file = BooleanAttribute(default=False)  # one of the customer's units
    description = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)
    location_name = UnicodeAttribute(null=True)
    preferred_date = UnicodeAttribute(null=True)  # ISO date: first day that suits
    preferred_date_to = UnicodeAttribute(null=True)  # ISO date: last day that suits
    time_window = UnicodeAttribute(null=True)  # any | morning | afternoon
    contact_name = UnicodeAttribute(null=True)
    contact_phone = UnicodeAttribute(null=True)
    contact_email = UnicodeAttribute(null=True)
    photo_keys: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # the stub wants of=str; documents bucket
    submitted_at = UTCDateTimeAttribute(null=True)
    scheduled_date = UnicodeAttribute(null=True)  # ISO date, from the ERP
    work_order_no = UnicodeAttribute(null=True)  # the ERP's work order (an invoice number)
    erp_note = UnicodeAttribute(null=True)
    erp_updated_at = UTCDateTimeAttribute(null=True)
    feed_company = UnicodeAttribute(null=True)
    awaiting_company = UnicodeAttribute(null=True)  # set only while awaiting payment (index `awaiting`)
    feed_acked_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    feed = OrdersFeed()
    by_customer = OrdersByCustomer()
    awaiting = OrdersAwaiting()


class PaymentReservations(PortalModel):
    """One item per customer account: the portal payments that hold part of what the
    account has open, so concurrent payments can never together pay more than that
    (docs/payments.md).

    `holds` maps a payment id to {"cents": amount, "invoices": {invoice_no: cents}, and
    what the balance pages show of it: "kind", "method", "status", "created", "masked",
    "counts"} from the moment the payment is confirmed until it is declined, failed,
    voided, returned or applied by the ERP.  A refund holds negative cents (it reopens
    what it gives back).  So the holds that count are the account's unapplied portal
    payments, read with the request context instead of a Query (docs/balance.md).
    `version` rises with every change: a reservation is written only over the version
    it checked.
    """

    class Meta(BaseMeta):
        table_name = table_name("payment-reservations")

    account_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    holds: MapAttribute[str, Any] = MapAttribute(default=dict)
    # Optimistic locking: PynamoDB writes the item only over the version it was read at
    # and raises it (repositories/payments.py); changes that need no check raise it too.
    version = VersionAttribute()
