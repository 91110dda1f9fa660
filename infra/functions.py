"""What each Lambda function of Chalice's template gets from the stage (run after `chalice package`).

Chalice writes one AWS::Serverless::Function per handler (APIHandler for every
route, one per scheduled or SNS handler of app.py).  `complete` gives each:
- its own IAM role (infra/policies.py), replacing the placeholder role ARN of
  .chalice/config.json (`manage_iam_role: false`), so no function shares a policy;
- the stage's resource names and the CloudFront URL (infra/resources.py), so every
  function that renders pages or e-mails links the same theme assets;
- a log group with the retention of the `LogRetentionDays` parameter;
- alarms for errors and throttles (and the web function's 5xx rate);
- the SNS topic the template creates for the stage instead of the topic name
  app.py subscribes to;
- reserved concurrency only on the web function, from `WebReservedConcurrency`.
"""
from infra import alarms, policies
from infra.resources import SES_TOPIC_NAME, function_environment, names

WEB_FUNCTION = "APIHandler"
# Topic names in app.py -> the topic resource the template creates for the stage.
TOPICS = {SES_TOPIC_NAME: "SesNotificationsTopic"}
FUNCTION_TYPE = "AWS::Serverless::Function"


class TemplateError(ValueError):
    pass


def function_names(template: dict) -> list:
    return sorted(name for name, resource in template["Resources"].items()
                  if resource["Type"] == FUNCTION_TYPE)


def _topic_resource(topic) -> str:
    """The template topic of an SNS event source Chalice wrote (an ARN built from a name)."""
    text = topic.get("Fn::Sub", "") if isinstance(topic, dict) else str(topic)
    for name, resource in TOPICS.items():
        if text.endswith(f":{name}"):
            return resource
    raise TemplateError(f"SNS topic {topic!r} is not created by the template; add it to "
                        "infra/functions.py TOPICS and infra/resources.py")


def complete(template: dict, stage: str, stage_env: dict) -> dict:
    """Add roles, environment, log groups, alarms and topics to Chalice's functions (in place)."""
    resources = template["Resources"]
    named = names(stage)
    functions = function_names(template)
    missing = [f for f in functions if f not in policies.POLICIES]
    if missing:
        raise TemplateError(f"no IAM policy for {missing} in infra/policies.py")
    environment = dict(function_environment(), POWERTOOLS_SERVICE_NAME=named["metrics_service"])
    for function in functions:
        props = resources[function]["Properties"]
        log_group = f"{function}LogGroup"
        resources[log_group] = {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": "/aws/lambda/${%s}" % function},
            "RetentionInDays": {"Ref": "LogRetentionDays"}}}
        resources[f"{function}Role"] = policies.role(function, stage_env, named, log_group)
        props["Role"] = {"Fn::GetAtt": [f"{function}Role", "Arn"]}
        props.setdefault("Environment", {}).setdefault("Variables", {}).update(environment)
        props.pop("ReservedConcurrentExecutions", None)
        if function == WEB_FUNCTION:
            props["ReservedConcurrentExecutions"] = {"Fn::If": [
                "ReserveWebConcurrency", {"Ref": "WebReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}
            resources.update(alarms.server_error_alarm(function, log_group, stage))
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "SNS":
                event["Properties"]["Topic"] = {"Ref": _topic_resource(event["Properties"]["Topic"])}
        resources.update(alarms.function_alarms(function))
    for name, resource in resources.items():  # Chalice's shared role, if a stage still makes one
        if resource["Type"] == "AWS::IAM::Role" and name not in {f"{f}Role" for f in functions}:
            raise TemplateError(f"{name}: a role shared by functions; set manage_iam_role false "
                                "in .chalice/config.json")
    return template
