"""Create the stack's resources (as template.yaml defines them) in an AWS-compatible endpoint: moto.

Names and settings come from rebalancer.aws.resources, the same definitions the template tests check,
so the local stack is the deployed stack in miniature. Used by `make demo` and the integration tests.

    >>> from rebalancer.state.aws_clients import AwsClients
    >>> names = StackResources.derive("paper", account_id="123456789012", region="us-east-1")
    >>> bootstrap_stack(names, AwsClients(endpoint_url="http://127.0.0.1:5000"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from rebalancer.aws import resources as spec
from rebalancer.aws.resources import StackResources
from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients, aws_errors


def create_table(names: StackResources, clients: AwsClients) -> None:
    ddb = clients.client("dynamodb")
    ddb.create_table(
        TableName=names.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in spec.TABLE_KEY],
        KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in spec.TABLE_KEY],
        SSESpecification={"Enabled": True},
    )
    ddb.get_waiter("table_exists").wait(TableName=names.table, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ddb.update_time_to_live(
        TableName=names.table,
        TimeToLiveSpecification={"AttributeName": spec.TABLE_TTL_ATTRIBUTE, "Enabled": True},
    )
    ddb.update_continuous_backups(
        TableName=names.table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )


def create_bucket(names: StackResources, clients: AwsClients) -> None:
    s3 = clients.client("s3")
    if names.region == "us-east-1":
        s3.create_bucket(Bucket=names.bucket)
    else:
        s3.create_bucket(Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": names.region})
    s3.put_bucket_versioning(Bucket=names.bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=names.bucket, ServerSideEncryptionConfiguration=spec.BUCKET_ENCRYPTION)
    s3.put_public_access_block(
        Bucket=names.bucket, PublicAccessBlockConfiguration=spec.BUCKET_PUBLIC_ACCESS_BLOCK
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=names.bucket, LifecycleConfiguration={"Rules": spec.BUCKET_LIFECYCLE_RULES}
    )


def create_halt_parameter(names: StackResources, clients: AwsClients) -> None:
    clients.client("ssm").put_parameter(
        Name=names.halt_parameter,
        Value=spec.HALT_INITIAL_VALUE,
        Type="String",
        AllowedPattern=spec.HALT_ALLOWED_PATTERN,
    )


def create_secret(names: StackResources, clients: AwsClients, value: Mapping[str, str] | None) -> None:
    """The stack creates the secret empty; locally we may fill it at once (e.g. the emulator's keys)."""
    sm = clients.client("secretsmanager")
    if value is None:
        sm.create_secret(Name=names.secret)
    else:
        sm.create_secret(Name=names.secret, SecretString=json.dumps(dict(value)))


def create_topic(names: StackResources, clients: AwsClients) -> None:
    arn = clients.client("sns").create_topic(Name=names.topic_name)["TopicArn"]
    if arn != names.topic_arn:
        raise StateError(
            f"the endpoint created topic {arn}, not {names.topic_arn}",
            code="bootstrap-mismatch",
            hint="derive the names with the endpoint's account id and region",
        )


def create_dead_letter_queue(names: StackResources, clients: AwsClients) -> None:
    dlq = spec.NAME_PATTERNS["schedule_dlq"].format(env=names.env)
    clients.client("sqs").create_queue(QueueName=dlq, Attributes={"MessageRetentionPeriod": "1209600"})


def bootstrap_stack(
    names: StackResources, clients: AwsClients, *, secret: Mapping[str, str] | None = None
) -> None:
    """Create table, bucket, halt parameter (off), secret, topic and dead-letter queue."""
    with aws_errors("create the local stack", code="bootstrap-failed", hint="is moto running?"):
        create_table(names, clients)
        create_bucket(names, clients)
        create_halt_parameter(names, clients)
        create_secret(names, clients, secret)
        create_topic(names, clients)
        create_dead_letter_queue(names, clients)
