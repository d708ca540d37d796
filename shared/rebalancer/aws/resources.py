"""The stack's resource names and settings, defined once.

template.yaml creates these resources; the local bootstrap (rebalancer_tools.local.bootstrap) creates
the same ones in moto; the operator commands find them by environment; tests/unit/test_template_resources.py
checks that the template and this module agree, name by name and setting by setting.

    >>> names = StackResources.derive("paper", account_id="123456789012", region="us-east-1")
    >>> names.table, names.halt_parameter
    ('rebalancer-paper-state', '/rebalancer/paper/halt')
    >>> names.bucket
    'rebalancer-paper-records-123456789012-us-east-1'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rebalancer.errors import ConfigError

ENVIRONMENTS = ("paper", "live")

# Name patterns: {env}, {account_id} and {region} stand for ${Env}, ${AWS::AccountId}, ${AWS::Region}.
NAME_PATTERNS: dict[str, str] = {
    "table": "rebalancer-{env}-state",
    "bucket": "rebalancer-{env}-records-{account_id}-{region}",
    "halt_parameter": "/rebalancer/{env}/halt",
    # the secret's name, not its value (detect-secrets)
    "secret": "rebalancer/{env}/alpaca",  # pragma: allowlist secret
    "topic": "rebalancer-{env}-alerts",
    "schedule_dlq": "rebalancer-{env}-schedule-dlq",
    "rebalance_function": "rebalancer-{env}-rebalance",
    "health_function": "rebalancer-{env}-health",
    "watchdog_function": "rebalancer-{env}-watchdog",
}

# Where each name appears in template.yaml: logical id -> (property, NAME_PATTERNS key).
TEMPLATE_NAMES: dict[str, tuple[str, str]] = {
    "StateTable": ("TableName", "table"),
    "RecordsBucket": ("BucketName", "bucket"),
    "HaltParameter": ("Name", "halt_parameter"),
    "AlpacaSecret": ("Name", "secret"),
    "AlertsTopic": ("TopicName", "topic"),
    "ScheduleDeadLetterQueue": ("QueueName", "schedule_dlq"),
    "RebalanceFunction": ("FunctionName", "rebalance_function"),
    "HealthCheckFunction": ("FunctionName", "health_function"),
    "WatchdogFunction": ("FunctionName", "watchdog_function"),
}

# DynamoDB: one table for lease, ledger and risk state (keys in state/dynamodb.py).
TABLE_KEY: tuple[tuple[str, str], ...] = (("pk", "HASH"), ("sk", "RANGE"))
TABLE_TTL_ATTRIBUTE = "purge_at"

HALT_INITIAL_VALUE = "off"
HALT_ALLOWED_PATTERN = "^(off|reduce|halt)$"

# S3 settings, in the S3 API's shapes (the bootstrap passes them as they are).
BUCKET_ENCRYPTION: dict[str, Any] = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
}
BUCKET_PUBLIC_ACCESS_BLOCK: dict[str, bool] = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
BUCKET_LIFECYCLE_RULES: list[dict[str, Any]] = [
    {
        "ID": "expire-old-versions",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
    },
    {
        "ID": "abort-incomplete-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    },
    {
        "ID": "archive-run-records",
        "Status": "Enabled",
        "Filter": {"Prefix": "runs/"},
        "Transitions": [{"Days": 365, "StorageClass": "GLACIER_IR"}],
    },
]

# Environment variables the template gives every function (the handler wiring reads them).
ENV_VARS = {
    "env": "STACK_ENV",
    "table": "STACK_TABLE",
    "bucket": "STACK_BUCKET",
    "halt_parameter": "STACK_HALT_PARAMETER",
    # a variable's name, not a secret (detect-secrets)
    "secret": "STACK_SECRET_ID",  # pragma: allowlist secret
    "topic_arn": "STACK_TOPIC_ARN",
    "live_confirmed": "LIVE_TRADING_CONFIRMED",  # the config loader reads it too
}


def check_env(env: str) -> str:
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"environment {env!r} is not one of {', '.join(ENVIRONMENTS)}",
            code="env-invalid",
            hint="use --env paper or --env live",
            where="env",
        )
    return env


@dataclass(frozen=True)
class StackResources:
    """The concrete names of one stack's resources."""

    env: str
    region: str
    table: str
    bucket: str
    halt_parameter: str
    secret: str
    topic_arn: str
    live_confirmed: bool = False

    @classmethod
    def derive(
        cls, env: str, *, account_id: str, region: str, partition: str = "aws", live_confirmed: bool = False
    ) -> StackResources:
        """The names template.yaml gives the stack of `env` in this account and region."""
        names = {
            key: pattern.format(env=check_env(env), account_id=account_id, region=region)
            for key, pattern in NAME_PATTERNS.items()
        }
        topic_arn = f"arn:{partition}:sns:{region}:{account_id}:{names['topic']}"
        return cls(
            env=env,
            region=region,
            table=names["table"],
            bucket=names["bucket"],
            halt_parameter=names["halt_parameter"],
            secret=names["secret"],
            topic_arn=topic_arn,
            live_confirmed=live_confirmed,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> StackResources:
        """Inside a function: the names the template passed in STACK_* variables."""
        missing = [var for key, var in ENV_VARS.items() if key != "live_confirmed" and not environ.get(var)]
        if missing:
            raise ConfigError(
                f"the function's environment lacks {', '.join(missing)}",
                code="stack-env-missing",
                hint="deploy with template.yaml (it sets them), or export them for a local run",
                where="environment",
            )
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(
            env=check_env(environ[ENV_VARS["env"]]),
            region=region,
            table=environ[ENV_VARS["table"]],
            bucket=environ[ENV_VARS["bucket"]],
            halt_parameter=environ[ENV_VARS["halt_parameter"]],
            secret=environ[ENV_VARS["secret"]],
            topic_arn=environ[ENV_VARS["topic_arn"]],
            live_confirmed=environ.get(ENV_VARS["live_confirmed"], "no") == "yes",  # exactly, as the loader
        )

    def to_environ(self) -> dict[str, str]:
        """The STACK_* variables for these names (LIVE_TRADING_CONFIRMED only when confirmed)."""
        confirmed = {ENV_VARS["live_confirmed"]: "yes"} if self.live_confirmed else {}
        return confirmed | {
            ENV_VARS["env"]: self.env,
            ENV_VARS["table"]: self.table,
            ENV_VARS["bucket"]: self.bucket,
            ENV_VARS["halt_parameter"]: self.halt_parameter,
            ENV_VARS["secret"]: self.secret,
            ENV_VARS["topic_arn"]: self.topic_arn,
        }

    @property
    def topic_name(self) -> str:
        return self.topic_arn.rsplit(":", 1)[-1]
