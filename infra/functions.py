"""What each Lambda function of Chalice's template gets from the stage (run after `chalice package`).

Chalice writes one AWS::Serverless::Function per handler (APIHandler for every
route, one per scheduled or SNS handler of app.py).  `complete` gives each:
- its own IAM role (infra/policies.py), replacing the placeholder role ARN of
  .chalice/config.json (`manage_iam_role: false`), so no function shares a policy;
- the stage's resource names and the CloudFront URL (infra/resources.py), so every
  function that renders pages or e-mails links the same theme assets;
- a name carrying the stage, and a log group of that name with the retention of
  the `LogRetentionDays` parameter (the role may write to it, not create others);
- alarms for errors and throttles (and the web function's 5xx rate);
- the SNS topic and SQS queue the template creates for the stage instead of the
  names app.py subscribes to (Chalice would use the same ones in every stage);
- reserved concurrency only on the web function, from `WebReservedConcurrency`;
- the passkey libraries' layer (`passkeys-layer.zip`, built by infra/package.py) on the web
  function only: no other function signs anyone in.
"""

from infra import alarms, policies
from infra.resources import APP, SES_TOPIC_NAME, function_environment, names

WEB_FUNCTION = "APIHandler"
PASSKEYS_LAYER = "PasskeysLayer"
PASSKEYS_LAYER_ZIP = "./passkeys-layer.zip"  # next to sam.json, like Chalice's ./deployment.zip
# Topic names in app.py -> the topic resource the template creates for the stage.
TOPICS = {SES_TOPIC_NAME: "SesNotificationsTopic"}
# Queue names in app.py -> the queue resource the template creates for the stage.
QUEUES = {"portal-mail": "MailQueue"}
FUNCTION_TYPE = "AWS::Serverless::Function"
# A deployed stage names its own tables and secrets (infra/policies.py grants on them).
DEPLOYED_STAGE_SETTINGS = ("PORTAL_TABLE_PREFIX", "PORTAL_SECRET_PREFIX")


class TemplateError(ValueError):
    pass


def function_name(stage: str, function: str) -> str:
    return f"{APP}-{stage}-{function}"  # at most 64 characters


def function_names(template: dict) -> list:
    return sorted(name for name, resource in template["Resources"].items() if resource["Type"] == FUNCTION_TYPE)


def _stage_resource(reference, names: dict, what: str, attribute_of) -> str:
    """The template resource standing for an SNS topic or SQS queue that Chalice wrote as an
    ARN built from the name in app.py (or already completed: `attribute_of` reads it back)."""
    completed = attribute_of(reference) if isinstance(reference, dict) else None
    if isinstance(completed, str) and completed in names.values():
        return completed
    text = reference.get("Fn::Sub", "") if isinstance(reference, dict) else str(reference)
    for name, resource in names.items():
        if text.endswith(f":{name}"):
            return resource
    raise TemplateError(
        f"{what} {reference!r} is not created by the template; add it to infra/functions.py and infra/resources.py"
    )


def _topic_resource(topic) -> str:
    return _stage_resource(topic, TOPICS, "SNS topic", lambda ref: ref.get("Ref"))


def _queue_resource(queue) -> str:
    return _stage_resource(queue, QUEUES, "SQS queue", lambda ref: ref.get("Fn::GetAtt", [None])[0])


def passkeys_layer(stage: str) -> dict:
    """webauthn, cryptography, pyOpenSSL, pyasn1(-modules) and cbor2 under python/ (Lambda
    mounts it at /opt/python, on sys.path after the function's own code)."""
    return {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {
            "LayerName": f"{APP}-{stage}-passkeys",
            "Description": "Passkey (WebAuthn) libraries of the web function",
            "ContentUri": PASSKEYS_LAYER_ZIP,
            "CompatibleRuntimes": ["python3.11"],
            "CompatibleArchitectures": ["x86_64"],
            "RetentionPolicy": "Delete",
        },
    }


def complete(template: dict, stage: str, stage_env: dict) -> dict:
    """Add roles, environment, log groups, alarms and topics to Chalice's functions (in place)."""
    missing_settings = [v for v in DEPLOYED_STAGE_SETTINGS if not stage_env.get(v)]
    if missing_settings:
        raise TemplateError(
            f"stage {stage!r} cannot be deployed: .chalice/config.json gives it "
            f"no {', '.join(missing_settings)} (the local stage runs on moto only)"
        )
    resources = template["Resources"]
    named = names(stage)
    functions = function_names(template)
    missing = [f for f in functions if f not in policies.POLICIES]
    if missing:
        raise TemplateError(f"no IAM policy for {missing} in infra/policies.py")
    environment = dict(function_environment(), POWERTOOLS_SERVICE_NAME=named["metrics_service"])
    for function in functions:
        props = resources[function]["Properties"]
        # A name of our own: the log group (and the role's grant on it) can then be
        # named without referring to the function, which refers to the role.
        props["FunctionName"] = function_name(stage, function)
        log_group = f"{function}LogGroup"
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{props['FunctionName']}",
                "RetentionInDays": {"Ref": "LogRetentionDays"},
            },
        }
        resources[function]["DependsOn"] = sorted(set(resources[function].get("DependsOn", [])) | {log_group})
        resources[f"{function}Role"] = policies.role(function, stage_env, named, log_group)
        props["Role"] = {"Fn::GetAtt": [f"{function}Role", "Arn"]}
        props.setdefault("Environment", {}).setdefault("Variables", {}).update(environment)
        props.pop("ReservedConcurrentExecutions", None)
        if function == WEB_FUNCTION:
            props["ReservedConcurrentExecutions"] = {
                "Fn::If": ["ReserveWebConcurrency", {"Ref": "WebReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
            }
            resources.update(alarms.server_error_alarm(function, log_group, stage))
            resources[PASSKEYS_LAYER] = passkeys_layer(stage)
            props["Layers"] = [{"Ref": PASSKEYS_LAYER}]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "SNS":
                event["Properties"]["Topic"] = {"Ref": _topic_resource(event["Properties"]["Topic"])}
            if event.get("Type") == "SQS":
                event["Properties"]["Queue"] = {"Fn::GetAtt": [_queue_resource(event["Properties"]["Queue"]), "Arn"]}
        resources.update(alarms.function_alarms(function))
    if "RestAPI" in resources:
        # The API's name in API Gateway (and its metrics): one per stage, not one per app.
        resources["RestAPI"]["Properties"]["Name"] = f"{APP}-{stage}"
    for name, resource in resources.items():  # Chalice's shared role, if a stage still makes one
        if resource["Type"] == "AWS::IAM::Role" and name not in {f"{f}Role" for f in functions}:
            raise TemplateError(
                f"{name}: a role shared by functions; set manage_iam_role false in .chalice/config.json"
            )
    return template
