"""Create the stack's resources (as template.yaml defines them) in an AWS-compatible endpoint: moto.

Names and settings come from rebalancer.aws.resources, the same definitions the template tests check,
so the local stack is the deployed stack in miniature. Used by `make demo` and the integration tests.

    >>> from rebalancer.state.aws_clients import AwsClients
    >>> names = StackResources.derive("paper", account_id="123456789012", region="us-east-1")
    >>> bootstrap_stack(names, AwsClients(endpoint_url="http://127.0.0.1:5000"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from rebalancer.aws import resources as spec
from rebalancer.aws.resources import StackResources
from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients, aws_errors, error_code

# What a create answers when it already happened: on a busy machine botocore may time out waiting for
# moto's answer and retry a create that moto did complete. The set-up is then idempotent: the resource
# our own first attempt made is accepted as made.
ALREADY_EXISTS = frozenset(
    {
        "ResourceInUseException",  # DynamoDB table
        "BucketAlreadyOwnedByYou",  # S3
        "ParameterAlreadyExists",  # SSM
        "ResourceExistsException",  # Secrets Manager
        "QueueAlreadyExists",  # SQS (with different attributes only)
    }
)


@contextlib.contextmanager
def _tolerating_a_retried_create() -> Iterator[None]:
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as err:
        if error_code(err) not in ALREADY_EXISTS:
            raise


def create_table(names: StackResources, clients: AwsClients) -> None:
    ddb = clients.client("dynamodb")
    with _tolerating_a_retried_create():
        _create_table(ddb, names)
    ddb.get_waiter("table_exists").wait(TableName=names.table, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ddb.update_time_to_live(
        TableName=names.table,
        TimeToLiveSpecification={"AttributeName": spec.TABLE_TTL_ATTRIBUTE, "Enabled": True},
    )
    ddb.update_continuous_backups(
        TableName=names.table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )


def _create_table(ddb: Any, names: StackResources) -> None:
    ddb.create_table(
        TableName=names.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in spec.TABLE_KEY],
        KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in spec.TABLE_KEY],
        SSESpecification={"Enabled": True},
    )


def create_bucket(names: StackResources, clients: AwsClients) -> None:
    s3 = clients.client("s3")
    with _tolerating_a_retried_create():
        if names.region == "us-east-1":
            s3.create_bucket(Bucket=names.bucket)
        else:
            location = {"LocationConstraint": names.region}
            s3.create_bucket(Bucket=names.bucket, CreateBucketConfiguration=location)
    s3.put_bucket_versioning(Bucket=names.bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=names.bucket, ServerSideEncryptionConfiguration=spec.BUCKET_ENCRYPTION)
    s3.put_public_access_block(
        Bucket=names.bucket, PublicAccessBlockConfiguration=spec.BUCKET_PUBLIC_ACCESS_BLOCK
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=names.bucket, LifecycleConfiguration={"Rules": spec.BUCKET_LIFECYCLE_RULES}
    )


def create_halt_parameter(names: StackResources, clients: AwsClients) -> None:
    ssm = clients.client("ssm")
    with _tolerating_a_retried_create():
        ssm.put_parameter(
            Name=names.halt_parameter,
            Value=spec.HALT_INITIAL_VALUE,
            Type="String",
            AllowedPattern=spec.HALT_ALLOWED_PATTERN,
        )
    value = ssm.get_parameter(Name=names.halt_parameter)["Parameter"]["Value"]
    if value != spec.HALT_INITIAL_VALUE:  # someone else's parameter, not our retried create
        raise StateError(
            f"the halt parameter {names.halt_parameter} already holds {value!r}",
            code="bootstrap-mismatch",
            hint="reset the local stack (it starts from an empty moto)",
        )


def create_secret(names: StackResources, clients: AwsClients, value: Mapping[str, str] | None) -> None:
    """The stack creates the secret empty; locally we may fill it at once (e.g. the emulator's keys)."""
    sm = clients.client("secretsmanager")
    with _tolerating_a_retried_create():
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
    hint = "run it again: the set-up is idempotent; if it fails the same way, check that moto started"
    with aws_errors("create the local stack", code="bootstrap-failed", hint=hint):
        create_table(names, clients)
        create_bucket(names, clients)
        create_halt_parameter(names, clients)
        create_secret(names, clients, secret)
        create_topic(names, clients)
        create_dead_letter_queue(names, clients)
