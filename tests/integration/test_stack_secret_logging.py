"""The Alpaca secret never reaches a log line, at any level: botocore at DEBUG logs every response body
(GetSecretValue's included) and urllib3 every request; the handler runs with both at DEBUG here."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from rebalancer_tools.local.deploy import LocalDeployment, local_deployment
from rebalancer_tools.local.emulator_session import EMULATOR_KEY, EMULATOR_SECRET

pytestmark = pytest.mark.integration

PLANTED = EMULATOR_SECRET  # the one secret key the emulator accepts, so the whole run goes through
CONFIG = "env: paper\nstrategies:\n  tecl: {allocation: 1.0}\ndata:\n  lookback_sessions: 260\n"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    config = tmp_path_factory.mktemp("config") / "paper.yaml"
    config.write_text(CONFIG)
    with local_deployment(config) as deployment:
        yield deployment


def test_a_planted_secret_never_appears_in_debug_logs(
    local: LocalDeployment, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from rebalancer.aws.entry import reset_runtime

    local.stack.reset(secret={"key_id": EMULATOR_KEY, "secret_key": PLANTED})
    local.inbox.subscribe()
    reset_runtime()
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    response = local.invoke("rebalance", local.scheduled_event())
    assert response["status"] == "completed", response
    health = local.invoke("health", {"source": "manual"})
    assert health["ok"], health
    logged = caplog.text
    assert "GetSecretValue" in logged or "secretsmanager" in logged.lower()  # botocore did log at DEBUG
    assert "Response body" in logged
    captured = capsys.readouterr()
    for text in (logged, captured.out, captured.err, json.dumps(response), json.dumps(health)):
        assert PLANTED not in text


def test_health_with_wrong_keys_crosses_with_auth_failed_instead_of_crashing(local: LocalDeployment) -> None:
    from rebalancer.aws.entry import reset_runtime

    local.stack.reset(secret={"key_id": EMULATOR_KEY, "secret_key": "wrong-secret-key-123"})
    local.inbox.subscribe()
    reset_runtime()
    health = local.invoke("health", {"source": "manual"})
    assert not health["ok"]
    crossed = {c["name"]: c["detail"] for c in health["checks"] if not c["ok"]}
    assert set(crossed) == {"Alpaca reachable, account active", "data fresh"}
    assert "auth-failed" in crossed["Alpaca reachable, account active"]
    (alert,) = local.inbox.messages()
    assert "health check FAILED" in alert.subject
