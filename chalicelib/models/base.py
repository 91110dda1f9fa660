"""Shared model settings.

Table names come from the environment with a default, read when the class is
defined (PynamoDB reads Meta at class creation).  The endpoint is not set here:
botocore honours AWS_ENDPOINT_URL, so the local stack and production run the
same code with different environment variables.
"""

import os

from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.models import Model


def table_name(entity: str) -> str:
    return os.environ.get("PORTAL_TABLE_PREFIX", "portal-") + entity


def table_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class BaseMeta:
    table_name: str  # every concrete model's Meta sets it (table_name(entity))
    billing_mode = "PAY_PER_REQUEST"
    region = table_region()
    # Lambda reuses connections; keep botocore's retries modest.
    max_retry_attempts = 3


class PortalModel(Model):
    class Meta(BaseMeta):
        abstract = True


def plain_dict(value) -> dict:
    """A raw MapAttribute read from DynamoDB, or the plain dict of a new item."""
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


__all__ = ["BaseMeta", "PortalModel", "UTCDateTimeAttribute", "plain_dict", "table_name"]
