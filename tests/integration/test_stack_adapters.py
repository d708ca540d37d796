"""AWS adapters against moto (server mode, 127.0.0.1): failure modes a user would notice."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rebalancer.aws.resources import BUCKET_LIFECYCLE_RULES, TABLE_TTL_ATTRIBUTE
from rebalancer.errors import ConfigError, StateError
from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.base import LeaseStatus, RunKey, TradingFlag
from rebalancer.state.dynamodb import DynamoDBStore
from rebalancer.state.s3 import S3RunRecords
from rebalancer.state.secrets import SecretsManagerCredentials
from rebalancer.state.sns import MESSAGE_LIMIT, SnsNotifier, clean_subject
from rebalancer.state.ssm import SsmHaltFlag
from rebalancer_tools.local.moto import LocalStack, TopicInbox, local_environ, moto_server

pytestmark = pytest.mark.integration

FAKE_KEY_ID = "PKFAKE0000PLANTED"
# a known fake: tests scan outputs for it
FAKE_SECRET = "planted-secret-value-9f8e7d"  # pragma: allowlist secret
KEY = RunKey("paper", dt.date(2026, 1, 5), "open")
T0 = dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def module_stack() -> Iterator[LocalStack]:
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key, value in local_environ(url).items():
            patch.setenv(key, value)
        yield LocalStack.at(url)


@pytest.fixture
def stack(module_stack: LocalStack) -> LocalStack:
    module_stack.reset(secret={"key_id": FAKE_KEY_ID, "secret_key": FAKE_SECRET})
    return module_stack


# -- bootstrap: the local stack has the template's settings ---------------------------------------


def test_bootstrap_creates_the_templates_settings(stack: LocalStack) -> None:
    names, clients = stack.names, stack.clients
    ttl = clients.client("dynamodb").describe_time_to_live(TableName=names.table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TABLE_TTL_ATTRIBUTE
    backups = clients.client("dynamodb").describe_continuous_backups(TableName=names.table)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    s3 = clients.client("s3")
    assert s3.get_bucket_versioning(Bucket=names.bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=names.bucket)["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"
    ]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=names.bucket)["Rules"]
    assert sorted(r["ID"] for r in rules) == sorted(r["ID"] for r in BUCKET_LIFECYCLE_RULES)
    value = clients.client("ssm").get_parameter(Name=names.halt_parameter)["Parameter"]["Value"]
    assert value == "off"


# -- halt flag ------------------------------------------------------------------------------------


def test_a_missing_halt_parameter_is_unreadable_not_off(stack: LocalStack) -> None:
    stack.clients.client("ssm").delete_parameter(Name=stack.names.halt_parameter)
    with pytest.raises(StateError) as err:
        SsmHaltFlag(stack.names.halt_parameter, clients=stack.clients).read()
    assert err.value.code == "halt-flag-unreadable"


def test_an_invalid_halt_value_is_an_error(stack: LocalStack) -> None:
    stack.clients.client("ssm").put_parameter(
        Name=stack.names.halt_parameter, Value="stop", Type="String", Overwrite=True
    )
    with pytest.raises(StateError) as err:
        SsmHaltFlag(stack.names.halt_parameter, clients=stack.clients).read()
    assert err.value.code == "halt-flag-invalid"


def test_halt_flag_cache_is_short_and_cleared_by_our_own_write(stack: LocalStack) -> None:
    flag = SsmHaltFlag(stack.names.halt_parameter, clients=stack.clients, max_age=300)
    assert flag.read() is TradingFlag.OFF
    flag.write(TradingFlag.HALT)
    assert flag.read() is TradingFlag.HALT  # our write is seen at once
    other = SsmHaltFlag(stack.names.halt_parameter, clients=stack.clients, max_age=0)
    other.write(TradingFlag.REDUCE)
    assert other.read() is TradingFlag.REDUCE  # max_age=0 always asks SSM


# -- secret ---------------------------------------------------------------------------------------


def _put_secret(stack: LocalStack, value: str) -> None:
    stack.clients.client("secretsmanager").put_secret_value(SecretId=stack.names.secret, SecretString=value)


def test_credentials_load_lazily_and_never_show_the_secret(stack: LocalStack) -> None:
    source = SecretsManagerCredentials(stack.names.secret, clients=stack.clients)
    assert not source.loaded
    creds = source.get()
    assert (creds.key_id, creds.secret_key) == (FAKE_KEY_ID, FAKE_SECRET)
    assert FAKE_SECRET not in repr(creds)
    assert FAKE_SECRET not in str(creds)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (f"not json {FAKE_SECRET}", "secret-malformed"),
        (json.dumps([FAKE_SECRET]), "secret-malformed"),
        (json.dumps({"key_id": FAKE_KEY_ID}), "credentials-malformed"),
        (json.dumps({"key_id": FAKE_KEY_ID, "secret_key": " "}), "credentials-missing"),
    ],
)
def test_a_malformed_secret_is_a_clear_error_without_its_value(
    stack: LocalStack, value: str, code: str
) -> None:
    _put_secret(stack, value)
    with pytest.raises(ConfigError) as err:
        SecretsManagerCredentials(stack.names.secret, clients=stack.clients).get()
    assert err.value.code == code
    text = f"{err.value} {err.value.hint} {err.value!r} {err.value.__cause__!r} {err.value.__context__!r}"
    assert FAKE_SECRET not in text


def test_an_empty_secret_says_how_to_fill_it(stack: LocalStack) -> None:
    stack.reset(secret=None)  # the stack creates the secret without a value
    with pytest.raises(ConfigError) as err:
        SecretsManagerCredentials(stack.names.secret, clients=stack.clients).get()
    assert err.value.code == "secret-unreadable"
    assert "put-secret-value" in err.value.hint


def test_rotated_keys_are_seen_after_invalidate(stack: LocalStack) -> None:
    source = SecretsManagerCredentials(stack.names.secret, clients=stack.clients)
    assert source.get().key_id == FAKE_KEY_ID
    _put_secret(stack, json.dumps({"key_id": "PKROTATED", "secret_key": "rotated"}))
    assert source.get().key_id == FAKE_KEY_ID  # cached (TTL)
    source.invalidate()
    assert source.get().key_id == "PKROTATED"


# -- notifier -------------------------------------------------------------------------------------


def test_messages_reach_the_topic_with_clean_subjects_and_clipped_bodies(stack: LocalStack) -> None:
    inbox = TopicInbox(stack.names.topic_arn, stack.clients)
    notifier = SnsNotifier(stack.names.topic_arn, clients=stack.clients)
    notifier.send("Rebalance paper\n2026-01-05 — 3 orders", "line 1\nline 2")
    notifier.send("x" * 300, "é" * MESSAGE_LIMIT)
    first, second = inbox.messages()
    assert (first.subject, first.body) == ("Rebalance paper 2026-01-05 - 3 orders", "line 1\nline 2")
    assert len(second.subject) == 100
    assert len(second.body.encode()) <= MESSAGE_LIMIT
    assert second.body.endswith("the full report is in the run's records]")
    notifier.check_reachable()


def test_an_unreachable_topic_is_a_state_error(stack: LocalStack) -> None:
    missing = stack.names.topic_arn + "-missing"
    with pytest.raises(StateError) as err:
        SnsNotifier(missing, clients=stack.clients).send("s", "b")
    assert err.value.code == "notify-failed"
    assert clean_subject("") == "rebalancer"


# -- records and table ----------------------------------------------------------------------------


def test_records_are_s3_objects_with_content_types(stack: LocalStack) -> None:
    records = S3RunRecords(stack.names.bucket, clients=stack.clients)
    location = records.put_record(KEY.run_id, "report.txt", b"hello")
    assert location == f"s3://{stack.names.bucket}/runs/{KEY.run_id}/report.txt"
    head = stack.clients.client("s3").head_object(
        Bucket=stack.names.bucket, Key=records.key(KEY.run_id, "report.txt")
    )
    assert head["ContentType"].startswith("text/plain")
    records.check_reachable()
    with pytest.raises(StateError) as err:
        S3RunRecords("no-such-bucket-here", clients=stack.clients).put_record(KEY.run_id, "a.json", b"{}")
    assert err.value.code == "s3-write-failed"


def test_a_missing_table_is_a_state_error_not_a_crash(stack: LocalStack) -> None:
    store = DynamoDBStore("no-such-table", records=None, clients=stack.clients)
    with pytest.raises(StateError) as err:
        store.acquire_lease(KEY, "a", T0, dt.timedelta(minutes=15))
    assert err.value.code == "dynamodb-read-failed"
    with pytest.raises(StateError):
        store.list_records(KEY.run_id)  # no records backend configured
    assert (
        DynamoDBStore(stack.names.table, records=None, clients=stack.clients).describe()["status"] == "ACTIVE"
    )


class _LostResponseClient:
    """Performs put_item, then reports a condition failure, as a retried request after a lost response."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def put_item(self, **kwargs: Any) -> Any:
        self._inner.put_item(**kwargs)
        error = {
            "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
        }
        raise ClientError(error, "PutItem")


