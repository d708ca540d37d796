"""template.yaml and rebalancer.aws.resources agree: same names, same settings (one source of truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebalancer.aws import resources as spec
from rebalancer.errors import ConfigError
from rebalancer_tools.local.cfn_yaml import load_template, load_template_text

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]  # type: ignore[no-any-return]


def _resolve_sub(value: Any, env: str) -> str:
    assert isinstance(value, dict), f"expected !Sub, got {value!r}"
    assert "Fn::Sub" in value, f"expected !Sub, got {value!r}"
    text = value["Fn::Sub"]
    for placeholder, actual in (("${Env}", env), ("${AWS::AccountId}", ACCOUNT), ("${AWS::Region}", REGION)):
        text = text.replace(placeholder, actual)
    assert "${" not in text, f"unresolved placeholder in {text!r}"
    return str(text)


@pytest.mark.parametrize("env", spec.ENVIRONMENTS)
@pytest.mark.parametrize("logical_id", sorted(spec.TEMPLATE_NAMES))
def test_every_named_resource_matches_the_spec(template: dict[str, Any], logical_id: str, env: str) -> None:
    prop, key = spec.TEMPLATE_NAMES[logical_id]
    expected = spec.NAME_PATTERNS[key].format(env=env, account_id=ACCOUNT, region=REGION)
    assert _resolve_sub(_props(template, logical_id)[prop], env) == expected


def test_derived_names_are_the_template_names() -> None:
    names = spec.StackResources.derive("live", account_id=ACCOUNT, region=REGION)
    assert names.table == "rebalancer-live-state"
    assert names.topic_arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:rebalancer-live-alerts"
    assert names.topic_name == "rebalancer-live-alerts"
    assert names.secret == "rebalancer/live/alpaca"  # a name  # pragma: allowlist secret
    assert len(names.bucket) <= 63  # S3's limit, even in the longest region names
    assert not names.live_confirmed


def test_an_unknown_env_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        spec.StackResources.derive("prod", account_id=ACCOUNT, region=REGION)
    assert err.value.code == "env-invalid"


def test_function_environment_round_trips_and_missing_variables_are_named() -> None:
    names = spec.StackResources.derive("paper", account_id=ACCOUNT, region=REGION, live_confirmed=True)
    environ = {**names.to_environ(), "AWS_REGION": REGION}
    assert spec.StackResources.from_environ(environ) == names
    del environ["STACK_TABLE"]
    with pytest.raises(ConfigError, match="STACK_TABLE"):
        spec.StackResources.from_environ(environ)


def test_template_passes_every_stack_variable_to_the_functions(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(spec.ENV_VARS.values()) <= set(variables)
    assert variables["STACK_TABLE"] == {"Ref": "StateTable"}
    assert variables["LIVE_TRADING_CONFIRMED"] == {"Ref": "LiveTradingConfirmed"}


def test_table_settings_match(template: dict[str, Any]) -> None:
    table = _props(template, "StateTable")
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == list(spec.TABLE_KEY)
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TimeToLiveSpecification"] == {"AttributeName": spec.TABLE_TTL_ATTRIBUTE, "Enabled": True}
    assert template["Resources"]["StateTable"]["DeletionPolicy"] == "Retain"


def _lifecycle_as_s3_api(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleConfiguration rule in the S3 API's shape."""
    out: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "NoncurrentVersionExpiration" in rule:
        out["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "AbortIncompleteMultipartUpload" in rule:
        out["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "Transitions" in rule:
        out["Transitions"] = [
            {"Days": t["TransitionInDays"], "StorageClass": t["StorageClass"]} for t in rule["Transitions"]
        ]
    return out


def test_bucket_settings_match(template: dict[str, Any]) -> None:
    bucket = _props(template, "RecordsBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["PublicAccessBlockConfiguration"] == spec.BUCKET_PUBLIC_ACCESS_BLOCK
    (sse,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse == {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    assert spec.BUCKET_ENCRYPTION["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    rules = [_lifecycle_as_s3_api(r) for r in bucket["LifecycleConfiguration"]["Rules"]]
    assert rules == spec.BUCKET_LIFECYCLE_RULES


def test_halt_flag_is_created_off_and_only_accepts_the_three_values(template: dict[str, Any]) -> None:
    halt = _props(template, "HaltParameter")
    assert (halt["Type"], halt["Value"]) == ("String", spec.HALT_INITIAL_VALUE)
    assert halt["AllowedPattern"] == spec.HALT_ALLOWED_PATTERN


def test_keys_are_never_in_the_template(template: dict[str, Any]) -> None:
    secret = _props(template, "AlpacaSecret")
    assert "SecretString" not in secret
    assert "GenerateSecretString" not in secret
    for name in template["Parameters"]:
        assert not any(word in name.lower() for word in ("key", "secret", "password", "token")), name


def test_parameters_offer_the_documented_choices(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    assert params["Env"]["AllowedValues"] == ["paper", "live"]
    assert params["Env"]["Default"] == "paper"
    assert params["LiveTradingConfirmed"]["AllowedValues"] == ["no", "yes"]
    assert params["LiveTradingConfirmed"]["Default"] == "no"
    assert params["ScheduleExpression"]["Default"] == "cron(35 9 ? * MON-FRI *)"
    assert "AlertEmail" in params


def test_cfn_tags_are_read_in_long_form() -> None:
    data = load_template_text(
        "A: !Sub x-${Env}\nB: !Join ['-', [a, b]]\nC: !If [Cond, {x: 1}, !Ref AWS::NoValue]"
    )
    assert data == {
        "A": {"Fn::Sub": "x-${Env}"},
        "B": {"Fn::Join": ["-", ["a", "b"]]},
        "C": {"Fn::If": ["Cond", {"x": 1}, {"Ref": "AWS::NoValue"}]},
    }
    with pytest.raises(ConfigError):
        load_template_text("- just a list")
