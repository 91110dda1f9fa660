"""boto3 clients, made lazily (cold starts stay short; tests start moto first).

Endpoints and credentials come from the environment (AWS_ENDPOINT_URL on the
local stack), so production and the local stack run the same code.
"""
import functools
from typing import Optional

from . import config


@functools.cache
def client(service: str, signature_version: Optional[str] = None):
    """`signature_version="s3v4"` for presigned URLs: SigV4 carries X-Amz-Expires (at most
    7 days) inside the signature; botocore's default for S3 presigning may be SigV2."""
    import boto3  # noqa: deferred: boto3 is slow to import
    from botocore.config import Config

    settings = Config(signature_version=signature_version) if signature_version else None
    return boto3.session.Session().client(service, region_name=config.region(), config=settings)


@functools.cache
def queue_url(name: str) -> str:
    """The URL of SQS queue `name` (one GetQueueUrl per process)."""
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto per test)."""
    client.cache_clear()
    queue_url.cache_clear()
