"""infra.resources: the CloudFormation tables are exactly the PynamoDB models (docs/data-model.md).

The packaged template as a whole is linted in tests/integration/test_packaging.py.
"""
import re

import pytest

from chalicelib.models import ALL_MODELS, TTL_ATTRIBUTES, Session, Throttle, Token
from infra.resources import THEME_ASSETS_URL, cloudformation

PREFIX = "portal-prod-"


@pytest.fixture(scope="module")
def tables():
    resources = cloudformation(PREFIX)["Resources"]
    return {name: resource for name, resource in resources.items()
            if resource.get("Type") == "AWS::DynamoDB::Table"}


def _keys(key_schema):
    return sorted((k["AttributeName"], k["KeyType"]) for k in key_schema)


def _table_of(model, tables):
    return tables[f"{model.__name__}Table"]["Properties"]


def test_one_table_per_model(tables):
    assert sorted(tables) == sorted(f"{m.__name__}Table" for m in ALL_MODELS)
    names = [t["Properties"]["TableName"] for t in tables.values()]
    assert len(set(names)) == len(names)
    for model in ALL_MODELS:
        default_name = model.Meta.table_name
        assert default_name.startswith("portal-"), default_name
        assert _table_of(model, tables)["TableName"] == PREFIX + default_name[len("portal-"):]


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_table_matches_model(model, tables):
    schema = model._get_schema()
    props = _table_of(model, tables)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert _keys(props["KeySchema"]) == _keys(schema["key_schema"])
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == \
        sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"])

    expected = {i["index_name"]: i for i in schema.get("global_secondary_indexes", [])}
    actual = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert sorted(actual) == sorted(expected)
    for name, index in expected.items():
        assert _keys(actual[name]["KeySchema"]) == _keys(index["key_schema"]), name
        assert actual[name]["Projection"] == index["projection"], name
        assert "ProvisionedThroughput" not in actual[name]  # on-demand table
    # infra.resources has no local secondary indexes; no model may declare one.
    assert not schema.get("local_secondary_indexes")
    assert "LocalSecondaryIndexes" not in props


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_key_schemas_list_hash_key_first(model, tables):
    """DynamoDB and CloudFormation reject a KeySchema whose first element is not HASH.

    PynamoDB's `_get_schema()` lists keys in attribute-name order (its create_table
    sorts them before calling DynamoDB, so moto never notices); the template must not.
    """
    props = _table_of(model, tables)
    schemas = {"table": props["KeySchema"]}
    schemas.update({i["IndexName"]: i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", [])})
    for where, key_schema in schemas.items():
        assert [k["KeyType"] for k in key_schema] in (["HASH"], ["HASH", "RANGE"]), where


def test_ttl_on_session_token_and_throttle_only(tables):
    assert set(TTL_ATTRIBUTES) == {Session, Token, Throttle}
    for model in ALL_MODELS:
        ttl = _table_of(model, tables).get("TimeToLiveSpecification")
        if model in TTL_ATTRIBUTES:
            assert ttl == {"AttributeName": TTL_ATTRIBUTES[model], "Enabled": True}
        else:
            assert ttl is None, model.__name__


def test_theme_assets_are_served_by_cloudfront_and_only_checked_assets_are_readable():
    template = cloudformation(PREFIX)
    resources = template["Resources"]
    bucket = resources["ThemeBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert bucket["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["POST"]
    assert bucket["LifecycleConfiguration"]["Rules"][0]["Prefix"] == "uploads/"
    statement = resources["ThemeBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Resource"] == {"Fn::Sub": "${ThemeBucket.Arn}/assets/*"}
    origin = resources["ThemeDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ThemeOriginAccessControl", "Id"]}
    assert template["Outputs"]["ThemeAssetsUrl"]["Value"] == THEME_ASSETS_URL


def test_data_survives_deletion_but_a_failed_first_create_can_be_retried():
    resources = cloudformation(PREFIX)["Resources"]
    data = {name: r for name, r in resources.items()
            if r["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")}
    assert len(data) == len(ALL_MODELS) + 2
    for name, resource in data.items():
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
        assert resource["UpdateReplacePolicy"] == "Retain", name


def test_bucket_names_carry_stage_account_and_region():
    dev, prod = (cloudformation(f"portal-{s}-", s)["Resources"] for s in ("dev", "prod"))
    for bucket in ("ThemeBucket", "DocumentsBucket"):
        name = prod[bucket]["Properties"]["BucketName"]["Fn::Sub"]
        assert name.startswith("portal-prod-") and name.endswith("-${AWS::AccountId}-${AWS::Region}")
        assert dev[bucket]["Properties"]["BucketName"] != prod[bucket]["Properties"]["BucketName"]
    # 63 characters at most, with a 12-digit account and the longest region name.
    longest = name.replace("${AWS::AccountId}", "0" * 12).replace("${AWS::Region}", "ap-southeast-4")
    assert len(longest) <= 63


def test_stage_and_operator_email_are_checked_at_deploy_time():
    params = cloudformation("portal-dev-", "dev")["Parameters"]
    assert params["Stage"]["AllowedValues"] == ["dev"]
    assert "Default" not in params["Stage"] and "Default" not in params["OperatorEmail"]
    pattern = re.compile(params["OperatorEmail"]["AllowedPattern"])
    assert pattern.match("ops@example.com")
    for wrong in ("", "ops", "ops@example", "a b@example.com"):
        assert not pattern.match(wrong), wrong
    assert params["WebReservedConcurrency"]["Default"] == 0


def test_ses_events_go_to_the_stages_own_topic():
    dev, prod = (cloudformation(f"portal-{s}-", s)["Resources"] for s in ("dev", "prod"))
    destination = prod["SesBounceEvents"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "SesConfigurationSet"}
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert destination["EventDestination"]["SnsDestination"] == {
        "TopicARN": {"Ref": "SesNotificationsTopic"}}
    assert (dev["SesNotificationsTopic"]["Properties"]["TopicName"]
            != prod["SesNotificationsTopic"]["Properties"]["TopicName"])
    assert prod["OperatorSubscription"]["Properties"]["Endpoint"] == {"Ref": "OperatorEmail"}


def test_alarms_cover_tables_payments_and_mail_and_notify_the_operator():
    resources = cloudformation(PREFIX)["Resources"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    for model in ALL_MODELS:
        assert f"{model.__name__}TableThrottlesAlarm" in alarms
    assert "SesBounceRateAlarm" in alarms
    query = alarms["UnresolvedPaymentsAlarm"]["Metrics"][0]["Expression"]
    assert "UnresolvedPayments" in query and "service = 'dealer-portal-prod'" in query
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "OperatorTopic"}], name


def _chalice_like(stage):
    """The function resources `chalice package` writes (see tests/integration/test_stack.py for the real ones)."""
    from infra.resources import cloudformation as fragment

    template = fragment(f"portal-{stage}-", stage)
    env = {"Variables": {"PORTAL_STAGE": stage}}
    template["Resources"].update({
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.app", "Environment": dict(env), "ReservedConcurrentExecutions": 200}},
        "ReconcilePayments": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.reconcile_payments", "Environment": {"Variables": dict(env["Variables"])},
            "ReservedConcurrentExecutions": 200,
            "Events": {"ReconcilePaymentsEvent": {"Type": "Schedule",
                                                  "Properties": {"Schedule": "rate(5 minutes)"}}}}},
        "SesNotifications": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.ses_notifications", "Environment": {"Variables": dict(env["Variables"])},
            "Events": {"SesNotificationsSnsSubscription": {"Type": "SNS", "Properties": {"Topic": {
                "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                           "portal-ses-notifications"}}}}}},
    })
    return template


def test_every_function_links_theme_assets_and_the_ses_function_hears_the_stages_topic():
    from infra.functions import complete
    from infra.package import stage_environment

    template = complete(_chalice_like("dev"), "dev", stage_environment("dev"))
    resources = template["Resources"]
    for name in ("APIHandler", "ReconcilePayments", "SesNotifications"):
        variables = resources[name]["Properties"]["Environment"]["Variables"]
        assert variables["PORTAL_THEME_ASSETS_URL"] == THEME_ASSETS_URL, name
        assert variables["PORTAL_STAGE"] == "dev" and variables["PORTAL_SES_CONFIGURATION_SET"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "dealer-portal-dev"
    topic = resources["SesNotifications"]["Properties"]["Events"]["SesNotificationsSnsSubscription"]
    assert topic["Properties"]["Topic"] == {"Ref": "SesNotificationsTopic"}
    # Reserved concurrency: the web function's, from a parameter; nobody else's.
    assert "ReservedConcurrentExecutions" not in resources["ReconcilePayments"]["Properties"]
    assert resources["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1] == {
        "Ref": "WebReservedConcurrency"}


def test_a_function_without_a_policy_or_an_unknown_topic_stops_packaging():
    from infra.functions import TemplateError, complete
    from infra.package import stage_environment

    template = _chalice_like("dev")
    template["Resources"]["SendMail"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    with pytest.raises(TemplateError, match=r"no IAM policy for \['SendMail'\]"):
        complete(template, "dev", stage_environment("dev"))
    template = _chalice_like("dev")
    events = template["Resources"]["SesNotifications"]["Properties"]["Events"]
    events["SesNotificationsSnsSubscription"]["Properties"]["Topic"] = {"Fn::Sub": "arn:…:other-topic"}
    with pytest.raises(TemplateError, match="not created by the template"):
        complete(template, "dev", stage_environment("dev"))


def test_the_local_stage_cannot_be_packaged_for_aws():
    from infra.functions import TemplateError, complete
    from infra.package import stage_environment

    with pytest.raises(TemplateError, match="stage 'local' cannot be deployed.*PORTAL_TABLE_PREFIX"):
        complete(_chalice_like("local"), "local", stage_environment("local"))
