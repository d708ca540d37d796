"""The real RebalanceFunction handler on moto + the emulator (Lambda invocation replaced by a call):
a scheduled event places orders at the broker, records to S3, the ledger to DynamoDB and a report to SNS;
the same event again, or two at once, never places an order twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rebalancer.state.dynamodb import DynamoDBStore
from rebalancer.state.s3 import S3RunRecords
from rebalancer_tools.cli.main import main as cli_main
from rebalancer_tools.local.deploy import LocalDeployment, local_deployment
from rebalancer_tools.local.emulator_session import EMULATOR_SECRET

pytestmark = pytest.mark.integration

SMALL_CONFIG = """\
env: paper
strategies:
  tecl: {allocation: 1.0}
data:
  lookback_sessions: 260
execution:
  fill_timeout_seconds: 30
"""


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalDeployment]:
    config = tmp_path / "paper.yaml"
    config.write_text(SMALL_CONFIG)
    with local_deployment(config) as deployment:
        yield deployment


def _orders(local: LocalDeployment) -> int:
    return len(local.emulator.state.orders_by_client_id)


def _emf(stdout: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for line in stdout.splitlines():
        if line.startswith('{"_aws"'):
            doc = json.loads(line)
            for definition in doc["_aws"]["CloudWatchMetrics"]:
                for metric in definition["Metrics"]:
                    values[metric["Name"]] = doc[metric["Name"]]
                assert definition["Namespace"] == "Rebalancer"
    return values


def _everything_stored(local: LocalDeployment) -> str:
    """Every S3 object and DynamoDB item of the stack, as text (for secret scanning)."""
    clients, names = local.stack.clients, local.stack.names
    parts = []
    listing = clients.client("s3").list_objects_v2(Bucket=names.bucket).get("Contents", [])
    for obj in listing:
        body = clients.client("s3").get_object(Bucket=names.bucket, Key=obj["Key"])["Body"].read()
        parts.append(body.decode("utf-8", errors="replace"))
    parts.append(json.dumps(clients.client("dynamodb").scan(TableName=names.table)["Items"]))
    return "\n".join(parts)


def test_scheduled_event_trades_records_reports_and_never_twice(
    local: LocalDeployment, capsys: pytest.CaptureFixture[str]
) -> None:
    event = local.scheduled_event()
    response = local.invoke("rebalance", event)
    assert response["status"] == "completed", response
    placed = _orders(local)
    assert placed == response["orders_submitted"] > 0
    assert response["orders_filled"] == placed

    run_id = response["run_id"]
    records = S3RunRecords(local.stack.names.bucket, clients=local.stack.clients)
    assert {"inputs.json", "plan.json", "orders.json", "result.json", "report.txt"} <= set(
        records.list_records(run_id)
    )
    assert response["records"].startswith(f"s3://{local.stack.names.bucket}/runs/{run_id}/")
    store = DynamoDBStore(local.stack.names.table, records=None, clients=local.stack.clients)
    (entry,) = store.recent_runs("paper")
    assert (entry.run_id, entry.status, entry.orders_submitted) == (run_id, "completed", placed)
    (report,) = local.inbox.messages()
    assert "completed" in report.subject
    assert run_id in report.body

    out = capsys.readouterr().out
    metrics = _emf(out)
    assert metrics["OrdersSubmitted"] == [float(placed)]
    assert metrics["RunsCompleted"] == [1.0]
    assert "DrawdownPercent" in metrics
    assert "DataAgeHours" in metrics
    logs = [json.loads(line) for line in out.splitlines() if line.startswith('{"level"')]
    assert any(log.get("correlation_id") == run_id for log in logs)

    again = local.invoke("rebalance", {**event, "execution_id": "retry", "attempt": "2"})
    assert again["status"] == "duplicate"
    assert _orders(local) == placed
    assert local.inbox.messages() == []  # a duplicate delivery is silent: the first run already reported

    watchdog = local.invoke("watchdog", {"source": "schedule", "scheduled_time": event["scheduled_time"]})
    assert watchdog["ok"], watchdog

    assert cli_main(["status", "--env", "paper"]) == 0
    status = capsys.readouterr().out
    assert "halt flag: off" in status
    assert f"{entry.session_date}" in status
    assert "high-water mark:" in status
    assert f"strategy books (as of {entry.session_date}):" in status  # kept in DynamoDB by the run
    assert "last rebalanced" in status

    stored = _everything_stored(local)
    assert EMULATOR_SECRET not in stored
    assert EMULATOR_SECRET not in status
    assert EMULATOR_SECRET not in out
    assert EMULATOR_SECRET not in report.body


def test_two_concurrent_invocations_exactly_one_trades(local: LocalDeployment) -> None:
    event = local.scheduled_event()
    responses: list[dict[str, Any]] = []
    start = threading.Barrier(2)

    def deliver(execution_id: str) -> None:
        start.wait()
        responses.append(local.invoke("rebalance", {**event, "execution_id": execution_id}))

    threads = [threading.Thread(target=deliver, args=(f"exec-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r["status"] for r in responses)
    assert statuses == ["completed", "duplicate"], responses
    winner = next(r for r in responses if r["status"] == "completed")
    assert _orders(local) == winner["orders_submitted"] > 0


def test_a_dry_run_places_nothing_and_the_cli_invokes_the_same_handler(
    local: LocalDeployment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manual = json.loads((Path(__file__).resolve().parents[2] / "events" / "manual.json").read_text())
    assert manual["dry_run"] is True
    path = tmp_path / "manual.json"
    path.write_text(json.dumps({**manual, "scheduled_time": local.scheduled_event()["scheduled_time"]}))
    assert cli_main(["invoke", str(path)]) == 0
    out = capsys.readouterr().out
    response = json.loads(out[out.rindex("\n{") + 1 :])  # the CLI prints the response last
    assert response["status"] == "planned"
    assert response["run_id"].endswith("-plan")
    assert _orders(local) == 0
    (message,) = local.inbox.messages()
    assert "planned" in message.subject


def test_the_demo_runs_the_stack_and_shows_no_double_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "paper.yaml"
    config.write_text(SMALL_CONFIG)
    assert cli_main(["demo", "--config", str(config), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "handler response: completed" in out
    assert "| Subject: [rebalancer paper]" in out
    assert "run record: s3://rebalancer-paper-records-123456789012-us-east-1/runs/" in out
    assert "handler response: duplicate" in out
    assert "no order placed twice" in out
    assert "RunsCompleted=1.0" in out
    assert EMULATOR_SECRET not in out
