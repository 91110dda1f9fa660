"""Parts catalogue, carts, parts orders and service requests."""
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name


class Part(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("parts")

    company_id = UnicodeAttribute(hash_key=True)
    part_no = UnicodeAttribute(range_key=True)  # upper-cased: number-prefix lookup
    description = UnicodeAttribute()
    prices = MapAttribute(default=dict)  # price level -> cents
    qty_available = NumberAttribute(default=0)
    erp_updated_at = UTCDateTimeAttribute()


class PartToken(PortalModel):
    """Description word -> part, for word search without a scan."""

    class Meta(BaseMeta):
        table_name = table_name("part-tokens")

    token_pk = UnicodeAttribute(hash_key=True)  # company#word
    part_no = UnicodeAttribute(range_key=True)


class CartLine(MapAttribute):
    part_no = UnicodeAttribute()
    quantity = NumberAttribute()


class Cart(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("carts")

    customer_pk = UnicodeAttribute(hash_key=True)
    cart_id = UnicodeAttribute(range_key=True)
    lines = ListAttribute(of=CartLine, default=list)
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


class PartsOrder(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("parts-orders")

    company_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    customer_pk = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    user_id = UnicodeAttribute()
    po_number = UnicodeAttribute(null=True)
    lines = ListAttribute(of=MapAttribute, default=list)
    total_cents = NumberAttribute(default=0)
    feed_company = UnicodeAttribute(null=True)
    feed_acked_at = UTCDateTimeAttribute(null=True)  # set when the ERP acknowledged it
    created_at = UTCDateTimeAttribute()
    feed = OrdersFeed()
    by_customer = OrdersByCustomer()


class ServiceRequest(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("service-requests")

    company_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute(range_key=True)
    customer_pk = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    user_id = UnicodeAttribute()
    equipment_serial = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    preferred_date = UnicodeAttribute(null=True)
    feed_company = UnicodeAttribute(null=True)
    feed_acked_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    feed = OrdersFeed()
    by_customer = OrdersByCustomer()


class PaymentReservations(PortalModel):
    """One item per customer account: the portal payments that hold part of what the
    account has open, so concurrent payments can never together pay more than that
    (docs/payments.md).

    `holds` maps a payment id to {"cents": amount, "invoices": {invoice_no: cents}}
    from the moment the payment is confirmed until it is declined, failed, voided,
    returned or applied by the ERP.  A refund holds negative cents (it reopens what it
    gives back).  `version` rises with every new hold: a reservation is written only
    over the version it checked.
    """

    class Meta(BaseMeta):
        table_name = table_name("payment-reservations")

    account_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    holds = MapAttribute(default=dict)
    version = NumberAttribute(default=0)
