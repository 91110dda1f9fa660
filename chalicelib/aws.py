"""boto3 clients, made lazily (cold starts stay short; tests start moto first).

Endpoints and credentials come from the environment (AWS_ENDPOINT_URL on the
local stack), so production and the local stack run the same code.
"""

import functools

from . import config


@functools.cache
def client(service: str, signature_version: str | None = None):
    """`signature_version="s3v4"` for presigned URLs: SigV4 carries X-Amz-Expires (at most
    7 days) inside the signature; botocore's default for S3 presigning may be SigV2."""
    import boto3  # deferred: boto3 is slow to import
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


def presigned_upload(s3, bucket: str, key: str, redirect_url: str, max_bytes: int, expires_seconds: int) -> dict:
    """A presigned POST of one file of 1..max_bytes to `key`; S3 then redirects the browser to
    `redirect_url` (theme images, service-request photos): {"url", "fields"}.
    https://boto3.amazonaws.com/v1/documentation/api/latest/guide/s3-presigned-urls.html"""
    return s3.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"success_action_redirect": redirect_url},
        Conditions=[["content-length-range", 1, max_bytes], {"success_action_redirect": redirect_url}],
        ExpiresIn=expires_seconds,
    )
