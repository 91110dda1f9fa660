"""AWS resources derived from the PynamoDB models, so infra cannot drift from code.

- `cloudformation(prefix, stage)`: everything a stage's functions use, as a
  CloudFormation fragment merged into Chalice's template at packaging time
  (infra/package.py): parameters, DynamoDB tables, S3 buckets, CloudFront for
  theme assets, the SES configuration set and its SNS topic, the operator's
  alarm topic and the table alarms.
- `complete(template, stage)`: what each Lambda function of Chalice's template
  gets once Chalice has written it: its own IAM role (infra/policies.py), the
  stage's environment, a log group with retention, its alarms, and the SNS topic
  it subscribes to (infra/functions.py).
- `create_all()`: the same tables (and TTLs), buckets and SES identities on the
  current endpoint: moto locally and in tests, and the mail queues
  (`create_mail_queues`).
"""

import argparse
import json
import os
import sys
from typing import Any

from chalicelib import aws, config
from chalicelib.models import ALL_MODELS, TTL_ATTRIBUTES
from chalicelib.repositories.dynamo import table_schema

# Data survives a stack deletion and a replacement, but a resource created by a
# failed first deployment is deleted on rollback, so the retry does not hit
# "already exists" (CloudFormation's DeletionPolicy RetainExceptOnCreate).
KEEP_DATA = {"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain"}
APP = "dealer-portal"
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = [
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]
SES_EVENTS = ["bounce", "complaint"]
# app.py's SNS subscriptions name a topic; the template creates it per stage.
SES_TOPIC_NAME = "portal-ses-notifications"


def parameters(stage: str) -> dict:
    """Deploy-time parameters; CloudFormation refuses a missing or malformed value."""
    return {
        "Stage": {
            "Type": "String",
            "AllowedValues": [stage],
            "Description": f"Must be {stage!r}: this template was packaged for that stage (make package STAGE=...)",
            "ConstraintDescription": f"this template was packaged for stage {stage!r}; "
            "package the stage you deploy (make deploy STAGE=...)",
        },
        "OperatorEmail": {
            "Type": "String",
            "AllowedPattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "Receives the alarms (confirm the SNS subscription e-mail)",
            "ConstraintDescription": "an e-mail address for the alarms, e.g. ops@example.com",
        },
        "MailSender": {
            "Type": "String",
            "AllowedPattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "The platform's SES-verified sender: e-mail goes from it (with the "
            "company's name) until a company's own domain is verified",
            "ConstraintDescription": "a verified SES sender address, e.g. no-reply@portal.example.com",
        },
        "LogRetentionDays": {
            "Type": "Number",
            "Default": 90,
            "AllowedValues": LOG_RETENTION_DAYS,
            "Description": "Days the functions' logs are kept",
        },
        "WebReservedConcurrency": {
            "Type": "Number",
            "Default": 0,
            "MinValue": 0,
            "Description": "Concurrent executions reserved for the web function (APIHandler); "
            "0 reserves none. Keep it below the account's limit minus 100.",
        },
    }


