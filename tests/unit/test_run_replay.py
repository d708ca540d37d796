"""Replay: the recorded inputs re-evaluate to identical targets and plan; tampering is detected."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from run_fakes import FakeBroker, et, make_ports, make_settings

from rebalancer.errors import StateError
from rebalancer.run import RunStatus, run
from rebalancer.run.record import bars_digest, bars_from_bytes, bars_to_bytes
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.disk import DiskStore
from rebalancer_tools.replay import replay_run

HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


def _recorded_run(tmp_path: Path) -> tuple[DiskStore, str]:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker = FakeBroker(prices)
    broker.positions = {"XOM": Decimal(20)}
    ports, _ = make_ports(broker, HISTORY, et("2026-01-05"))
    ports.store = DiskStore(tmp_path / "store")
    result = run(make_settings(tmp_path), ports, et("2026-01-05"))
    assert result.status is RunStatus.COMPLETED
    return ports.store, result.run_id


def test_replay_reproduces_targets_and_plan(tmp_path: Path) -> None:
    store, run_id = _recorded_run(tmp_path)
    report = replay_run(store, run_id)
    assert report.identical, report.differences
    assert report.targets
    assert any(line.startswith("sell XOM") for line in report.orders)
    assert "identical" in report.format()


def test_replay_detects_a_changed_decision(tmp_path: Path) -> None:
    store, run_id = _recorded_run(tmp_path)
    path = tmp_path / "store" / "runs" / run_id / "decision.json"
    doc = json.loads(path.read_text())
    doc["targets"]["GLD"] = 0.99
    path.write_text(json.dumps(doc))
    report = replay_run(store, run_id)
    assert not report.identical
    assert "targets differ" in report.differences[0]


def test_replay_refuses_bars_that_do_not_match_their_digest(tmp_path: Path) -> None:
    store, run_id = _recorded_run(tmp_path)
    other = synthetic_market(["SPY", "TLT", "BIL", "GLD"], end=dt.date(2026, 1, 2), sessions=300, seed=8)
    (tmp_path / "store" / "runs" / run_id / "bars.npz").write_bytes(bars_to_bytes(other))
    with pytest.raises(StateError) as err:
        replay_run(store, run_id)
    assert err.value.code == "record-digest-mismatch"


def test_bars_round_trip_bit_for_bit() -> None:
    back = bars_from_bytes(bars_to_bytes(HISTORY))
    assert bars_digest(back) == bars_digest(HISTORY)
    assert back.symbols == HISTORY.symbols


def test_replay_of_a_run_halted_for_zero_equity_is_identical(tmp_path: Path) -> None:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    ports, _ = make_ports(FakeBroker(prices, cash=Decimal(0)), HISTORY, et("2026-01-05"))
    ports.store = DiskStore(tmp_path / "store")
    result = run(make_settings(tmp_path), ports, et("2026-01-05"))
    assert result.status is RunStatus.HALTED
    report = replay_run(ports.store, result.run_id)
    assert report.identical, report.differences
    assert report.orders == []
