"""The AWS backends (DynamoDB lease/ledger/risk + S3 records, SSM halt flag) pass the same Store/HaltFlag
contract as the memory and disk backends: tests/unit/test_run_store_contract.py, run here against moto
in server mode on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rebalancer.aws.resources import StackResources
from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.dynamodb import DynamoDBStore
from rebalancer.state.s3 import S3RunRecords
from rebalancer.state.ssm import SsmHaltFlag
from rebalancer_tools.local.bootstrap import bootstrap_stack
from rebalancer_tools.local.moto import LOCAL_ACCOUNT_ID, LOCAL_REGION, local_environ, moto_server, reset_moto

pytestmark = pytest.mark.integration

NAMES = StackResources.derive("paper", account_id=LOCAL_ACCOUNT_ID, region=LOCAL_REGION)


def _load_suite() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "unit" / "test_run_store_contract.py"
    spec = importlib.util.spec_from_file_location("stack_store_contract_suite", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_SUITE = _load_suite()
for _name, _test in vars(_SUITE).items():
    # Only the tests that take a backend; the pure ones already run in the suite's own module.
    if _name.startswith("test_") and {"store", "flag"} & set(inspect.signature(_test).parameters):
        globals()[_name] = _test


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key, value in local_environ(url).items():
            patch.setenv(key, value)
        yield url


@pytest.fixture(scope="module")
def module_clients(endpoint: str) -> AwsClients:
    return AwsClients(endpoint_url=endpoint, region=LOCAL_REGION)  # reused: creating clients is slow


@pytest.fixture
def clients(endpoint: str, module_clients: AwsClients) -> AwsClients:
    reset_moto(endpoint)
    bootstrap_stack(NAMES, module_clients)
    return module_clients


@pytest.fixture
def store(clients: AwsClients) -> DynamoDBStore:
    return DynamoDBStore(NAMES.table, records=S3RunRecords(NAMES.bucket, clients=clients), clients=clients)


@pytest.fixture
def flag(clients: AwsClients) -> SsmHaltFlag:
    return SsmHaltFlag(NAMES.halt_parameter, clients=clients, max_age=0)


def test_the_contract_suite_was_found() -> None:
    assert "test_concurrent_acquires_have_exactly_one_winner" in globals()
    assert "test_halt_flag_defaults_off_and_round_trips" in globals()