CONDITIONS = {"ReserveWebConcurrency": {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebReservedConcurrency"}, 0]}]}}


def _hash_first(key_schema: list) -> list:
    """DynamoDB wants HASH then RANGE; PynamoDB lists keys in attribute-name order."""
    return sorted(key_schema, key=lambda key: key["KeyType"] != "HASH")


def _camel(index: dict) -> dict:
    return {
        "IndexName": index["index_name"],
        "KeySchema": _hash_first(index["key_schema"]),
        "Projection": index["projection"],
    }


def table_resource(model, prefix: str) -> dict:
    schema = table_schema(model)
    # Meta.table_name = current prefix + entity; swap in the stage's prefix.
    current_prefix = os.environ.get("PORTAL_TABLE_PREFIX", "portal-")
    name = prefix + model.Meta.table_name[len(current_prefix) :]
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
        props["TimeToLiveSpecification"] = {"AttributeName": TTL_ATTRIBUTES[model], "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", **KEEP_DATA, "Properties": props}


def global_name(prefix: str, purpose: str) -> dict:
    """An S3 bucket name unique to the stage, account and region (bucket names are global)."""
    return {"Fn::Sub": f"{prefix}{purpose}-${{AWS::AccountId}}-${{AWS::Region}}"}


def names(stage: str) -> dict:
    """Physical names of the stage's non-table resources."""
    return {
        "ses_topic": f"{APP}-{stage}-ses-notifications",
        "operator_topic": f"{APP}-{stage}-alarms",
        "configuration_set": f"{APP}-{stage}",
        "metrics_service": f"{APP}-{stage}",
    }


def function_environment() -> dict:
    """Variables every function gets: e-mails and pages link theme assets through
    CloudFront, whichever function renders them (the reconciler retries receipts)."""
    return {
        "PORTAL_THEME_BUCKET": {"Ref": "ThemeBucket"},
        "PORTAL_DOCUMENTS_BUCKET": {"Ref": "DocumentsBucket"},
        "PORTAL_THEME_ASSETS_URL": THEME_ASSETS_URL,
        "PORTAL_SES_CONFIGURATION_SET": {"Ref": "SesConfigurationSet"},
        "PORTAL_MAIL_SENDER": {"Ref": "MailSender"},
    }


def cloudformation(prefix: str = "portal-", stage: str = "prod") -> dict:
    from infra import alarms

    resources = {f"{m.__name__}Table": table_resource(m, prefix) for m in ALL_MODELS}
    resources["DocumentsBucket"] = {
        "Type": "AWS::S3::Bucket",
        **KEEP_DATA,
        "Properties": {
            "BucketName": global_name(prefix, "documents"),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            # Service-request photos arrive unchecked under this prefix; only checked
            # copies are kept (chalicelib/services/service_requests.py).
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "ExpireUncheckedServicePhotos",
                        "Status": "Enabled",
                        "Prefix": "service-requests/uploads/",
                        "ExpirationInDays": 1,
                    }
                ]
            },
        },
    }
    resources.update(theme_resources(prefix))
    resources.update(mail_resources(stage))
    resources.update(mail_queue_resources(prefix, "OperatorTopic"))
    resources.update(alarms.stage_alarms(resources, names(stage)))
    return {
        "Parameters": parameters(stage),
        "Conditions": CONDITIONS,
        "Resources": resources,
        "Outputs": {
            "ThemeAssetsUrl": {
                "Description": "Public URL of the theme assets (CloudFront in front of the theme bucket)",
                "Value": THEME_ASSETS_URL,
            },
            "SesConfigurationSet": {"Value": {"Ref": "SesConfigurationSet"}},
            "SesNotificationsTopicArn": {"Value": {"Ref": "SesNotificationsTopic"}},
            "OperatorTopicArn": {"Value": {"Ref": "OperatorTopic"}},
            "DocumentsBucketName": {"Value": {"Ref": "DocumentsBucket"}},
            "ThemeBucketName": {"Value": {"Ref": "ThemeBucket"}},
        },
    }


def mail_resources(stage: str) -> dict:
    """SES configuration set whose bounces and complaints go to an SNS topic of the stage
    (subscribed by the `ses_notifications` function), and the operator's alarm topic."""
    named = names(stage)
    return {
        "SesNotificationsTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": named["ses_topic"]}},
        "SesNotificationsTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "SesNotificationsTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SesPublishesEvents",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "SesNotificationsTopic"},
                            "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    ],
                },
            },
        },
        "SesConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {"Name": named["configuration_set"]},
        },
        "SesBounceEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": "SesConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    "MatchingEventTypes": SES_EVENTS,
                    "SnsDestination": {"TopicARN": {"Ref": "SesNotificationsTopic"}},
                },
            },
        },
        "OperatorTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": named["operator_topic"]}},
        "OperatorSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "OperatorTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "OperatorEmail"},
            },
        },
    }


# Browsers upload theme images straight to the bucket with a presigned POST.  The
# editor submits an ordinary form (a navigation, which CORS does not govern); the
# rule lets script clients read S3's answer.  Production hosts are each company's
# own HTTPS domains, added at run time, so the rule cannot list them.
THEME_CORS_PRODUCTION = [
    {"AllowedMethods": ["POST"], "AllowedOrigins": ["https://*"], "AllowedHeaders": ["*"], "MaxAge": 3000}
]
# CloudFront's managed "CachingOptimized" policy: honours the objects' own
# Cache-Control (a year, immutable) and caches without cookies or query strings.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
THEME_ASSETS_URL = {"Fn::Sub": "https://${ThemeDistribution.DomainName}"}


