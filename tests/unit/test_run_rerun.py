"""A documented retry after a failed run, a quiet redelivery, and the runbook's remedies as written.

Regressions (issue 10): after a data-gate failure the day could not be run again (the next invocation
said `duplicate` and did nothing); a late redelivery of a completed run raised a false alarm
(`skipped-late`, alert); another slot after the window was `skipped-late` unless max_delay was raised.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from run_fakes import FakeBroker, FakeMarketData, et, expire_leases, make_ports, make_settings

from rebalancer.run import RunStatus, run
from rebalancer.run.ports import Ports
from rebalancer.run.settings import ScheduleSettings
from rebalancer.state.base import RunKey
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.memory import MemoryStore

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


def _broker() -> FakeBroker:
    return FakeBroker({s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)})


def _ports(broker: FakeBroker, store: MemoryStore, when: str) -> Ports:
    ports, _ = make_ports(broker, HISTORY, et(DAY, when))
    ports.store = store
    return ports


def _alerts(ports: Ports) -> list[str]:
    return [subject for subject, _ in ports.notifier.messages if "ALERT" in subject]


def test_after_a_data_gate_failure_a_rerun_takes_a_new_attempt(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    stale = _ports(broker, store, "09:35")
    stale.market_data = FakeMarketData(HISTORY.until("2025-12-31"), live=lambda: broker.prices)
    assert run(settings, stale, et(DAY)).status is RunStatus.DATA_GATE_FAILED
    again = run(settings, _ports(broker, store, "09:50"), et(DAY, "09:50"))
    assert again.status is RunStatus.DUPLICATE  # a plain invocation still never repeats a finished run
    rerun = run(settings, _ports(broker, store, "10:20"), et(DAY, "10:20"), rerun=True)  # past max_delay
    assert rerun.status is RunStatus.COMPLETED, rerun.report
    assert rerun.attempt == 2
    assert broker.orders
    assert store.recent_runs("paper")[0].status == "completed"


def test_a_rerun_never_repeats_a_run_that_placed_orders(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    assert run(settings, _ports(broker, store, "09:35"), et(DAY)).status is RunStatus.COMPLETED
    placed = len(broker.orders)
    rerun = run(settings, _ports(broker, store, "09:50"), et(DAY, "09:50"), rerun=True)
    assert rerun.status is RunStatus.DUPLICATE
    assert len(broker.orders) == placed


def test_a_rerun_after_the_close_is_still_skipped(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    rerun = run(make_settings(tmp_path), _ports(broker, store, "16:05"), et(DAY, "16:05"), rerun=True)
    assert rerun.status is RunStatus.SKIPPED_LATE
    assert broker.orders == {}


def test_a_late_redelivery_of_a_completed_run_is_quiet(tmp_path: Path) -> None:
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    assert run(settings, _ports(broker, store, "09:35"), et(DAY)).status is RunStatus.COMPLETED
    late = _ports(broker, store, "11:00")
    result = run(settings, late, et(DAY, "11:00"))
    assert result.status is RunStatus.DUPLICATE
    assert _alerts(late) == []
    assert store.recent_runs("paper")[0].status == "completed"


RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"


def test_the_runbooks_rerun_payload_is_a_valid_rerun_event() -> None:
    from rebalancer.aws.events import parse_rebalance_event

    text = RUNBOOK.read_text(encoding="utf-8")
    payload = text.split("--payload '", 1)[1].split("'", 1)[0]
    event = parse_rebalance_event(json.loads(payload))
    assert event.rerun
    assert event.source == "manual"


def test_runbook_partial_then_the_next_session_trades_the_difference(tmp_path: Path) -> None:
    """Runbook, `partial`: the next session's run trades the remaining difference; another slot is
    skipped-late after the window unless it is a rerun, and then holds (each book rebalances once per
    session)."""
    history = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 5), sessions=300)
    prices = {s: Decimal(repr(float(history.close[-1, i]))) for i, s in enumerate(history.symbols)}
    broker, store = FakeBroker(prices), MemoryStore()
    settings = make_settings(tmp_path)

    def ports(day: str, when: str) -> Ports:
        made, _ = make_ports(broker, history, et(day, when))
        made.store = store
        return made

    broker.reject = {"GLD"}
    first = run(settings, ports(DAY, "09:35"), et(DAY))
    assert first.status is RunStatus.PARTIAL
    broker.reject = set()
    manual = replace(settings, schedule=ScheduleSettings(slot="manual-1"))
    assert run(manual, ports(DAY, "11:00"), et(DAY, "11:00")).status is RunStatus.SKIPPED_LATE
    same_day = run(manual, ports(DAY, "11:05"), et(DAY, "11:05"), rerun=True)
    assert same_day.status is RunStatus.COMPLETED
    assert "GLD" not in broker.holdings_value()
    next_day = run(settings, ports("2026-01-06", "09:35"), et("2026-01-06"))
    assert next_day.status is RunStatus.COMPLETED, next_day.report
    assert "GLD" in broker.holdings_value()


def test_runbook_crash_then_re_invoke_after_the_window_with_rerun_reconciles(tmp_path: Path) -> None:
    """'After the run's window, re-invoke with rebalancer rerun': it settles the crashed attempt's orders."""
    broker, store = _broker(), MemoryStore()
    settings = make_settings(tmp_path)
    ports = _ports(broker, store, "09:35")

    def crash(step: str) -> None:
        if step == "sells-filled":
            raise RuntimeError("the process died")

    ports.on_step = crash
    with pytest.raises(RuntimeError):
        run(settings, ports, et(DAY))
    expire_leases(store, RunKey("paper", dt.date(2026, 1, 5), "open"))
    resumed = run(settings, _ports(broker, store, "11:30"), et(DAY, "11:30"), rerun=True)
    assert resumed.status is RunStatus.COMPLETED, resumed.report
    assert resumed.attempt == 2
    assert len(broker.by_client) == len(broker.orders)
