"""AWS resources derived from the PynamoDB models, so infra cannot drift from code.

- `cloudformation(prefix)`: DynamoDB tables and S3 buckets as a CloudFormation
  fragment, merged into Chalice's template at packaging time
  (`python -m infra.resources --prefix portal-prod- > build/resources.json`).
- `create_all()`: the same tables (and TTLs), buckets and SES identities on the
  current endpoint: moto locally and in tests.
"""
import argparse
import json
import os
import sys

from chalicelib import aws, config
from chalicelib.models import ALL_MODELS, TTL_ATTRIBUTES


def _hash_first(key_schema: list) -> list:
    """DynamoDB wants HASH then RANGE; PynamoDB lists keys in attribute-name order."""
    return sorted(key_schema, key=lambda key: key["KeyType"] != "HASH")


def _camel(index: dict) -> dict:
    return {"IndexName": index["index_name"], "KeySchema": _hash_first(index["key_schema"]),
            "Projection": index["projection"]}


def table_resource(model, prefix: str) -> dict:
    schema = model._get_schema()
    # Meta.table_name = current prefix + entity; swap in the stage's prefix.
    current_prefix = os.environ.get("PORTAL_TABLE_PREFIX", "portal-")
    name = prefix + model.Meta.table_name[len(current_prefix):]
    props = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    indexes = [_camel(i) for i in schema.get("global_secondary_indexes", [])]
    if indexes:
        props["GlobalSecondaryIndexes"] = indexes
    if model in TTL_ATTRIBUTES:
        props["TimeToLiveSpecification"] = {"AttributeName": TTL_ATTRIBUTES[model],
                                            "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain", "Properties": props}


def cloudformation(prefix: str = "portal-") -> dict:
    resources = {f"{m.__name__}Table": table_resource(m, prefix) for m in ALL_MODELS}
    resources["DocumentsBucket"] = {
        "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": f"{prefix}documents",
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "BlockPublicPolicy": True,
                "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        },
    }
    resources["ThemeBucket"] = {
        "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"BucketName": f"{prefix}theme-assets", "CorsConfiguration": {"CorsRules": [{
            "AllowedMethods": ["POST"], "AllowedOrigins": ["https://*"],
            "AllowedHeaders": ["*"], "MaxAge": 3000}]}},
    }
    return {"Resources": resources}


def create_all(domains=()) -> None:
    """Create every table, bucket and SES identity that does not exist yet."""
    dynamodb = aws.client("dynamodb")
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            if model in TTL_ATTRIBUTES:
                dynamodb.update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True,
                                             "AttributeName": TTL_ATTRIBUTES[model]})
    s3 = aws.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (config.theme_bucket(), config.documents_bucket()):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    # Theme assets are public (CloudFront in production); documents stay private.
    s3.put_bucket_policy(Bucket=config.theme_bucket(), Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicThemeAssets", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{config.theme_bucket()}/*"}]}))
    ses = aws.client("ses")
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="portal-", help="table name prefix of the stage")
    args = parser.parse_args(argv)
    json.dump(cloudformation(args.prefix), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
