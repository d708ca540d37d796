"""template.yaml: alerts reach someone. A live stack needs an address, a stack that never completes a run
alarms even when nothing reports (a disabled schedule), the topic is encrypted with a key CloudWatch may
use, and the bucket's TLS-only policy denies every S3 action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebalancer.aws import metric_names
from rebalancer_tools.local.cfn_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]
LONGEST_MARKET_CLOSURE_DAYS = 3  # a weekend plus a Monday or Friday holiday


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_a_live_stack_cannot_be_deployed_without_an_alert_email(template: dict[str, Any]) -> None:
    rules = template.get("Rules", {}).values()
    live_rules = [r for r in rules if r.get("RuleCondition") == {"Fn::Equals": [{"Ref": "Env"}, "live"]}]
    asserted = [a["Assert"] for r in live_rules for a in r["Assertions"]]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]} in asserted


def test_no_completed_run_alarms_when_nothing_reports_at_all(template: dict[str, Any]) -> None:
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    breaching = {
        k: a["Properties"] for k, a in alarms.items() if a["Properties"]["TreatMissingData"] == "breaching"
    }
    (props,) = breaching.values()
    assert props["Namespace"] == metric_names.NAMESPACE
    assert props["MetricName"] == metric_names.RUNS_COMPLETED
    assert (props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
        "Sum",
        1,
        "LessThanThreshold",
    )
    days = props["Period"] * props["EvaluationPeriods"] / 86400
    assert props["DatapointsToAlarm"] == props["EvaluationPeriods"]
    assert LONGEST_MARKET_CLOSURE_DAYS < days <= 5  # never on a long weekend; within a week otherwise
    assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_the_alerts_topic_is_encrypted_with_a_key_alarms_and_functions_may_use(
    template: dict[str, Any],
) -> None:
    topic = template["Resources"]["AlertsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlertsKey"}
    key = template["Resources"]["AlertsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    by_principal = {
        str(s["Principal"]): set(s["Action"]) for s in key["KeyPolicy"]["Statement"] if s["Effect"] == "Allow"
    }
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= by_principal[
        str({"Service": "cloudwatch.amazonaws.com"})
    ]
    for logical_id, role in _of_type(template, "AWS::IAM::Role").items():
        statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
        publishes = any("sns:Publish" in str(s["Action"]) for s in statements)
        on_key = {
            a
            for s in statements
            if s["Resource"] == {"Fn::GetAtt": ["AlertsKey", "Arn"]}
            for a in s["Action"]
        }
        assert not publishes or {"kms:Decrypt", "kms:GenerateDataKey"} <= on_key, logical_id


def test_the_health_role_may_list_the_topics_subscriptions(template: dict[str, Any]) -> None:
    role = template["Resources"]["HealthRole"]["Properties"]
    actions = [s["Action"] for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert any("sns:ListSubscriptionsByTopic" in a for a in actions)


def test_the_bucket_tls_only_policy_denies_every_s3_action(template: dict[str, Any]) -> None:
    policy = template["Resources"]["RecordsBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = [s for s in policy["Statement"] if s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
