"""One IAM policy per Lambda function: the actions its handler makes, on the stage's resources.

Kept as data (function -> resource kind -> actions) so that
tests/functional/test_least_privilege.py can compare it with the AWS operations each handler
makes against moto, in both directions: a missing action fails, and so does an
action nothing uses.  The keys are the function resources of Chalice's template
(APIHandler serves every route; the others are app.py's event handlers).
"""

POLICIES = {
    "APIHandler": {
        "tables": [
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ],
        # Presigned POST of theme images, then the check: head, read, store hashed, delete.
        "theme-objects": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        # Presigned GETs after the access check; ERP uploads of invoice PDFs; HEAD.
        "documents-objects": ["s3:GetObject", "s3:PutObject"],
        # Without it a HEAD of a missing key answers 403, not 404 (chalicelib/repositories/documents.py).
        "documents-bucket": ["s3:ListBucket"],
        "secrets": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"],
        "mail-queue": ["sqs:GetQueueUrl", "sqs:SendMessage"],  # every e-mail is queued
        # `portal domain add` (chalicelib/services/domain_setup.py): DKIM, certificate, API domain.
        "mail": ["ses:VerifyDomainDkim"],
        "certificate-requests": ["acm:ListCertificates", "acm:RequestCertificate"],
        "certificates": ["acm:DescribeCertificate"],
        "api-domains": ["apigateway:GET", "apigateway:POST"],
    },
    "ReconcilePayments": {
        "tables": [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "dynamodb:TransactWriteItems",
        ],  # an expired review releases nothing it held
        "secrets": ["secretsmanager:GetSecretValue"],
        "mail-queue": ["sqs:GetQueueUrl", "sqs:SendMessage"],  # receipts retried
    },
    "SendQueuedMail": {  # chalicelib/services/mail_delivery.py; reset jobs look the login up
        "tables": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
        "mail": ["ses:SendEmail"],
        # IAM has no resource for this action: it can only be granted on "*".
        "sender-status": ["ses:GetIdentityVerificationAttributes"],
    },
    "RepairArTotals": {
        "tables": [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ],
    },
    "SesNotifications": {  # contacts marked, the account summary refreshed, an audit event
        "tables": ["dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"],
    },
}

# The Lambda runtime writes the function's logs (not the handler's code: no botocore call).
LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
# Lambda's SQS event source polls the queue with the consumer's role (not the handler's code).
QUEUE_CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
QUEUE_CONSUMERS = {"SendQueuedMail"}


def resource_arns(kind: str, stage_env: dict, names: dict, log_group: str):
    """The ARNs a resource kind stands for in the stage's template."""
    prefix = stage_env["PORTAL_TABLE_PREFIX"]
    arn = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
    if kind == "tables":
        return [
            {"Fn::Sub": arn % ("dynamodb", f"table/{prefix}*")},
            {"Fn::Sub": arn % ("dynamodb", f"table/{prefix}*/index/*")},
        ]
    if kind == "theme-objects":
        return [{"Fn::Sub": "${ThemeBucket.Arn}/*"}]
    if kind == "documents-objects":
        return [{"Fn::Sub": "${DocumentsBucket.Arn}/*"}]
    if kind == "documents-bucket":
        return [{"Fn::GetAtt": ["DocumentsBucket", "Arn"]}]
    if kind == "secrets":
        return [{"Fn::Sub": arn % ("secretsmanager", f"secret:{stage_env['PORTAL_SECRET_PREFIX']}*")}]
    if kind == "mail":  # SES checks the sending identity and the configuration set
        return [
            {"Fn::Sub": arn % ("ses", "identity/*")},
            {"Fn::Sub": arn % ("ses", f"configuration-set/{names['configuration_set']}")},
        ]
    if kind == "mail-queue":
        return [{"Fn::GetAtt": ["MailQueue", "Arn"]}]
    if kind in ("sender-status", "certificate-requests"):  # actions without resource types
        return ["*"]
    if kind == "certificates":
        return [{"Fn::Sub": arn % ("acm", "certificate/*")}]
    if kind == "api-domains":
        return [
            {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/domainnames"},
            {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/domainnames/*"},
        ]
    if kind == "logs":
        return [{"Fn::Sub": f"${{{log_group}.Arn}}"}, {"Fn::Sub": f"${{{log_group}.Arn}}:*"}]
    raise ValueError(f"unknown resource kind {kind!r}")


KINDS = (
    "tables",
    "theme-objects",
    "documents-objects",
    "documents-bucket",
    "secrets",
    "mail",
    "mail-queue",
    "sender-status",
    "certificate-requests",
    "certificates",
    "api-domains",
    "logs",
)


def statement_id(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("-"))


def kind_of_statement(sid: str) -> str:
    """Inverse of statement_id for the kinds used here (tests read the template back)."""
    for kind in KINDS:
        if statement_id(kind) == sid:
            return kind
    raise ValueError(sid)


def role(function: str, stage_env: dict, names: dict, log_group: str) -> dict:
    """The IAM role of one function; KeyError names a function without a policy here."""
    grants = dict(POLICIES[function], logs=LOG_ACTIONS)
    if function in QUEUE_CONSUMERS:
        grants["mail-queue"] = QUEUE_CONSUMER_ACTIONS
    statements = [
        {
            "Sid": statement_id(kind),
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": resource_arns(kind, stage_env, names, log_group),
        }
        for kind, actions in grants.items()
    ]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [
                {
                    "PolicyName": f"{function}Policy",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }
