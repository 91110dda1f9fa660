"""The private documents bucket (invoice and statement PDFs) and theme images read for PDFs.

Objects are reached by a browser only through a short presigned GET made after
the access check (README "Security at a glance"); the bucket itself blocks public access.
"""

from .. import aws, config

# Short presigned redirects: at most 5 minutes.
PRESIGN_SECONDS = 300


class DocumentStore:
    """One S3 bucket.  Tests inject a subclass to count writes."""

    def __init__(self, bucket: str | None = None, client=None):
        self.bucket = bucket or config.documents_bucket()
        # SigV4 so the expiry is part of the signature (SigV2 `Expires` is too, but
        # SigV4 is what S3 requires in every newer region).
        self.s3 = client or aws.client("s3", "s3v4")

    def exists(self, key: str) -> bool:
        """HeadObject; a missing key is 404 only with s3:ListBucket (else 403), see the policies."""
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def put(self, key: str, body: bytes, content_type: str = "application/pdf") -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def presigned_get(self, key: str, filename: str, seconds: int = PRESIGN_SECONDS) -> str:
        seconds = min(int(seconds), PRESIGN_SECONDS)
        return self.s3.generate_presigned_url(
            "get_object",
            ExpiresIn=seconds,
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": "application/pdf",
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
        )


def theme_image(key: str | None) -> bytes | None:
    """A logo from the theme bucket, or None when there is none or it cannot be read."""
    if not key:
        return None
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return aws.client("s3").get_object(Bucket=config.theme_bucket(), Key=key)["Body"].read()
    except (BotoCoreError, ClientError):
        return None
