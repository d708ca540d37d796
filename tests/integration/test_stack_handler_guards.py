"""The handlers refuse to trade when they must, and say so: halt flag, unreadable flag, missing or malformed
secret, malformed event, late event; the watchdog alerts on a missed run; the health check ticks and
crosses. No secret value ever appears in a log line, record or message."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer_tools.cli.main import main as cli_main
from rebalancer_tools.local.deploy import LocalDeployment, local_deployment
from rebalancer_tools.local.emulator_session import EMULATOR_KEY, EMULATOR_SECRET

pytestmark = pytest.mark.integration

PLANTED = "planted-fake-secret-3c1e9b7a"
CONFIG = "env: paper\nstrategies:\n  tecl: {allocation: 1.0}\ndata:\n  lookback_sessions: 260\n"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    config = tmp_path_factory.mktemp("config") / "paper.yaml"
    config.write_text(CONFIG)
    with local_deployment(config) as deployment:
        yield deployment


@pytest.fixture
def local(shared: LocalDeployment) -> LocalDeployment:
    from rebalancer.aws.entry import reset_runtime

    shared.stack.reset(secret={"key_id": EMULATOR_KEY, "secret_key": EMULATOR_SECRET})
    shared.inbox.subscribe()
    reset_runtime()  # a cold container: no cached flag, secret or clients from the previous test
    return shared


def _orders(local: LocalDeployment) -> int:
    return len(local.emulator.state.orders_by_client_id)


def _put_secret(local: LocalDeployment, value: str) -> None:
    client = local.stack.clients.client("secretsmanager")
    client.put_secret_value(SecretId=local.stack.names.secret, SecretString=value)


def test_halt_flag_set_means_no_orders_and_an_alert(local: LocalDeployment) -> None:
    assert cli_main(["halt", "--env", "paper"]) == 0
    before = _orders(local)
    response = local.invoke("rebalance", local.scheduled_event())
    assert response["status"] == "halted"
    assert _orders(local) == before
    subjects = [m.subject for m in local.inbox.messages()]
    assert any("halted" in s.lower() for s in subjects), subjects


def test_an_unreadable_halt_flag_means_halted(local: LocalDeployment) -> None:
    local.stack.clients.client("ssm").delete_parameter(Name=local.stack.names.halt_parameter)
    before = _orders(local)
    response = local.invoke("rebalance", local.scheduled_event())
    assert response["status"] == "halted"
    assert "unreadable" in response["message"]
    assert _orders(local) == before
    assert local.inbox.messages()


@pytest.mark.parametrize(
    ("secret", "code"),
    [
        (None, "secret-unreadable"),
        (f"{{not json {PLANTED}", "secret-malformed"),
        (json.dumps({"key_id": "PKPLANTED", "secret": PLANTED}), "credentials-malformed"),
    ],
)
def test_a_missing_or_malformed_secret_is_a_clear_failure_with_nothing_placed(
    local: LocalDeployment, capsys: pytest.CaptureFixture[str], secret: str | None, code: str
) -> None:
    if secret is None:
        local.stack.reset(secret=None)  # as deployed: the secret exists without a value
        local.inbox.subscribe()
    else:
        _put_secret(local, secret)
    before = _orders(local)
    response = local.invoke("rebalance", local.scheduled_event())
    assert response["status"] == "failed"
    assert response["error"]["code"] == code
    assert _orders(local) == before
    (alert,) = local.inbox.messages()
    assert code in alert.subject
    assert "nothing was placed" in alert.body
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, alert.body, json.dumps(response)):
        assert PLANTED not in text
    assert '"RunsFailed":[1.0]' in captured.out


def test_a_malformed_event_is_a_clear_error_and_no_trade(local: LocalDeployment) -> None:
    before = _orders(local)
    envelope = {"detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}}
    response = local.invoke("rebalance", envelope)
    assert response["status"] == "failed"
    assert response["error"]["code"] == "event-invalid"
    assert "source" in response["error"]["message"]
    assert _orders(local) == before
    (alert,) = local.inbox.messages()
    assert "event-invalid" in alert.subject


def test_an_event_scheduled_in_2099_is_refused_not_run_as_today(local: LocalDeployment) -> None:
    before = _orders(local)
    event = {**local.scheduled_event(), "scheduled_time": "2099-11-02T14:35:00Z"}
    response = local.invoke("rebalance", event)
    assert response["status"] == "failed"
    assert response["error"]["code"] == "event-time-in-future"
    assert _orders(local) == before
    (alert,) = local.inbox.messages()
    assert "event-time-in-future" in alert.subject


def test_a_late_event_is_skipped_and_alerted(local: LocalDeployment) -> None:
    before = _orders(local)
    late = local.scheduled_event(local.session.now() - dt.timedelta(hours=3))
    response = local.invoke("rebalance", late)
    assert response["status"] == "skipped-late"
    assert _orders(local) == before
    assert any("skipped" in m.subject.lower() or "late" in m.body for m in local.inbox.messages())


def test_the_watchdog_alerts_on_a_missed_run(
    local: LocalDeployment, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {"source": "schedule", "scheduled_time": local.scheduled_event()["scheduled_time"]}
    verdict = local.invoke("watchdog", event)
    assert not verdict["ok"]
    assert "no run was recorded" in verdict["message"]
    (alert,) = local.inbox.messages()
    assert "NO COMPLETED RUN" in alert.subject
    assert '"RunsMissed":[1.0]' in capsys.readouterr().out


def test_the_watchdog_refuses_a_session_in_2099(local: LocalDeployment) -> None:
    verdict = local.invoke("watchdog", {"source": "manual", "scheduled_time": "2099-11-02T15:15:00Z"})
    assert verdict["status"] == "failed"
    assert verdict["error"]["code"] == "event-time-in-future"


def test_the_watchdog_alerts_when_the_run_did_not_complete(local: LocalDeployment) -> None:
    assert cli_main(["halt", "--env", "paper"]) == 0
    local.invoke("rebalance", local.scheduled_event())
    local.inbox.messages()
    verdict = local.invoke(
        "watchdog", {"source": "manual", "scheduled_time": local.scheduled_event()["scheduled_time"]}
    )
    assert not verdict["ok"]
    assert "ended halted" in verdict["message"]


def test_health_ticks_every_check_and_crosses_a_missing_secret(
    local: LocalDeployment, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy = local.invoke("health", {"source": "manual"})
    assert healthy["ok"], healthy
    assert {c["name"] for c in healthy["checks"]} >= {"credentials readable", "data fresh", "topic reachable"}
    assert local.inbox.messages() == []
    assert cli_main(["health", "--env", "paper"]) == 0
    assert capsys.readouterr().out.count("✓") == len(healthy["checks"])

    local.stack.reset(secret=None)
    local.inbox.subscribe()
    from rebalancer.aws.entry import reset_runtime

    reset_runtime()
    sick = local.invoke("health", {"source": "schedule", "scheduled_time": "2026-11-02T14:00:00Z"})
    assert not sick["ok"]
    crossed = {c["name"] for c in sick["checks"] if not c["ok"]}
    assert {"credentials readable", "Alpaca reachable, account active", "data fresh"} == crossed
    (alert,) = local.inbox.messages()
    assert "health check FAILED" in alert.subject
    assert cli_main(["health", "--env", "paper"]) == 1
    assert "✗ credentials readable" in capsys.readouterr().out


def test_health_crosses_when_alerts_reach_nobody(local: LocalDeployment) -> None:
    from rebalancer.aws.entry import reset_runtime

    local.stack.reset(secret={"key_id": EMULATOR_KEY, "secret_key": EMULATOR_SECRET})  # no subscription
    reset_runtime()
    health = local.invoke("health", {"source": "manual"})
    assert not health["ok"]
    crossed = {c["name"]: c["detail"] for c in health["checks"] if not c["ok"]}
    assert list(crossed) == ["alerts reach someone"]
    assert "alerts-unsubscribed" in crossed["alerts reach someone"]


def test_resume_and_reduce_write_the_flag(local: LocalDeployment, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["reduce", "--env", "paper"]) == 0
    assert "sells only" in capsys.readouterr().out
    assert cli_main(["resume", "--env", "paper"]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "rebalancer paper: account 123456789012, region us-east-1",
        "/rebalancer/paper/halt = off: trading normally",
    ]
    local.stack.clients.client("ssm").delete_parameter(Name=local.stack.names.halt_parameter)
    assert cli_main(["status", "--env", "paper"]) == 1
    assert "UNREADABLE" in capsys.readouterr().out


def test_a_live_stack_without_confirmation_refuses_to_trade(tmp_path: Path) -> None:
    from rebalancer.aws.resources import StackResources
    from rebalancer.aws.wiring import StackRuntime
    from rebalancer.errors import ConfigError
    from rebalancer.state.aws_clients import AwsClients

    config = tmp_path / "live.yaml"
    config.write_text(CONFIG.replace("env: paper", "env: live"))
    names = StackResources.derive("live", account_id="123456789012", region="us-east-1")
    environ = {**names.to_environ(), "REBALANCER_CONFIG_FILE": str(config), "LIVE_TRADING_CONFIRMED": "no"}
    runtime = StackRuntime(names, AwsClients(region="us-east-1"), environ)
    with pytest.raises(ConfigError, match="live-not-confirmed"):
        runtime.settings()
    confirmed = {**environ, "LIVE_TRADING_CONFIRMED": "yes"}
    assert StackRuntime(names, runtime.clients, confirmed).settings().env == "live"
    paper_names = StackResources.derive("paper", account_id="1", region="us-east-1")
    mismatch = StackRuntime(paper_names, runtime.clients, confirmed)
    with pytest.raises(ConfigError, match="config-env-mismatch"):
        mismatch.settings()
