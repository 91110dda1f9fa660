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
    # Two-factor (chalicelib/services/two_factor.py, docs/security.md "Two-factor sign-in").
    totp_secret = UnicodeAttribute(null=True)  # base32; set once an enrolment is confirmed
    totp_pending_secret = UnicodeAttribute(null=True)  # shown during enrolment, until confirmed
    totp_enabled_at = UTCDateTimeAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)  # newest time step accepted: never again
    recovery_code_hashes = UnicodeSetAttribute(null=True)  # each removed when used
    # Remembered devices carry the epoch they were made in; adding 1 revokes them all.
    device_epoch = NumberAttribute(default=0)

    # SHA-256 prefixes of the device cookies this login has signed in from (new-device e-mail;
    # chalicelib/services/security_notices.py).  Read with the user at sign-in: no extra call.
    known_devices = UnicodeSetAttribute(null=True)


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
