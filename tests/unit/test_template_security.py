"""template.yaml: least privilege, alarms on every function, log retention, schedules fit for trading."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebalancer.aws import metric_names
from rebalancer_tools.local.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]

# The only resource wildcards allowed, and why AWS needs them: S3 object ARNs are `<bucket ARN>/<key>`,
# so granting object access to the stack's own bucket needs `/*` after its ARN.
ALLOWED_RESOURCE_WILDCARDS = {"${RecordsBucket.Arn}/*"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _resources(template, "AWS::Serverless::Function")


def _statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, role in _resources(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield logical_id, statement
    for logical_id, bucket_policy in _resources(template, "AWS::S3::BucketPolicy").items():
        for statement in bucket_policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, statement


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_text(resource: Any) -> str:
    """A statement's resource as text: literal, !Sub text, or a reference (never a wildcard)."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return str(resource["Fn::Sub"])
    return json.dumps(resource)


def test_there_is_no_wildcard_action(template: dict[str, Any]) -> None:
    for logical_id, statement in _statements(template):
        if statement["Effect"] == "Deny":
            continue  # a wildcard in a Deny takes away (the bucket's TLS-only policy denies s3:*)
        for action in _as_list(statement["Action"]):
            assert "*" not in action, f"{logical_id}: wildcard action {action}"


def test_resources_are_scoped_to_the_stack(template: dict[str, Any]) -> None:
    seen_allowed = set()
    for logical_id, statement in _statements(template):
        for resource in _as_list(statement["Resource"]):
            text = _resource_text(resource)
            if "*" in text:
                assert text in ALLOWED_RESOURCE_WILDCARDS, f"{logical_id}: wildcard resource {text}"
                seen_allowed.add(text)
            if isinstance(resource, str):
                assert resource.startswith("arn:"), f"{logical_id}: {resource}"
    assert seen_allowed == ALLOWED_RESOURCE_WILDCARDS  # the list documents what is actually used


def test_each_function_has_its_own_role_and_no_sam_policies(template: dict[str, Any]) -> None:
    roles = []
    for logical_id, function in _functions(template).items():
        props = function["Properties"]
        assert "Policies" not in props, f"{logical_id}: use its explicit role"
        assert props["Role"]["Fn::GetAtt"][1] == "Arn"
        roles.append(props["Role"]["Fn::GetAtt"][0])
    assert len(roles) == len(set(roles)) == 3


def test_no_managed_policies_with_broad_grants(template: dict[str, Any]) -> None:
    for logical_id, role in _resources(template, "AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


def test_every_function_has_an_error_alarm_to_the_alerts_topic(template: dict[str, Any]) -> None:
    alarms = _resources(template, "AWS::CloudWatch::Alarm").values()
    for logical_id in _functions(template):
        matching = [
            a["Properties"]
            for a in alarms
            if a["Properties"]["Namespace"] == "AWS/Lambda"
            and a["Properties"]["MetricName"] == "Errors"
            and a["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
        ]
        assert len(matching) == 1, f"{logical_id} has no error alarm"
        assert matching[0]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
        assert matching[0]["Threshold"] == 1


def test_run_outcome_alarms_watch_metrics_the_functions_emit(template: dict[str, Any]) -> None:
    watched = {}
    for logical_id, alarm in _resources(template, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}], logical_id
        # Missing data is no news for every alarm but the one about silence (test_template_alerts.py).
        expected = "breaching" if logical_id == "NoCompletedRunAlarm" else "notBreaching"
        assert props["TreatMissingData"] == expected, logical_id
        if props["Namespace"] == metric_names.NAMESPACE:
            assert props["MetricName"] in metric_names.ALL, logical_id
            dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
            assert dims == {"service": metric_names.SERVICE, "Env": {"Ref": "Env"}}
            watched[props["MetricName"]] = logical_id
    required = {
        metric_names.RUNS_FAILED,
        metric_names.RUNS_SKIPPED,
        metric_names.DRAWDOWN,
        metric_names.RUNS_MISSED,
    }
    assert required <= set(watched)
    dlq = template["Resources"]["ScheduleDeadLetterAlarm"]["Properties"]
    assert dlq["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "QueueName"]}}
    ]


def test_every_function_logs_to_a_group_with_retention(template: dict[str, Any]) -> None:
    groups = _resources(template, "AWS::Logs::LogGroup")
    for logical_id, function in _functions(template).items():
        group_ref = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group_ref]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id
        name = groups[group_ref]["Properties"]["LogGroupName"]["Fn::Sub"]
        assert name == "/aws/lambda/" + function["Properties"]["FunctionName"]["Fn::Sub"]
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 90


def test_schedules_are_tight_named_and_dead_lettered(template: dict[str, Any]) -> None:
    for logical_id, function in _functions(template).items():
        events = function["Properties"]["Events"]
        assert len(events) == 1
        (event,) = events.values()
        assert event["Type"] == "ScheduleV2"
        props = event["Properties"]
        assert props["ScheduleExpressionTimezone"] == "America/New_York"
        assert "${Env}" in props["Name"]["Fn::Sub"], (
            f"{logical_id}: paper and live schedules must not collide"
        )
        assert 0 < props["RetryPolicy"]["MaximumRetryAttempts"] <= 2
        assert 60 <= props["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 600
        assert props["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}
        invoke = function["Properties"]["EventInvokeConfig"]
        assert invoke["MaximumRetryAttempts"] == 0
        assert invoke["MaximumEventAgeInSeconds"] <= 600
        assert invoke["DestinationConfig"]["OnFailure"] == {
            "Type": "SNS",
            "Destination": {"Ref": "AlertsTopic"},
        }


def test_rebalance_schedule_input_is_the_sample_event(template: dict[str, Any]) -> None:
    props = template["Resources"]["RebalanceFunction"]["Properties"]
    schedule = props["Events"]["MarketOpen"]["Properties"]
    assert schedule["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    text = schedule["Input"]
    for placeholder in ("scheduled-time", "execution-id", "attempt-number"):
        assert f"<aws.scheduler.{placeholder}>" in text
    sample = json.loads((ROOT / "events" / "scheduled.json").read_text())
    filled = re.sub(r"<aws\.scheduler\.([a-z-]+)>", "x", text)
    assert set(json.loads(filled)) == set(sample)
    assert sample["source"] == "schedule"


def test_rebalance_function_runtime_memory_and_timeout(template: dict[str, Any]) -> None:
    globals_ = template["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"], globals_["MemorySize"]) == (
        "python3.13",
        ["arm64"],
        512,
    )
    props = template["Resources"]["RebalanceFunction"]["Properties"]
    assert 300 <= props["Timeout"] <= 900
    assert props["ReservedConcurrentExecutions"]["Fn::If"][0] == "HasReservedConcurrency"
