"""CloudWatch alarms of a stage, all sent to the operator's SNS topic (infra/resources.py).

- per function (`function_alarms`): errors and throttles of the Lambda function;
- web function: the share of requests answered 5xx, counted from the request log
  line chalicelib/web/middleware.py writes (per stage, unlike API Gateway's
  metrics, whose ApiName and Stage are the same for every stage of this app);
- stage (`stage_alarms`): DynamoDB throttles per table, payments the reconciler
  cannot resolve (the `UnresolvedPayments` metric of chalicelib/services/payments.py),
  SES bounce and complaint rates.
"""

PERIOD = 300
NOTIFY = [{"Ref": "OperatorTopic"}]
# chalicelib/web/middleware.py logs one JSON line per request: {"message": "request", "status": ...}
REQUESTS_PATTERN = '{ $.message = "request" }'
SERVER_ERRORS_PATTERN = '{ $.message = "request" && $.status >= 500 }'
SERVER_ERROR_PERCENT = 5
MIN_REQUESTS = 20  # fewer requests in 5 minutes: one error is not a rate
# SES puts an account under review at a 5% bounce rate (0.1% complaints) and may pause it at 10%.
BOUNCE_RATE_ALARM = 0.05
COMPLAINT_RATE_ALARM = 0.001


def _alarm(description: str, **properties) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "AlarmActions": NOTIFY,
            "OKActions": NOTIFY,
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",
            **properties,
        },
    }


def _metric_alarm(
    description,
    namespace,
    metric,
    dimensions,
    statistic="Sum",
    threshold=0,
    period=PERIOD,
    comparison="GreaterThanThreshold",
) -> dict:
    return _alarm(
        description,
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        Statistic=statistic,
        Period=period,
        Threshold=threshold,
        ComparisonOperator=comparison,
    )


def function_alarms(function: str) -> dict:
    """Errors and throttles of one Lambda function (its template resource name)."""
    dimensions = {"FunctionName": {"Ref": function}}
    return {
        f"{function}ErrorsAlarm": _metric_alarm(
            f"{function}: invocations failed (unhandled exception or timeout)", "AWS/Lambda", "Errors", dimensions
        ),
        f"{function}ThrottlesAlarm": _metric_alarm(
            f"{function}: invocations throttled (concurrency limit)", "AWS/Lambda", "Throttles", dimensions
        ),
    }


def server_error_alarm(function: str, log_group: str, stage: str) -> dict:
    """Metric filters on the web function's log group and an alarm on their ratio."""
    namespace = f"DealerPortal/{stage}"

    def metric_filter(pattern, name):
        return {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": {"Ref": log_group},
                "FilterPattern": pattern,
                "MetricTransformations": [
                    {"MetricNamespace": namespace, "MetricName": name, "MetricValue": "1", "DefaultValue": 0}
                ],
            },
        }

    def metric(metric_id, name):
        return {
            "Id": metric_id,
            "ReturnData": False,
            "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name}, "Period": PERIOD, "Stat": "Sum"},
        }

    return {
        f"{function}RequestsMetric": metric_filter(REQUESTS_PATTERN, "Requests"),
        f"{function}ServerErrorsMetric": metric_filter(SERVER_ERRORS_PATTERN, "ServerErrors"),
        f"{function}ServerErrorRateAlarm": _alarm(
            f"{function}: more than {SERVER_ERROR_PERCENT}% of requests answered 5xx",
            ComparisonOperator="GreaterThanThreshold",
            Threshold=SERVER_ERROR_PERCENT,
            Metrics=[
                metric("errors", "ServerErrors"),
                metric("requests", "Requests"),
                {
                    "Id": "rate",
                    "ReturnData": True,
                    "Label": "5xx %",
                    "Expression": f"IF(requests >= {MIN_REQUESTS}, 100 * errors / requests, 0)",
                },
            ],
        ),
    }


def stage_alarms(resources: dict, names: dict) -> dict:
    alarms = {}
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::DynamoDB::Table":  # function fragments have none
            table = {"TableName": {"Ref": name}}
            alarms[f"{name}ThrottlesAlarm"] = _alarm(
                f"{name}: DynamoDB throttled reads or writes",
                ComparisonOperator="GreaterThanThreshold",
                Threshold=0,
                Metrics=[
                    {
                        "Id": "reads",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/DynamoDB",
                                "MetricName": "ReadThrottleEvents",
                                "Dimensions": [{"Name": "TableName", "Value": table["TableName"]}],
                            },
                            "Period": PERIOD,
                            "Stat": "Sum",
                        },
                    },
                    {
                        "Id": "writes",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/DynamoDB",
                                "MetricName": "WriteThrottleEvents",
                                "Dimensions": [{"Name": "TableName", "Value": table["TableName"]}],
                            },
                            "Period": PERIOD,
                            "Stat": "Sum",
                        },
                    },
                    {"Id": "throttled", "ReturnData": True, "Expression": "reads + writes"},
                ],
            )
    # Powertools writes the metric with the dimensions company and service; the
    # service is POWERTOOLS_SERVICE_NAME, set per stage in .chalice/config.json.  A
    # Metrics Insights query takes the worst company without naming each one.
    alarms["UnresolvedPaymentsAlarm"] = _alarm(
        "Payments the reconciler could not resolve with the gateway (needs attention)",
        ComparisonOperator="GreaterThanThreshold",
        Threshold=0,
        Metrics=[
            {
                "Id": "unresolved",
                "ReturnData": True,
                "Period": PERIOD,
                "Expression": (
                    "SELECT MAX(UnresolvedPayments) FROM SCHEMA(DealerPortal, company, service) "
                    f"WHERE service = '{names['metrics_service']}'"
                ),
            }
        ],
    )
    # The account's reputation metrics (SES publishes them without dimensions).
    alarms["SesBounceRateAlarm"] = _metric_alarm(
        f"SES bounce rate above {BOUNCE_RATE_ALARM:.0%} (SES reviews the account at 5%)",
        "AWS/SES",
        "Reputation.BounceRate",
        {},
        statistic="Maximum",
        threshold=BOUNCE_RATE_ALARM,
        period=3600,
    )
    alarms["SesComplaintRateAlarm"] = _metric_alarm(
        f"SES complaint rate above {COMPLAINT_RATE_ALARM:.1%}",
        "AWS/SES",
        "Reputation.ComplaintRate",
        {},
        statistic="Maximum",
        threshold=COMPLAINT_RATE_ALARM,
        period=3600,
    )
    return alarms
