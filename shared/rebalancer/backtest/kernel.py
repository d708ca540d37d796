"""The path-dependent core of a simulation: one pass over the sessions on a sparse book.

Only the symbols held or targeted on a day are touched (a strategy holds a handful of its symbols at a
time), and the state is plain floats, so a session costs a few microseconds whatever the universe size.
Trading rules (the live planner's): targets are weight x equity x (1 - cash_buffer); an order below
min_order_notional is skipped unless it closes a position; sells first, then buys scaled down to the
cash left; slippage moves the price against us and fees are charged on the executed notional.

    >>> import numpy as np
    >>> from rebalancer.backtest.options import BacktestOptions
    >>> ones = np.ones((2, 1))
    >>> path = run_sessions(np.array([[1.0], [1.0]]), np.array([True, True]), ones, ones * 1.1,
    ...                     BacktestOptions(cash_buffer=0.0))
    >>> [round(x, 6) for x in path.equity.tolist()]
    [110000.0, 121000.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rebalancer.backtest.options import BacktestOptions

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SessionPath:
    """Per session: equity and holdings at the close, traded notional, costs, whether it traded."""

    equity: FloatArray
    holdings: FloatArray
    traded: FloatArray
    costs: FloatArray
    traded_today: npt.NDArray[np.bool_]


def _row_targets(targets: FloatArray) -> list[list[tuple[int, float]]]:
    """Per row, the (column, weight) pairs with a non-zero weight, in column order."""
    rows, cols = np.nonzero(targets)
    values = targets[rows, cols].tolist()
    bounds = np.searchsorted(rows, np.arange(len(targets) + 1)).tolist()
    pairs = list(zip(cols.tolist(), values, strict=True))
    return [pairs[bounds[t] : bounds[t + 1]] for t in range(len(targets))]


@dataclass
class _Book:
    held: dict[int, float]  # column -> market value, only positions > 0
    cash: float

    def equity(self) -> float:
        return self.cash + sum(self.held.values())


class _Trader:
    """Trades a book to target weights under one set of options."""

    def __init__(self, options: BacktestOptions) -> None:
        slip, fee = options.slippage_bps * 1e-4, options.fee_bps * 1e-4
        self.invested = 1.0 - options.cash_buffer
        self.minimum = options.min_order_notional
        self.threshold = options.rebalance.threshold if options.rebalance.kind == "threshold" else None
        self.sell_rate = (1.0 - slip) * (1.0 - fee)
        self.buy_rate = (1.0 + slip) * (1.0 + fee)

    def needs_trade(self, book: _Book, target: list[tuple[int, float]]) -> bool:
        """Threshold rule: a weight drifted more than X from target, or the set of holdings changes."""
        if self.threshold is None:
            return True
        if set(book.held) != {col for col, _ in target}:
            return True
        equity = book.equity()
        drift = max((abs(book.held[col] / equity - w * self.invested) for col, w in target), default=0.0)
        return drift > self.threshold

    def trade(self, book: _Book, target: list[tuple[int, float]]) -> tuple[float, float]:
        """Trade to `target`; returns (notional traded at mid price, costs)."""
        held = book.held
        investable = (book.cash + sum(held.values())) * self.invested
        minimum = self.minimum
        sold = 0.0
        wanted = {col for col, _ in target}
        for col in [c for c in held if c not in wanted]:  # full exits always go, whatever their size
            sold += held.pop(col)
        buys = []
        bought = 0.0
        for col, weight in target:
            want = weight * investable
            delta = want - held.get(col, 0.0)
            if delta >= minimum and delta > 0.0:
                buys.append((col, delta))
                bought += delta
            elif -delta >= minimum and delta < 0.0:
                sold -= delta
                held[col] = want
        cash = book.cash + sold * self.sell_rate
        buy_rate = self.buy_rate
        if bought * buy_rate > cash:  # buys are sized from the cash left after the sells
            scale = max(cash, 0.0) / (bought * buy_rate)
            buys = [(col, d * scale) for col, d in buys]
            bought *= scale
        for col, delta in buys:
            held[col] = held.get(col, 0.0) + delta
        book.cash = cash - bought * buy_rate
        return sold + bought, sold * (1.0 - self.sell_rate) + bought * (buy_rate - 1.0)


# Up to this many symbols a pure-float sparse book is fastest; beyond it, numpy rows are.
SPARSE_MAX_SYMBOLS = 64


def run_sessions(
    targets: FloatArray,
    may_trade: npt.NDArray[np.bool_],
    pre: FloatArray,
    post: FloatArray,
    options: BacktestOptions,
    *,
    dense: bool | None = None,
) -> SessionPath:
    """Walk the sessions: grow by `pre` (previous close to the trade), trade to `targets[t]` where
    `may_trade[t]`, grow by `post` (trade to close), record. `dense` picks the implementation
    (default: by the number of symbols); both apply the same rules."""
    if dense is None:
        dense = targets.shape[1] > SPARSE_MAX_SYMBOLS
    if dense:
        return _run_dense(targets, may_trade, pre, post, options)
    return _run_sparse(targets, may_trade, pre, post, options)


def _run_sparse(
    targets: FloatArray,
    may_trade: npt.NDArray[np.bool_],
    pre: FloatArray,
    post: FloatArray,
    options: BacktestOptions,
) -> SessionPath:
    n, width = targets.shape
    trader = _Trader(options)
    book = _Book({}, options.initial_equity)
    held = book.held
    plan = _row_targets(targets)
    allowed = may_trade.tolist()
    # Rows of ratios that are all 1 (close mode's post, a session without moves) are skipped.
    pre_moves = (pre != 1.0).any(axis=1).tolist()
    post_moves = (post != 1.0).any(axis=1).tolist()
    equity, traded, costs = [0.0] * n, [0.0] * n, [0.0] * n
    did_trade = [False] * n
    cells: list[tuple[int, int, float]] = []
    started = False
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
        np.array(equity), holdings, np.array(traded), np.array(costs), np.array(did_trade, dtype=np.bool_)
    )


def _run_dense(
    targets: FloatArray,
    may_trade: npt.NDArray[np.bool_],
    pre: FloatArray,
    post: FloatArray,
    options: BacktestOptions,
) -> SessionPath:
    """The same rules as _Trader on whole numpy rows (for wide universes)."""
    n, width = targets.shape
    trader = _Trader(options)
    h = np.zeros(width)
    cash = options.initial_equity
    holdings = np.empty((n, width))
    equity, traded, costs = np.empty(n), np.zeros(n), np.zeros(n)
    did_trade = np.zeros(n, dtype=np.bool_)
    pre_moves = (pre != 1.0).any(axis=1).tolist()
    post_moves = (post != 1.0).any(axis=1).tolist()
    allowed = may_trade.tolist()
    started = False
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
    return SessionPath(equity, holdings, traded, costs, did_trade)


def _dense_needs_trade(trader: _Trader, h: FloatArray, target: FloatArray, worth: float) -> bool:
    if trader.threshold is None:
        return True
    if not np.array_equal(h > 0.0, target > 0.0):
        return True
    return float(np.abs(h / worth - target * trader.invested).max(initial=0.0)) > trader.threshold


def _dense_trade(
    trader: _Trader, h: FloatArray, target: FloatArray, cash: float, worth: float
) -> tuple[float, float, float]:
    """Trade `h` in place; returns (cash after, notional traded, costs)."""
    goal = target * (worth * trader.invested)
    delta = goal - h
    wanted = goal > 0.0
    sell = (~wanted & (h > 0.0)) | (wanted & (-delta >= trader.minimum) & (delta < 0.0))
    buy = wanted & (delta >= trader.minimum) & (delta > 0.0)
    sold = -float(delta[sell].sum())
    h[sell] = goal[sell]
    buys = delta[buy]
    bought = float(buys.sum())
    cash += sold * trader.sell_rate
    if bought * trader.buy_rate > cash:
        scale = max(cash, 0.0) / (bought * trader.buy_rate)
        buys *= scale
        bought *= scale
    h[buy] += buys
    cash -= bought * trader.buy_rate
    return cash, sold + bought, sold * (1.0 - trader.sell_rate) + bought * (trader.buy_rate - 1.0)
