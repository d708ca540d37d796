"""The path-dependent core of a simulation: trade to the targets session by session (rules.py).

Three implementations of the same rules:
- linear (kernel_linear.py): a trade is linear in the equity, so whole stretches of sessions are
  solved with numpy; a session whose buys must be scaled to the cash goes through a book below.
  Used for calendar schedules (daily, weekly, monthly) up to SPARSE_MAX_SYMBOLS symbols: its cost
  grows with the (session, held symbol) pairs, so for hundreds of held symbols the dense book's rows
  are faster and lighter (bench/scale_bench.py, 400 held symbols: dense 0.25 s and 281 MB of
  RSS, linear 1.0 s and 466 MB).
- sparse: a dict book of only the symbols held (plain floats); a few microseconds per session.
- dense: whole numpy rows, for universes wider than SPARSE_MAX_SYMBOLS.
The threshold schedule decides from the drifted book each day, so it always walks session by session.

    >>> import numpy as np
    >>> from rebalancer_research.backtest.options import BacktestOptions
    >>> ones = np.ones((2, 1))
    >>> path = run_sessions(np.array([[1.0], [1.0]]), np.array([True, True]), ones, ones * 1.1,
    ...                     BacktestOptions(cash_buffer=0.0))
    >>> [round(x, 6) for x in path.equity.tolist()]
    [110000.0, 121000.0]
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from rebalancer_research.backtest.kernel_linear import run_linear
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.rules import Book, SessionPath, Sessions, Trader

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Method = Literal["auto", "linear", "sparse", "dense"]

# Up to this many symbols a pure-float sparse book is fastest; beyond it, numpy rows are.
SPARSE_MAX_SYMBOLS = 64


def run_sessions(
    targets: FloatArray,
    may_trade: BoolArray,
    pre: FloatArray,
    post: FloatArray,
    options: BacktestOptions,
    *,
    method: Method = "auto",
) -> SessionPath:
    """Walk the sessions: grow by `pre` (previous close to the trade), trade to `targets[t]` where
    `may_trade[t]`, grow by `post` (trade to close), record. `method` picks the implementation
    (auto: linear up to SPARSE_MAX_SYMBOLS symbols, dense beyond; linear: linear whatever the width;
    a threshold schedule always walks, sparse or dense by the width); all apply the same rules."""
    sessions = Sessions(targets, may_trade, pre, post)
    wide = targets.shape[1] > SPARSE_MAX_SYMBOLS
    stepwise = _run_dense if wide else _run_sparse
    if method == "sparse":
        return _run_sparse(sessions, options)
    if method == "dense":
        return _run_dense(sessions, options)
    if options.schedule.kind != "threshold" and (method == "linear" or not wide):
        return run_linear(sessions, options, stepwise)
    return stepwise(sessions, options)


def _row_targets(targets: FloatArray) -> list[list[tuple[int, float]]]:
    """Per row, the (column, weight) pairs with a non-zero weight, in column order."""
    rows, cols = np.nonzero(targets)
    values = targets[rows, cols].tolist()
    bounds = np.searchsorted(rows, np.arange(len(targets) + 1)).tolist()
    pairs = list(zip(cols.tolist(), values, strict=True))
    return [pairs[bounds[t] : bounds[t + 1]] for t in range(len(targets))]


def _run_sparse(
    sessions: Sessions, options: BacktestOptions, start: tuple[FloatArray, float] | None = None
) -> SessionPath:
    """The dict book; `start` is (holdings, cash) before the first session (default: all cash)."""
    targets, may_trade, pre, post = sessions.targets, sessions.may_trade, sessions.pre, sessions.post
    n, width = targets.shape
    trader = Trader(options)
    book = _start_book(start, options)
    held = book.held
    started = start is not None
    plan = _row_targets(targets)
    allowed = may_trade.tolist()
    # Rows of ratios that are all 1 (close mode's post, a session without moves) are skipped.
    pre_moves = (pre != 1.0).any(axis=1).tolist()
    post_moves = (post != 1.0).any(axis=1).tolist()
    equity, traded, costs = [0.0] * n, [0.0] * n, [0.0] * n
    did_trade = [False] * n
    cells: list[tuple[int, int, float]] = []
    for t in range(n):
        if held and pre_moves[t]:
            growth = pre[t].tolist()
            for col in held:
                held[col] *= growth[col]
        if allowed[t] and (not started or trader.needs_trade(book, plan[t])):
            traded[t], costs[t] = trader.trade(book, plan[t])
            did_trade[t] = started = True
        if held and post_moves[t]:
            growth = post[t].tolist()
            for col in held:
                held[col] *= growth[col]
        equity[t] = book.cash + sum(held.values())
        cells.extend((t, col, value) for col, value in held.items())
    holdings = np.zeros((n, width))
    if cells:
        rows, cols, values = zip(*cells, strict=True)
        holdings[list(rows), list(cols)] = values
    return SessionPath(
        np.array(equity),
        holdings,
        np.array(traded),
        np.array(costs),
        np.array(did_trade, dtype=np.bool_),
        book.cash,
    )


def _start_book(start: tuple[FloatArray, float] | None, options: BacktestOptions) -> Book:
    if start is None:
        return Book({}, options.initial_equity)
    holdings, cash = start
    return Book({col: value for col, value in enumerate(holdings.tolist()) if value > 0.0}, cash)


def _run_dense(
    sessions: Sessions, options: BacktestOptions, start: tuple[FloatArray, float] | None = None
) -> SessionPath:
    """The same rules as Trader on whole numpy rows (for wide universes)."""
    targets, may_trade, pre, post = sessions.targets, sessions.may_trade, sessions.pre, sessions.post
    n, width = targets.shape
    trader = Trader(options)
    h = np.zeros(width) if start is None else np.array(start[0], dtype=np.float64)
    cash = options.initial_equity if start is None else start[1]
    holdings = np.empty((n, width))
    equity, traded, costs = np.empty(n), np.zeros(n), np.zeros(n)
    did_trade = np.zeros(n, dtype=np.bool_)
    pre_moves = (pre != 1.0).any(axis=1).tolist()
    post_moves = (post != 1.0).any(axis=1).tolist()
    allowed = may_trade.tolist()
    started = start is not None
    for t in range(n):
        if pre_moves[t]:
            h *= pre[t]
        if allowed[t]:
            target = targets[t]
            worth = cash + float(h.sum())
            if not started or _dense_needs_trade(trader, h, target, worth):
                cash, traded[t], costs[t] = _dense_trade(trader, h, target, cash, worth)
                did_trade[t] = started = True
        if post_moves[t]:
            h *= post[t]
        holdings[t] = h
        equity[t] = cash + float(h.sum())
    return SessionPath(equity, holdings, traded, costs, did_trade, cash)


def _dense_needs_trade(trader: Trader, h: FloatArray, target: FloatArray, worth: float) -> bool:
    if trader.threshold is None:
        return True
    if not np.array_equal(h > 0.0, target > 0.0):
        return True
    return float(np.abs(h / worth - target * trader.invested).max(initial=0.0)) > trader.threshold


def _dense_trade(
    trader: Trader, h: FloatArray, target: FloatArray, cash: float, worth: float
) -> tuple[float, float, float]:
    """Trade `h` in place; returns (cash after, notional traded, costs)."""
    goal = target * (worth * trader.invested)
    delta = goal - h
    wanted = goal > 0.0
    sell = (~wanted & (h > 0.0)) | (wanted & (-delta >= trader.minimum) & (delta < 0.0))
    buy = wanted & (delta > 0.0)
    sold = -float(delta[sell].sum())
    h[sell] = goal[sell]
    buys = delta[buy]
    cash += sold * trader.sell_rate
    # Trader.trade's order: every positive delta scaled to the cash, then buys under the minimum skipped.
    wanted_total = float(buys.sum())
    if wanted_total > 0.0 and wanted_total * trader.buy_rate > cash:
        buys *= max(cash, 0.0) / (wanted_total * trader.buy_rate)
    buys[buys < trader.minimum] = 0.0  # a buy left at 0 (minimum 0, no cash) adds nothing
    bought = float(buys.sum())
    h[buy] += buys
    cash -= bought * trader.buy_rate
    return cash, sold + bought, sold * (1.0 - trader.sell_rate) + bought * (trader.buy_rate - 1.0)