def theme_cors(origins) -> list:
    """CORS rules for the theme bucket allowing uploads from `origins` (local stack, tests)."""
    return [
        {"AllowedMethods": ["POST"], "AllowedOrigins": list(origins), "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000}
    ]


def theme_resources(prefix: str) -> dict:
    """Theme bucket (private), served through CloudFront with origin access control.

    Only `assets/` (checked, content-hashed images) is readable, by CloudFront
    alone; `uploads/` (unchecked browser uploads) is deleted after a day.
    """
    return {
        "ThemeBucket": {
            "Type": "AWS::S3::Bucket",
            **KEEP_DATA,
            "Properties": {
                "BucketName": global_name(prefix, "theme-assets"),
                "CorsConfiguration": {"CorsRules": THEME_CORS_PRODUCTION},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ExpireUncheckedUploads",
                            "Status": "Enabled",
                            "Prefix": "uploads/",
                            "ExpirationInDays": 1,
                        }
                    ]
                },
            },
        },
        "ThemeOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": f"{prefix}theme-assets",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "ThemeDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": f"{prefix}theme assets",
                    "HttpVersion": "http2and3",
                    "PriceClass": "PriceClass_100",
                    "Origins": [
                        {
                            "Id": "ThemeBucket",
                            "DomainName": {"Fn::GetAtt": ["ThemeBucket", "RegionalDomainName"]},
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                            "OriginAccessControlId": {"Fn::GetAtt": ["ThemeOriginAccessControl", "Id"]},
                        }
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "ThemeBucket",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "Compress": True,
                        "CachePolicyId": CACHING_OPTIMIZED,
                    },
                }
            },
        },
        "ThemeBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ThemeBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudFrontReadsCheckedAssets",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Sub": "${ThemeBucket.Arn}/assets/*"},
                            "Condition": {
                                "StringEquals": {
                                    "AWS:SourceArn": {
                                        "Fn::Sub": (
                                            "arn:aws:cloudfront::${AWS::AccountId}:distribution/${ThemeDistribution}"
                                        )
                                    }
                                }
                            },
                        }
                    ],
                },
            },
        },
    }


# Mail queue (chalicelib/email.py -> SQS -> send_queued_mail in app.py -> SES).
MAIL_QUEUE_VISIBILITY_SECONDS = 180  # 6 x the consumer's 30 s Lambda timeout (AWS's advice)
MAIL_QUEUE_MAX_RECEIVES = 5  # then the message moves to the dead-letter queue
MAIL_DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: time to fix and redrive


def mail_queue_attributes(dead_letter_arn) -> dict:
    """The mail queue's attributes, shared by the template and the local stack."""
    return {
        "VisibilityTimeout": MAIL_QUEUE_VISIBILITY_SECONDS,
        "RedrivePolicy": {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAIL_QUEUE_MAX_RECEIVES},
    }


def mail_queue_resources(prefix: str, alarm_topic: str = "") -> dict:
    """The mail queue, its dead-letter queue and an alarm when anything lands there (the
    consumer's event source is pointed at this queue by infra/functions.py).  Queue names
    follow config.mail_queue_name()."""
    alarm: dict[str, Any] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{prefix}mail-dead-letters",
            "AlarmDescription": "E-mails SES did not send after retries wait in the mail "
            "dead-letter queue (README: Outgoing e-mail).",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        },
    }
    if alarm_topic:
        alarm["Properties"]["AlarmActions"] = [{"Ref": alarm_topic}]
    attributes = mail_queue_attributes({"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]})
    return {
        "MailDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{prefix}mail-dlq",
                "SqsManagedSseEnabled": True,
                "MessageRetentionPeriod": MAIL_DLQ_RETENTION_SECONDS,
            },
        },
        "MailQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{prefix}mail",
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": attributes["VisibilityTimeout"],
                "RedrivePolicy": attributes["RedrivePolicy"],
            },
        },
        "MailDeadLettersAlarm": alarm,
    }


def create_mail_queues() -> str:
    """The mail queue and its dead-letter queue on the current endpoint; the queue's URL."""
    sqs = aws.client("sqs")
    name = config.mail_queue_name()
    dead_letters = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = mail_queue_attributes(dead_letter_arn)
    return sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(attributes["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(attributes["RedrivePolicy"]),
        },
    )["QueueUrl"]


def create_all(domains=(), cors_origins=("http://localhost", "http://*.localhost")) -> None:
    """Create every table, bucket and SES identity that does not exist yet."""
    dynamodb = aws.client("dynamodb")
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            if model in TTL_ATTRIBUTES:
                dynamodb.update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTES[model]},
                )
    s3 = aws.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (config.theme_bucket(), config.documents_bucket()):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
    # Checked theme assets are public (through CloudFront in production); unchecked
    # uploads and documents are not.
    s3.put_bucket_policy(
        Bucket=config.theme_bucket(),
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicThemeAssets",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{config.theme_bucket()}/assets/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_cors(Bucket=config.theme_bucket(), CORSConfiguration={"CORSRules": theme_cors(cors_origins)})
    ses = aws.client("ses")
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)
    ses.verify_email_identity(EmailAddress=config.mail_sender())  # the platform's sender
    create_mail_queues()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="portal-", help="table name prefix of the stage")
    parser.add_argument("--stage", default="prod", help="a stage of .chalice/config.json")
    args = parser.parse_args(argv)
    json.dump(cloudformation(args.prefix, args.stage), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
