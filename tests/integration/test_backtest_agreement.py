"""The live run and the backtest agree: the run's targets for a session are the backtest's weights decided
at the previous session's close (what open-mode backtests trade at that session's open)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rebalancer.config.loader import load_config_with_sources
from rebalancer.run import RunStatus, run
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.run.settings import NEW_YORK
from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import combined_weights, evaluate_all
from rebalancer_research.backtest.simulate import simulate
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.local.emulator_session import emulator_session
from rebalancer_tools.local.memory import MemoryHaltFlag, MemoryNotifier, MemoryStore

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 2, 14, 35, tzinfo=dt.UTC)  # Monday 09:35 ET; the previous session is Oct 30
SESSIONS = 400


def test_run_targets_equal_the_backtest_weights_of_the_previous_decision(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "env: paper\nstrategies:\n  nuclear: {allocation: 0.6}\n  tecl: {allocation: 0.4}\n"
        "data:\n  lookback_sessions: 250\nexecution:\n  fill_timeout_seconds: 20\n"
    )
    settings = settings_from_config(load_config_with_sources(config))
    strategies = load_strategies(specs_from_arguments(["nuclear", "tecl"], ["nuclear=0.6", "tecl=0.4"]))
    symbols = set().union(*(s.symphony.symbols for s in strategies))
    with emulator_session(at=AT, symbols=symbols, sessions=SESSIONS) as session:
        ports = session.ports(MemoryStore(), MemoryHaltFlag(), MemoryNotifier())
        result = run(settings, ports, session.now())
    assert result.status is RunStatus.COMPLETED, result.report

    # The backtest, on the very market the emulator served (same generator, same end, same sessions).
    history = synthetic_market(
        symbols, end=AT.astimezone(NEW_YORK).date() - dt.timedelta(days=1), sessions=SESSIONS
    )
    combined = combined_weights(strategies, evaluate_all(strategies, history))
    decision_day = history.last_date
    assert decision_day == dt.date(2026, 10, 30)
    expected = combined.row(decision_day)
    assert set(result.targets) == set(expected)
    for symbol, weight in expected.items():
        assert result.targets[symbol] == pytest.approx(weight, abs=1e-9), symbol

    # And the open-mode simulation holds, after its last session's trade, the previous decision.
    path = simulate(
        combined, history, BacktestOptions(execution="open", cash_buffer=0.0, min_order_notional=0)
    )
    previous = combined.row(history.dates[-2])
    held = dict(zip(path.symbols, path.weights_held[-1], strict=True))
    assert {s for s, w in held.items() if w > 0} == set(previous)
