"""A 500-symbol universe and a 50-position portfolio run end to end through the emulator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.portfolio.risk_limits import RiskLimits
from rebalancer.run import ExecutionSettings, RunSettings, RunStatus, StrategySpec, run
from rebalancer_tools.local.emulator_session import emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)


def test_a_500_symbol_universe_into_a_50_position_portfolio(tmp_path: Path) -> None:
    symbols = [f"U{i:03d}" for i in range(500)]
    assets = " ".join(f'(asset "{s}")' for s in symbols)
    path = tmp_path / "wide.clj"
    path.write_text(
        '(defsymphony "Wide" {:asset-class "EQUITIES", :rebalance-frequency :daily}\n'
        f" (weight-equal [(filter (cumulative-return {{:window 10}}) (select-top 50) [{assets}])]))\n"
    )
    settings = RunSettings(
        env="paper",
        strategies=(StrategySpec("wide", path, 1.0),),
        execution=ExecutionSettings(fill_timeout_s=30, min_order_notional=Decimal(1)),
        risk_limits=RiskLimits(max_orders_per_run=60),
        lookback_margin=5,
    )
    with emulator_session(at=AT, symbols=symbols, sessions=60) as session:
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(settings, ports, session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        positions = session.broker.get_positions()
        assert len(positions) == 50
        assert {p.symbol for p in positions} == set(result.targets)
        # Only the symbols that trade are looked up, not the whole universe.
        assert session.emulator.request_log.count("asset") == 50
        assert session.emulator.request_log.count("bars") <= 3
