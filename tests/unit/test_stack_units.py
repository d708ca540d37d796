"""Pure parts of the stack: event validation, metric derivation, the watchdog's verdict, wiring options."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rebalancer.aws.events import EventError, parse_check_event, parse_rebalance_event
from rebalancer.aws.health import Check
from rebalancer.aws.resources import StackResources
from rebalancer.aws.telemetry import Telemetry, account_health, add_account_metrics, run_status_metric
from rebalancer.aws.watchdog import check_session
from rebalancer.aws.wiring import StackRuntime
from rebalancer.errors import ConfigError, StateError
from rebalancer.state.base import LedgerEntry, SystemClock
from rebalancer_tools.cli.invoke_cmd import response_ok
from rebalancer_tools.local.invoke import LocalContext, load_handler
from rebalancer_tools.local.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
MONDAY = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["scheduled", "manual"])
def test_the_sample_events_are_valid(name: str) -> None:
    event = parse_rebalance_event(json.loads((ROOT / "events" / f"{name}.json").read_text()))
    assert event.scheduled_time is not None
    assert event.dry_run is (name == "manual")
    assert (
        parse_check_event(json.loads((ROOT / "events" / "health.json").read_text()), "health").source
        == "manual"
    )


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ([], "must be a JSON object"),
        ({"source": "schedule"}, "scheduled_time"),
        ({"source": "schedule", "scheduled_time": "2026-11-02T09:35:00"}, "UTC offset"),
        ({"source": "schedule", "scheduled_time": "2026-11-02T14:35:00Z", "dry_run": True}, "dry run"),
        ({"source": "cron", "scheduled_time": "2026-11-02T14:35:00Z"}, "source"),
        ({"source": "manual", "qty": 100}, "qty"),
        ({"source": "manual", "attempt": "two"}, "attempt"),
    ],
)
def test_malformed_rebalance_events_are_named_errors(event: object, fragment: str) -> None:
    with pytest.raises(EventError) as err:
        parse_rebalance_event(event)
    assert err.value.code == "event-invalid"
    assert fragment in str(err.value)


def test_the_scheduler_sends_the_attempt_as_text() -> None:
    event = parse_rebalance_event(
        {"source": "schedule", "scheduled_time": "2026-11-02T14:35:00Z", "attempt": "3"}
    )
    assert event.attempt == 3


def test_status_metrics_and_account_health() -> None:
    assert run_status_metric("completed") == "RunsCompleted"
    assert run_status_metric("data-gate-failed") == "RunsFailed"
    assert run_status_metric("skipped-late") == "RunsSkipped"
    assert run_status_metric("duplicate") is None
    inputs = {"data_quality": {"last_bar": "2026-10-30"}, "account": {"equity": "90000"}}
    health = account_health(inputs, {"high_water_mark": "100000"}, MONDAY)
    assert health == {"DataAgeHours": 65.58, "DrawdownPercent": 10.0}
    assert account_health({"account": {"equity": "nan?"}}, {"high_water_mark": "1"}, MONDAY) == {}
    assert account_health({}, None, MONDAY) == {}


class _Recorder:
    """Stands in for the Powertools Logger and Metrics: keeps what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def warning(self, message: str, **kwargs: object) -> None:
        self.calls.append((message, kwargs))

    def add_metric(self, **kwargs: object) -> None:
        self.calls.append(("metric", kwargs))


class _UnreadableRecords(MemoryStore):
    def get_record(self, run_id: str, name: str) -> bytes:
        raise StateError(f"cannot read {run_id}/{name}", code="s3-read-failed")


def test_account_metrics_skip_a_run_without_inputs_quietly_but_warn_on_a_read_failure() -> None:
    logger, metrics = _Recorder(), _Recorder()
    tel = Telemetry(logger, metrics)
    assert add_account_metrics(tel, MemoryStore(), "paper", "paper-2026-11-02-open", MONDAY) == {}
    assert logger.calls == []
    assert add_account_metrics(tel, _UnreadableRecords(), "paper", "paper-2026-11-02-open", MONDAY) == {}
    ((message, details),) = logger.calls
    assert "not emitted" in message
    assert "s3-read-failed" in str(details)
    assert metrics.calls == []


def _entry(status: str, day: int = 2, slot: str = "market-open") -> LedgerEntry:
    started = dt.datetime(2026, 11, day, 14, 35, tzinfo=dt.UTC)
    return LedgerEntry(
        f"paper-2026-11-0{day}-{slot}", "paper", started.date(), slot, status, started, message="m"
    )


@pytest.mark.parametrize(
    ("entries", "ok", "fragment"),
    [
        ([], False, "no run was recorded"),
        ([_entry("completed", day=1)], False, "no run was recorded"),  # yesterday's run does not count
        ([_entry("failed")], False, "ended failed"),
        ([_entry("completed", slot="market-open-plan")], False, "no run was recorded"),  # a dry run is no run
        ([_entry("failed"), _entry("no-session")], True, "no-session"),
        ([_entry("partial")], True, "partial"),
    ],
)
def test_the_watchdog_verdict(entries: list[LedgerEntry], ok: bool, fragment: str) -> None:
    store = MemoryStore()
    for entry in entries:
        store.record_run(entry)
    verdict = check_session(store, "paper", MONDAY)
    assert verdict.ok is ok
    assert fragment in verdict.message
    assert verdict.to_dict()["session_date"] == "2026-11-02"


def test_check_lines_show_a_tick_or_a_cross() -> None:
    assert Check("config valid", True, "3 strategies").line() == "✓ config valid: 3 strategies"
    assert Check("data fresh", False, "stale").line().startswith("✗ data fresh")


def test_wiring_options_are_validated() -> None:
    names = StackResources.derive("paper", account_id="123456789012", region="us-east-1")
    runtime = StackRuntime.from_environ(
        {**names.to_environ(), "STACK_CLOCK": "wall", "STACK_HALT_MAX_AGE": "x"}
    )
    assert runtime.clients.created == ()  # nothing is created before first use
    with pytest.raises(ConfigError, match="STACK_CLOCK"):
        runtime.clock(None)
    with pytest.raises(ConfigError, match="STACK_HALT_MAX_AGE"):
        _ = runtime.halt_flag
    assert isinstance(StackRuntime.from_environ(names.to_environ()).clock(None), SystemClock)
    assert runtime.config_path == "config/paper.yaml"


def test_handlers_load_by_name_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    assert callable(load_handler("watchdog"))
    with pytest.raises(ConfigError, match="function-unknown"):
        load_handler("trade")
    with pytest.raises(ConfigError, match="function-missing"):
        load_handler("health", functions_dir=tmp_path)
    context = LocalContext.for_function("rebalance", "live")
    assert context.function_name == "rebalancer-live-rebalance"
    assert context.get_remaining_time_in_millis() > 0


def test_invoke_exit_status_follows_the_response() -> None:
    assert response_ok({"status": "completed"})
    assert response_ok({"status": "duplicate"})
    assert not response_ok({"status": "halted"})
    assert not response_ok({"ok": False, "checks": []})
