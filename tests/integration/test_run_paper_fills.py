"""The product against the emulator's Alpaca-paper fill model: buys at the ask, a wider spread and partial
fills (every order here) still bring a multi-strategy rebalance to its targets within tolerance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.config.loader import load_config_with_sources
from rebalancer.run import RunSettings, RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.strategies import load_strategies, needed_symbols
from rebalancer_emulator import EmulatorConfig
from rebalancer_tools.local.emulator_session import emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET


def settings(tmp_path: Path) -> RunSettings:
    path = tmp_path / "config.yaml"
    path.write_text(
        "env: paper\nstrategies:\n  nuclear: {allocation: 0.6}\n  tecl: {allocation: 0.4}\n"
        "data:\n  lookback_sessions: 250\n"
        "execution:\n  fill_timeout_seconds: 20\n"
    )
    return settings_from_config(load_config_with_sources(path))


def test_a_rebalance_reaches_its_targets_with_far_side_fills_and_partial_fills(tmp_path: Path) -> None:
    run_settings = settings(tmp_path)
    symbols = needed_symbols(load_strategies(run_settings.strategies))
    config = EmulatorConfig(spread_bps=Decimal(10), partial_fill_rate=1.0, seed=3)
    with emulator_session(at=AT, symbols=symbols, sessions=400, config=config) as session:
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(run_settings, ports, session.now())
        assert result.status is RunStatus.COMPLETED, result.report
        orders = session.emulator.state.orders
        assert orders
        assert all(o.parts == 2 for o in orders)  # every order filled in two parts
        assert all(o.status == "filled" for o in orders)
        buys = [o for o in orders if o.side == "buy"]
        assert buys
        for order in buys:  # every buy paid at least the mid: the ask, half the 10 bps spread above it
            assert order.filled_avg_price is not None
            assert order.filled_at is not None
            mid = session.emulator.prices.price_at(order.symbol, order.filled_at)
            assert mid is not None
            assert order.filled_avg_price > mid, order.symbol
        account = session.broker.get_account()
        held = {p.symbol: float(p.market_value / account.equity) for p in session.broker.get_positions()}
        for symbol, weight in result.targets.items():
            assert held[symbol] == pytest.approx(weight * 0.98, abs=0.01), symbol
        assert account.cash >= 0
