"""People who sign in, the names they sign in with, and what they may see."""
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name


class User(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("users")

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    must_change_password = BooleanAttribute(default=False)
    generated_password_expires_at = UTCDateTimeAttribute(null=True)
    email_confirmed_at = UTCDateTimeAttribute(null=True)
    admin_company_ids = UnicodeSetAttribute(null=True)  # dealer administrator of
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    password_changed_at = UTCDateTimeAttribute(null=True)


class LoginName(PortalModel):
    """`email#<address>` (global) or `name#<company>#<user name>` -> user id."""

    class Meta(BaseMeta):
        table_name = table_name("login-names")

    login = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


class MembershipsByAccount(GlobalSecondaryIndex):
    """Who has access to one customer account (admin list, deactivation)."""

    class Meta:
        index_name = "by_account"
        projection = KeysOnlyProjection()

    account_pk = UnicodeAttribute(hash_key=True)  # company#customer_no
    user_id = UnicodeAttribute(range_key=True)


class Membership(PortalModel):
    """A user's access to one customer account of one company."""

    class Meta(BaseMeta):
        table_name = table_name("memberships")

    user_id = UnicodeAttribute(hash_key=True)
    account_pk = UnicodeAttribute(range_key=True)  # company#customer_no
    company_id = UnicodeAttribute()
    customer_no = UnicodeAttribute()
    status = UnicodeAttribute(default="active")  # invited | active | inactive
    invited_at = UTCDateTimeAttribute(null=True)
    last_invited_at = UTCDateTimeAttribute(null=True)
    activated_at = UTCDateTimeAttribute(null=True)
    invited_email = UnicodeAttribute(null=True)
    invite_token_hash = UnicodeAttribute(null=True)  # only the latest invitation link works
    by_account = MembershipsByAccount()


class Throttle(PortalModel):
    """Failed sign-in counter for one account name or one source IP (TTL)."""

    class Meta(BaseMeta):
        table_name = table_name("throttles")

    key = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    window_ends = NumberAttribute()  # epoch seconds
    locked_until = NumberAttribute(default=0)
    expires = NumberAttribute()  # DynamoDB TTL attribute
