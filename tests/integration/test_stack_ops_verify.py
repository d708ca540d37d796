"""Operator commands verify the stack before they claim anything: in the wrong region, or with no stack,
`rebalancer halt` refuses (and creates nothing) instead of printing HALTED."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rebalancer.state.aws_clients import AwsClients
from rebalancer_tools.cli.main import main as cli_main
from rebalancer_tools.local.moto import LOCAL_ACCOUNT_ID, LocalStack, local_environ, moto_server, reset_moto

pytestmark = pytest.mark.integration

OTHER_REGION = "eu-west-1"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url, pytest.MonkeyPatch.context() as patch:
        for key, value in local_environ(url).items():
            patch.setenv(key, value)
        yield url


@pytest.fixture
def stack(server: str) -> LocalStack:
    running = LocalStack.at(server)
    running.reset()
    return running


def _in_region(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)


def _parameters(server: str, region: str) -> list[str]:
    ssm = AwsClients(endpoint_url=server, region=region).client("ssm")
    return [p["Name"] for p in ssm.describe_parameters()["Parameters"]]


@pytest.mark.parametrize("command", ["halt", "reduce", "resume"])
def test_in_the_wrong_region_the_flag_commands_refuse_and_create_nothing(
    stack: LocalStack,
    server: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    _in_region(monkeypatch, OTHER_REGION)
    assert cli_main([command, "--env", "paper"]) == 2
    captured = capsys.readouterr()
    assert "HALTED" not in captured.out
    assert "stack-not-found" in captured.err
    assert OTHER_REGION in captured.err
    assert LOCAL_ACCOUNT_ID in captured.err
    assert _parameters(server, OTHER_REGION) == []
    _in_region(monkeypatch, "us-east-1")
    assert cli_main(["status", "--env", "paper"]) == 0
    assert "halt flag: off" in capsys.readouterr().out


def test_with_no_stack_at_all_halt_refuses(
    stack: LocalStack, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_moto(server)
    assert cli_main(["halt", "--env", "paper"]) == 2
    assert "stack-not-found" in capsys.readouterr().err
    assert _parameters(server, "us-east-1") == []


@pytest.mark.parametrize("command", [["status"], ["reset-risk"]])
def test_status_and_reset_risk_refuse_in_the_wrong_region(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    _in_region(monkeypatch, OTHER_REGION)
    assert cli_main([*command, "--env", "paper"]) == 2
    assert "stack-not-found" in capsys.readouterr().err


def test_a_deleted_flag_is_not_recreated_by_halt(
    stack: LocalStack, server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.clients.client("ssm").delete_parameter(Name=stack.names.halt_parameter)
    assert cli_main(["resume", "--env", "paper"]) == 2
    err = capsys.readouterr().err
    assert "halt-flag-missing" in err
    assert "put-parameter" in err
    assert _parameters(server, "us-east-1") == []


def test_halt_names_the_account_and_region_it_halted(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["halt", "--env", "paper"]) == 0
    out = capsys.readouterr().out
    assert f"account {LOCAL_ACCOUNT_ID}" in out
    assert "region us-east-1" in out
    assert "/rebalancer/paper/halt = halt: HALTED" in out
