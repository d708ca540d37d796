"""Stretches of sessions solved at once: trading to targets is linear in the equity.

On a trade day the rules (rules.py) leave behind inv * E * w_i of each symbol whose order executes
(E: the equity before the trade, inv = 1 - cash_buffer) and the holding itself where the order is
skipped (below min_order_notional); full exits always go. So, given which orders are skipped, buys or
sells, the whole path is fixed by the equity before each trade, and

    E_{k+1} / E_k = 1 - cost_k / E_k + sum_i (H_k,i / E_k) * (growth_i - 1)

where every term but the 1 is small; linear_solve.py iterates it to its fixed point with numpy and
decides the skipped orders exactly along each symbol's chain. What the model cannot take is a trade
whose buys must be scaled to the cash left (no cash buffer with costs, or a tiny account): the
stretch ends there, that session goes through the step-by-step book, and the next stretch starts
from its state; where such sessions are frequent, the rest is walked step by step. Results equal
the step-by-step book within rounding (about 1e-14 relative; the tests hold them to 1e-9).

    >>> import numpy as np
    >>> from rebalancer_research.backtest.options import BacktestOptions
    >>> from rebalancer_research.backtest.kernel import _run_sparse
    >>> ones = np.ones((2, 1))
    >>> sessions = Sessions(np.ones((2, 1)), np.array([True, True]), ones, ones * 1.1)
    >>> path = run_linear(sessions, BacktestOptions(cash_buffer=0.5), _run_sparse)
    >>> [round(x, 6) for x in path.equity.tolist()]
    [105000.0, 110250.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rebalancer_research.backtest.linear_solve import solve
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.rules import SessionPath, Sessions, Trader

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Start = tuple[FloatArray, float]
Stepwise = Callable[[Sessions, BacktestOptions, Start | None], SessionPath]

# When more of the remaining trades than this look irregular, walk the rest step by step.
STEPWISE_MIN = 8
STEPWISE_SHARE = 1 / 32


@dataclass(frozen=True, eq=False)
class _Stretch:
    """Sessions [0, stop) of a slice, solved; the state at the close of session stop - 1."""

    stop: int
    equity: FloatArray
    holdings: FloatArray
    traded: FloatArray
    costs: FloatArray
    trade_days: IntArray
    end: Start
    rough: bool  # many irregular sessions ahead: walk the rest step by step


def run_linear(sessions: Sessions, options: BacktestOptions, stepwise: Stepwise) -> SessionPath:
    """The rules of rules.Trader with a calendar schedule (a trade on every `may_trade` session);
    `stepwise` walks the sessions the linear model cannot take."""
    n, width = sessions.targets.shape
    trader = Trader(options)
    equity, holdings = np.empty(n), np.empty((n, width))
    traded, costs, did_trade = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.bool_)
    state: Start = (np.zeros(width), options.initial_equity)
    t = 0
    while t < n:
        part = _stretch(sessions.part(t), state, trader)
        end = t + part.stop
        equity[t:end], holdings[t:end] = part.equity, part.holdings
        traded[t:end], costs[t:end] = part.traded, part.costs
        did_trade[t + part.trade_days] = True
        t, state = end, part.end
        if t == n:
            break
        stop = n if part.rough else t + 1
        walked = stepwise(sessions.part(t, stop), options, state)
        equity[t:stop], holdings[t:stop] = walked.equity, walked.holdings
        traded[t:stop], costs[t:stop], did_trade[t:stop] = walked.traded, walked.costs, walked.traded_today
        t, state = stop, (walked.holdings[-1], walked.final_cash)
    return SessionPath(equity, holdings, traded, costs, did_trade, state[1])


def _stretch(sessions: Sessions, start: Start, trader: Trader) -> _Stretch:
    w, trade, pre, post = sessions.targets, sessions.may_trade, sessions.pre, sessions.post
    rows, width = w.shape
    held, cash = start
    with np.errstate(over="ignore", under="ignore"):
        level = np.cumprod(pre * post, axis=0)  # growth since the start, at each close
    if not (np.isfinite(level).all() and (level > 0.0).all() and (pre > 0.0).all()):
        return _Stretch(0, *_empty(width), np.zeros(0, dtype=np.intp), start, rough=True)
    days = np.flatnonzero(trade)
    # Growth level just before each trade, and of each anchor (the start, then each trade).
    anchors = np.vstack([np.ones((1, width)), level[days] / post[days]])
    targets = w[days]
    solved = solve(targets, held, anchors, cash, trader)
    bad = solved.bad
    first = int(np.argmax(bad)) if bad.any() else len(days)
    stop = int(days[first]) if first < len(days) else rows
    rough = int(bad[first:].sum()) > STEPWISE_MIN + STEPWISE_SHARE * (len(days) - first)
    # Holdings at each close: the last anchor's, grown since.
    anchor = np.searchsorted(days[:first], np.arange(stop), side="right")
    after = np.vstack([held[None, :], solved.holdings[:first]])
    cash_after = np.concatenate([[cash], solved.cash[:first]])
    holdings = after[anchor] * (level[:stop] / anchors[anchor])
    traded_days = days[:first]
    traded = np.zeros(stop)
    traded[traded_days] = solved.traded[:first]
    spent = np.zeros(stop)
    spent[traded_days] = solved.costs[:first]
    end = (holdings[-1], float(cash_after[anchor[-1]])) if stop else start
    equity_path = cash_after[anchor] + holdings.sum(axis=1)
    return _Stretch(stop, equity_path, holdings, traded, spent, traded_days, end, rough)


def _empty(width: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    return np.zeros(0), np.zeros((0, width)), np.zeros(0), np.zeros(0)
