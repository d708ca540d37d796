"""Strategies on different schedules: one sleeve (book) per strategy, as the live run keeps them.

Each strategy trades its own sleeve (allocation x initial equity) on its own schedule (its file's
`:rebalance-frequency` / `:rebalance-threshold`, or the --rebalance override); the portfolio is the sum
of the sleeves. Sleeves are never rebalanced against each other, like Composer's symphonies and the
live run's per-strategy books (docs/rebalancing.md). When every strategy shares one schedule the
pipeline simulates the allocation-weighted combination instead (the same trades for a daily
portfolio, and the planner's netting).

    >>> from rebalancer.symphony.reader import read_symphony
    >>> s = read_symphony('(defsymphony "m" {:rebalance-frequency :monthly} (weight-equal [(asset "SPY")]))')
    >>> str(schedule_of(s, None))
    'monthly'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from rebalancer.market.history import PriceHistory, day_to_date
from rebalancer.strategies.schedule import schedule_from_settings
from rebalancer.symphony.nodes import Symphony
from rebalancer_research.backtest.attribution import COSTS
from rebalancer_research.backtest.options import BacktestOptions, Rebalance
from rebalancer_research.backtest.simulate import BacktestResult, WeightsLike, simulate, simulation_window


def schedule_of(symphony: Symphony, override: Rebalance | None, where: str = "") -> Rebalance:
    """The override when given, else the schedule the symphony's settings declare."""
    if override is not None:
        return override
    return Rebalance.from_schedule(schedule_from_settings(symphony.settings, where or symphony.name))


def simulate_sleeves(
    per_strategy: Mapping[str, WeightsLike],
    allocations: Mapping[str, float],
    schedules: Mapping[str, Rebalance],
    history: PriceHistory,
    options: BacktestOptions,
) -> tuple[BacktestResult, dict[str, BacktestResult]]:
    """Simulate each strategy's sleeve from a common first session; return (portfolio, sleeves)."""
    firsts = [simulation_window(w, history, options)[0] for w in per_strategy.values()]
    start = day_to_date(history.dates[max(firsts)])
    sleeves = {
        name: simulate(
            weights,
            history,
            dataclasses.replace(
                options,
                rebalance=schedules[name],
                initial_equity=options.initial_equity * allocations[name],
                start=start,
            ),
        )
        for name, weights in per_strategy.items()
        if allocations[name] > 0
    }
    return _total(list(sleeves.values()), options), sleeves


def _total(sleeves: Sequence[BacktestResult], options: BacktestOptions) -> BacktestResult:
    symbols = tuple(sorted(set().union(*(s.symbols for s in sleeves))))
    column = {sym: i for i, sym in enumerate(symbols)}
    first = sleeves[0]
    holdings = np.zeros((len(first.dates), len(symbols)))
    pre = np.ones_like(holdings)
    post = np.ones_like(holdings)
    for sleeve in sleeves:
        cols = [column[sym] for sym in sleeve.symbols]
        holdings[:, cols] += sleeve.holdings
        pre[:, cols] = sleeve.growth_pre  # price ratios depend on the symbol only
        post[:, cols] = sleeve.growth_post
    return BacktestResult(
        dates=first.dates,
        symbols=symbols,
        equity=np.sum([s.equity for s in sleeves], axis=0),
        holdings=holdings,
        traded=np.sum([s.traded for s in sleeves], axis=0),
        costs=np.sum([s.costs for s in sleeves], axis=0),
        traded_today=np.any([s.traded_today for s in sleeves], axis=0),
        decision_row=np.max([s.decision_row for s in sleeves], axis=0),
        growth_pre=pre,
        growth_post=post,
        options=options,
    )


def sleeve_contributions(sleeves: Mapping[str, BacktestResult], initial_equity: float) -> dict[str, float]:
    """Each sleeve's market P&L over the portfolio's initial equity, plus "costs" (exact, no split)."""
    out = {
        name: (float(s.equity[-1]) + float(s.costs.sum()) - s.options.initial_equity) / initial_equity
        for name, s in sleeves.items()
    }
    out[COSTS] = -sum(float(s.costs.sum()) for s in sleeves.values()) / initial_equity
    return out


def trade_sessions(result: BacktestResult) -> int:
    """How many sessions traded (a monthly strategy: about 12 a year)."""
    return int(np.count_nonzero(result.traded_today))
