"""Sessions, single-use tokens, admin-API tokens and the audit log."""

from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from .base import BaseMeta, PortalModel, UTCDateTimeAttribute, table_name


class SessionsByUser(GlobalSecondaryIndex):
    """Revoke every session of a user (password change, deactivation)."""

    class Meta:
        index_name = "by_user"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class Session(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("sessions")

    session_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the cookie value
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    account_pk = UnicodeAttribute(null=True)  # the customer account in use
    account_pks = UnicodeSetAttribute(null=True)  # every account this sign-in may switch to
    admin_company_id = UnicodeAttribute(null=True)  # "Select Dealer": the company administered
    # company id -> name of every company this login may switch to (header switcher)
    companies: MapAttribute[str, Any] = MapAttribute(null=True)
    # The second factor this sign-in proved (totp | recovery | device | passkey), or None.
    second_factor = UnicodeAttribute(null=True)
    csrf_token = UnicodeAttribute()
    created = NumberAttribute()  # epoch seconds
    last_seen = NumberAttribute()
    expires = NumberAttribute()  # TTL: absolute limit
    # Shown on /preferences/sessions; written with the session, never per request.
    user_agent = UnicodeAttribute(null=True)  # first 256 characters
    source_ip = UnicodeAttribute(null=True)  # API Gateway's sourceIp at sign-in
    by_user = SessionsByUser()


class PasskeysByUser(GlobalSecondaryIndex):
    """A login's passkeys (Preferences list, exclude list at registration)."""

    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created = NumberAttribute(range_key=True)


class Passkey(PortalModel):
    """A WebAuthn credential of one login, bound to the host (RP ID) it was registered on."""

    class Meta(BaseMeta):
        table_name = table_name("passkeys")

    credential_id = UnicodeAttribute(hash_key=True)  # base64url, as the browser sends it
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()  # the company whose host registered it
    rp_id = UnicodeAttribute()  # that host, e.g. portal.abc.example
    public_key = UnicodeAttribute()  # COSE key, base64url
    sign_count = NumberAttribute(default=0)
    name = UnicodeAttribute()  # the user's label, e.g. "Work laptop"
    created = NumberAttribute()  # epoch seconds
    last_used = NumberAttribute(null=True)
    by_user = PasskeysByUser()


class Token(PortalModel):
    """Invitation, e-mail confirmation, password reset, company hand-off, a sign-in waiting
    for its second factor, a remembered device."""

    class Meta(BaseMeta):
        table_name = table_name("tokens")

    token_hash = UnicodeAttribute(hash_key=True)
    kind = (
        UnicodeAttribute()
    )  # invite | confirm | reset | handoff | sign_in_pending | device | passkey_register | passkey_sign_in
    user_id = UnicodeAttribute(null=True)
    company_id = UnicodeAttribute()
    account_pk = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    # Hand-off codes: SHA-256 of the state the target host put in the browser's cookie.
    state_hash = UnicodeAttribute(null=True)
    # Hand-off codes and pending sign-ins: the second factor already proven (None: not yet).
    second_factor = UnicodeAttribute(null=True)
    # Hand-off codes and pending sign-ins: the known-device key of the browser the switch
    # started in (services/security_notices.py), so that browser on the target host is not
    # taken for a new device.
    device_key = UnicodeAttribute(null=True)
    next_path = UnicodeAttribute(null=True)  # pending sign-ins: where to go once proven
    epoch = NumberAttribute(null=True)  # remembered devices: User.device_epoch when made
    created = NumberAttribute()
    expires_at = NumberAttribute()  # checked in code
    used_at = NumberAttribute(null=True)
    expires = NumberAttribute()  # TTL for housekeeping (later than expires_at)


class ApiTokensListing(GlobalSecondaryIndex):
    """Every admin-API token by id (list and revoke without a Scan)."""

    class Meta:
        index_name = "listing"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)  # always LISTING: one small partition
    token_id = UnicodeAttribute(range_key=True)


class ApiToken(PortalModel):
    LISTING = "api-tokens"

    class Meta(BaseMeta):
        table_name = table_name("api-tokens")

    token_hash = UnicodeAttribute(hash_key=True)
    token_id = UnicodeAttribute()
    listing = UnicodeAttribute(default="api-tokens")
    scope = UnicodeAttribute()  # platform | company
    company_id = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)
    listing_index = ApiTokensListing()


class AuditEvent(PortalModel):
    class Meta(BaseMeta):
        table_name = table_name("audit")

    company_id = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)  # time-sortable id
    actor = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    details: MapAttribute[str, Any] = MapAttribute(default=dict)
    source_ip = UnicodeAttribute(null=True)