class _Clients(AwsClients):
    def __init__(self, inner: AwsClients) -> None:
        super().__init__()
        self._inner = inner

    def client(self, service: str) -> Any:
        real = self._inner.client(service)
        return _LostResponseClient(real) if service == "dynamodb" else real


def test_our_own_write_behind_a_lost_response_still_wins_the_lease(stack: LocalStack) -> None:
    store = DynamoDBStore(stack.names.table, records=None, clients=_Clients(stack.clients))
    first = store.acquire_lease(KEY, "a", T0, dt.timedelta(minutes=15))
    assert first.status is LeaseStatus.ACQUIRED
    store.complete_lease(KEY, "a", "completed")
    plain = DynamoDBStore(stack.names.table, records=None, clients=stack.clients)
    assert plain.acquire_lease(KEY, "b", T0, dt.timedelta(minutes=15)).status is LeaseStatus.COMPLETED


@pytest.mark.parametrize("kind", ["risk", "ledger"])
def test_a_corrupt_document_is_a_typed_state_error(stack: LocalStack, kind: str) -> None:
    store = DynamoDBStore(stack.names.table, records=None, clients=stack.clients)
    ddb = stack.clients.client("dynamodb")
    if kind == "risk":
        item = {"pk": {"S": "risk#paper"}, "sk": {"S": "state"}, "doc": {"S": "{not json"}}
        ddb.put_item(TableName=stack.names.table, Item=item)
        with pytest.raises(StateError) as err:
            store.load_risk_state("paper")
    else:
        item = {"pk": {"S": "ledger#paper"}, "sk": {"S": "run-x"}, "entry": {"S": "{not json"}}
        ddb.put_item(TableName=stack.names.table, Item=item)
        with pytest.raises(StateError) as err:
            store.recent_runs("paper")
    assert err.value.code == "dynamodb-corrupt"
    assert err.value.hint
