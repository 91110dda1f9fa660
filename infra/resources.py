"""AWS resources derived from the PynamoDB models, so infra cannot drift from code.

- `cloudformation(prefix)`: DynamoDB tables and S3 buckets as a CloudFormation
  fragment, merged into Chalice's template at packaging time
  (`python -m infra.resources --prefix portal-prod- > build/resources.json`).
- `create_all()`: the same tables (and TTLs), buckets, SES identities and mail
  queues on the current endpoint: moto locally and in tests.
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
    resources.update(theme_resources(prefix))
    resources.update(mail_queue_resources(prefix))
    # Deep-merged by `chalice package --merge-template` into Chalice's own function:
    # the Lambda learns the CloudFront URL of the theme assets (pages, CSP img-src, e-mails).
    resources["APIHandler"] = {"Properties": {"Environment": {"Variables": {
        "PORTAL_THEME_ASSETS_URL": THEME_ASSETS_URL}}}}
    return {"Resources": resources, "Outputs": {"ThemeAssetsUrl": {
        "Description": "Public URL of the theme assets (CloudFront in front of the theme bucket)",
        "Value": THEME_ASSETS_URL}}}


# Browsers upload theme images straight to the bucket with a presigned POST.  The
# editor submits an ordinary form (a navigation, which CORS does not govern); the
# rule lets script clients read S3's answer.  Production hosts are each company's
# own HTTPS domains, added at run time, so the rule cannot list them.
THEME_CORS_PRODUCTION = [{"AllowedMethods": ["POST"], "AllowedOrigins": ["https://*"],
                          "AllowedHeaders": ["*"], "MaxAge": 3000}]
# CloudFront's managed "CachingOptimized" policy: honours the objects' own
# Cache-Control (a year, immutable) and caches without cookies or query strings.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
THEME_ASSETS_URL = {"Fn::Sub": "https://${ThemeDistribution.DomainName}"}


def theme_cors(origins) -> list:
    """CORS rules for the theme bucket allowing uploads from `origins` (local stack, tests)."""
    return [{"AllowedMethods": ["POST"], "AllowedOrigins": list(origins),
             "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}]


def theme_resources(prefix: str) -> dict:
    """Theme bucket (private), served through CloudFront with origin access control.

    Only `assets/` (checked, content-hashed images) is readable, by CloudFront
    alone; `uploads/` (unchecked browser uploads) is deleted after a day.
    """
    return {
        "ThemeBucket": {
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": f"{prefix}theme-assets",
                "CorsConfiguration": {"CorsRules": THEME_CORS_PRODUCTION},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "LifecycleConfiguration": {"Rules": [{
                    "Id": "ExpireUncheckedUploads", "Status": "Enabled", "Prefix": "uploads/",
                    "ExpirationInDays": 1}]},
            },
        },
        "ThemeOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {"OriginAccessControlConfig": {
                "Name": f"{prefix}theme-assets", "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always", "SigningProtocol": "sigv4"}},
        },
        "ThemeDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {"DistributionConfig": {
                "Enabled": True,
                "Comment": f"{prefix}theme assets",
                "HttpVersion": "http2and3",
                "PriceClass": "PriceClass_100",
                "Origins": [{
                    "Id": "ThemeBucket",
                    "DomainName": {"Fn::GetAtt": ["ThemeBucket", "RegionalDomainName"]},
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": {"Fn::GetAtt": ["ThemeOriginAccessControl", "Id"]},
                }],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "ThemeBucket",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "AllowedMethods": ["GET", "HEAD"],
                    "CachedMethods": ["GET", "HEAD"],
                    "Compress": True,
                    "CachePolicyId": CACHING_OPTIMIZED,
                },
            }},
        },
        "ThemeBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ThemeBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "CloudFrontReadsCheckedAssets", "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": {"Fn::Sub": "${ThemeBucket.Arn}/assets/*"},
                    "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub":
                        "arn:aws:cloudfront::${AWS::AccountId}:distribution/${ThemeDistribution}"}}},
                }]},
            },
        },
    }


# Mail queue (chalicelib/email.py -> SQS -> send_queued_mail in app.py -> SES).
MAIL_QUEUE_VISIBILITY_SECONDS = 180  # 6 x the consumer's 30 s Lambda timeout (AWS's advice)
MAIL_QUEUE_MAX_RECEIVES = 5  # then the message moves to the dead-letter queue
MAIL_DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: time to fix and redrive


def mail_queue_attributes(dead_letter_arn) -> dict:
    """The mail queue's attributes, shared by the template and the local stack."""
    return {"VisibilityTimeout": MAIL_QUEUE_VISIBILITY_SECONDS,
            "RedrivePolicy": {"deadLetterTargetArn": dead_letter_arn,
                              "maxReceiveCount": MAIL_QUEUE_MAX_RECEIVES}}


def mail_queue_resources(prefix: str, alarm_topic: str = "") -> dict:
    """The mail queue, its dead-letter queue, an alarm when anything lands there, and the
    consumer's event source pointed at the stage's queue (Chalice would name the queue
    `portal-mail` in every stage).  Queue names follow config.mail_queue_name()."""
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{prefix}mail-dead-letters",
            "AlarmDescription": "E-mails SES did not send after retries wait in the mail "
                                "dead-letter queue (README: Outgoing e-mail).",
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName",
                            "Value": {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}}],
            "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1,
            "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching"},
    }
    if alarm_topic:
        alarm["Properties"]["AlarmActions"] = [{"Ref": alarm_topic}]
    attributes = mail_queue_attributes({"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]})
    return {
        "MailDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": f"{prefix}mail-dlq", "SqsManagedSseEnabled": True,
                           "MessageRetentionPeriod": MAIL_DLQ_RETENTION_SECONDS}},
        "MailQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": f"{prefix}mail", "SqsManagedSseEnabled": True,
                           "VisibilityTimeout": attributes["VisibilityTimeout"],
                           "RedrivePolicy": attributes["RedrivePolicy"]}},
        "MailDeadLettersAlarm": alarm,
        # Deep-merged into Chalice's function for `send_queued_mail` (app.py).
        "SendQueuedMail": {"Properties": {"Events": {"SendQueuedMailSqsEventSource": {
            "Properties": {"Queue": {"Fn::GetAtt": ["MailQueue", "Arn"]}}}}}},
    }


def create_mail_queues() -> str:
    """The mail queue and its dead-letter queue on the current endpoint; the queue's URL."""
    sqs = aws.client("sqs")
    name = config.mail_queue_name()
    dead_letters = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = mail_queue_attributes(dead_letter_arn)
    return sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(attributes["VisibilityTimeout"]),
        "RedrivePolicy": json.dumps(attributes["RedrivePolicy"])})["QueueUrl"]


def create_all(domains=(), cors_origins=("http://localhost", "http://*.localhost")) -> None:
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
    # Checked theme assets are public (through CloudFront in production); unchecked
    # uploads and documents are not.
    s3.put_bucket_policy(Bucket=config.theme_bucket(), Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicThemeAssets", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{config.theme_bucket()}/assets/*"}]}))
    s3.put_bucket_cors(Bucket=config.theme_bucket(),
                       CORSConfiguration={"CORSRules": theme_cors(cors_origins)})
    ses = aws.client("ses")
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)
    ses.verify_email_identity(EmailAddress=config.mail_sender())  # the platform's sender
    create_mail_queues()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="portal-", help="table name prefix of the stage")
    args = parser.parse_args(argv)
    json.dump(cloudformation(args.prefix), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
