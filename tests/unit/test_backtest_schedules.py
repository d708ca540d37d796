"""The backtest follows each symphony's :rebalance-frequency / :rebalance-threshold (docs/rebalancing.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from rebalancer.market.history import PriceHistory
from rebalancer.strategies import LoadedStrategy, load_strategies, specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions, parse_rebalance
from rebalancer_research.backtest.pipeline import run_backtest
from rebalancer_research.market.synthetic import synthetic_market

FIXED = '(weight-specified [60 40] [(asset "SPY") (asset "TLT")])'


def _strategy(tmp_path: Path, name: str, settings: str, allocation: float = 1.0) -> LoadedStrategy:
    path = tmp_path / f"{name}.clj"
    path.write_text(f'(defsymphony "{name}" {settings} {FIXED})\n')
    [loaded] = load_strategies(specs_from_arguments([str(path)], [f"{name}=1"]))
    return dataclasses.replace(loaded, allocation=allocation)


@pytest.fixture(scope="module")
def market() -> PriceHistory:
    return synthetic_market(["SPY", "TLT"])


def test_a_monthly_symphony_trades_about_twelve_sessions_a_year(tmp_path: Path, market: PriceHistory) -> None:
    monthly = _strategy(tmp_path, "m", "{:rebalance-frequency :monthly}")
    run = run_backtest([monthly], market, BacktestOptions(), benchmark=None)
    per_year = run.document["sessions_traded"] / (len(run.result.dates) / 252.0)
    assert 11.0 <= per_year <= 12.5
    assert run.document["strategies"]["m"]["rebalance"] == "monthly"
    traded = run.result.dates[run.result.traded_today].astype("datetime64[M]")
    assert len(np.unique(traded)) == len(traded)  # never twice in a month


def test_a_daily_symphony_trades_more_than_a_monthly_one(tmp_path: Path, market: PriceHistory) -> None:
    daily = run_backtest(
        [_strategy(tmp_path, "d", "{:rebalance-frequency :daily}")], market, BacktestOptions(), benchmark=None
    )
    monthly = run_backtest(
        [_strategy(tmp_path, "m", "{:rebalance-frequency :monthly}")],
        market,
        BacktestOptions(),
        benchmark=None,
    )
    assert daily.document["sessions_traded"] > 5 * monthly.document["sessions_traded"]


def test_a_threshold_symphony_trades_only_when_its_band_is_crossed(
    tmp_path: Path, market: PriceHistory
) -> None:
    corridor = _strategy(tmp_path, "t", "{:rebalance-threshold 0.05}")
    options = BacktestOptions(cash_buffer=0.0, min_order_notional=0.0)
    run = run_backtest([corridor], market, options, benchmark=None)
    result = run.result
    weights = result.holdings / result.equity[:, None]
    spy = result.symbols.index("SPY")
    traded = np.flatnonzero(result.traded_today)
    assert 1 < len(traded) < len(result.dates) / 20
    # Between trades the drift stays within the band; every trade after the first found it crossed
    # (the weight drifted since the previous close, before the day's trade).
    quiet = ~result.traded_today
    assert np.all(np.abs(weights[quiet][1:, spy] - 0.6) <= 0.05 + 1e-9)
    for t in traded[1:]:
        before = result.holdings[t - 1, spy] * result.growth_pre[t, spy]
        equity = (result.holdings[t - 1] * result.growth_pre[t]).sum()
        assert abs(before / equity - 0.6) > 0.05


def test_the_command_line_overrides_the_files_setting(tmp_path: Path, market: PriceHistory) -> None:
    monthly = _strategy(tmp_path, "m", "{:rebalance-frequency :monthly}")
    run = run_backtest([monthly], market, BacktestOptions(rebalance=parse_rebalance("daily")), benchmark=None)
    assert run.document["strategies"]["m"]["rebalance"] == "daily"
    assert run.document["sessions_traded"] > 200


def test_strategies_on_different_schedules_keep_their_own_sleeves(
    tmp_path: Path, market: PriceHistory
) -> None:
    daily = _strategy(tmp_path, "d", "{:rebalance-frequency :daily}", 0.5)
    yearly = _strategy(tmp_path, "y", "{:rebalance-frequency :yearly}", 0.5)
    run = run_backtest([daily, yearly], market, BacktestOptions(), benchmark=None)
    info = run.document["strategies"]
    assert (info["d"]["rebalance"], info["y"]["rebalance"]) == ("daily", "yearly")
    calendar_years = len(np.unique(run.result.dates.astype("datetime64[Y]")))
    assert info["y"]["sessions_traded"] == calendar_years  # the first session of each year
    assert info["d"]["sessions_traded"] > 100
    # The sleeves add up to the portfolio: contributions (market P&L and costs) explain the return.
    explained = info["d"]["contribution"] + info["y"]["contribution"] + run.document["contribution_costs"]
    total = run.result.equity[-1] / BacktestOptions().initial_equity - 1.0
    assert explained == pytest.approx(total, abs=1e-9)


def test_the_backtest_says_which_symbol_limits_its_start(tmp_path: Path, market: PriceHistory) -> None:
    late = market.close.copy()
    spy = market.symbols.index("SPY")
    late[:500, spy] = np.nan  # SPY "listed" 500 sessions into the history
    history = PriceHistory(market.dates, market.symbols, late, None)
    run = run_backtest([_strategy(tmp_path, "m", "{}")], history, BacktestOptions(), benchmark=None)
    coverage = run.document["data_coverage"]
    assert coverage["limited_by"] == "SPY"
    assert coverage["late"] == [f"SPY from {market.dates[500]}"]
    assert str(run.result.dates[0]) >= str(market.dates[500])
