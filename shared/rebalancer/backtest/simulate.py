"""Portfolio simulation from the engine's weight history (no re-evaluation of trees per day).

Timing (docs/backtesting.md): row t of the weights is decided at the close of dates[t]. In `close`
mode it trades at close_t; in `open` mode at open_{t+1}, per symbol falling back to close_t where no
open exists. Holdings are tracked as market values (fractional shares), marked with adjusted closes,
so dividends and splits are in the price path.

    >>> options = BacktestOptions(execution="open", slippage_bps=2)
    >>> result = simulate(weights, history, options)  # doctest: +SKIP
    >>> float(result.equity[-1])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rebalancer.backtest.options import BacktestOptions, Rebalance
from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, FloatMatrix, PriceHistory, to_day

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class WeightsLike(Protocol):
    """What the simulator needs of a WeightHistory (rebalancer.symphony.weights)."""

    @property
    def dates(self) -> DateArray: ...

    @property
    def symbols(self) -> tuple[str, ...]: ...

    @property
    def weights(self) -> FloatMatrix: ...


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """The simulated path over `dates` (the backtest's sessions, start to end).

    equity[t] and holdings[t] (market value per symbol) are at the close of dates[t], after any
    trade of that day; traded[t] is the mid-price notional traded (buys + sells), costs[t] what
    slippage and fees took; decision_row[t] is the weights row whose targets the portfolio last
    traded to (-1 before the first trade); growth_pre/growth_post are the per-symbol price ratios
    before and after the day's trade (exposed for attribution).
    """

    dates: DateArray
    symbols: tuple[str, ...]
    equity: npt.NDArray[np.float64]
    holdings: FloatMatrix
    traded: npt.NDArray[np.float64]
    costs: npt.NDArray[np.float64]
    traded_today: BoolArray
    decision_row: IntArray
    growth_pre: FloatMatrix
    growth_post: FloatMatrix
    options: BacktestOptions

    @property
    def daily_returns(self) -> npt.NDArray[np.float64]:
        """Return of each session over the previous close (first session: 0)."""
        returns = np.zeros(len(self.equity))
        returns[1:] = self.equity[1:] / self.equity[:-1] - 1.0
        return returns

    @property
    def weights_held(self) -> FloatMatrix:
        """Actual allocation at each close: holdings / equity (the rest is cash)."""
        return self.holdings / self.equity[:, None]

    def pnl(self) -> FloatMatrix:
        """Market profit and loss per symbol per session (costs excluded)."""
        before = np.vstack([np.zeros((1, len(self.symbols))), self.holdings[:-1]])
        return before * (self.growth_pre - 1.0) + self.holdings * (1.0 - 1.0 / self.growth_post)


def _valid_rows(weights: FloatMatrix) -> BoolArray:
    return np.asarray(~np.isnan(weights).any(axis=1), dtype=np.bool_)


def simulation_window(
    weights: WeightsLike, history: PriceHistory, options: BacktestOptions
) -> tuple[int, int]:
    """(first, last) rows simulated: --end (or the last row), back to the first row (not before --start)
    from which every decision is defined and every symbol the weights may hold has a price.

    The engine leaves a row undefined when the branch taken there needs an indicator without enough
    history; starting after the last such row means every decision of the backtest is a real one.
    """
    ready = _valid_rows(weights.weights)
    ready &= np.isfinite(history.select(weights.symbols).close).all(axis=1)
    lo = 0 if options.start is None else int(np.searchsorted(weights.dates, to_day(options.start)))
    hi = len(weights.dates) - 1
    if options.end is not None:
        hi = int(np.searchsorted(weights.dates, to_day(options.end), side="right")) - 1
    not_ready = np.flatnonzero(~ready[lo : hi + 1])
    first = lo if not_ready.size == 0 else lo + int(not_ready[-1]) + 1
    if hi < lo or first > hi:
        raise DataError(
            "no session in the backtest range has every indicator and every held symbol's price defined",
            code="backtest-empty",
            hint="widen --start/--end or provide more history for the warm-up",
        )
    return first, hi


def calendar_rows(dates: DateArray, rebalance: Rebalance) -> BoolArray:
    """Rows on which a calendar schedule may trade (threshold and daily: every row)."""
    if rebalance.kind in ("daily", "threshold") or len(dates) == 0:
        return np.ones(len(dates), dtype=np.bool_)
    if rebalance.kind == "weekly":
        # Monday-based week number: 1970-01-01 was a Thursday, so shift by 3 days.
        period = (dates.astype("datetime64[D]").astype(np.int64) + 3) // 7
    else:
        period = dates.astype("datetime64[M]").astype(np.int64)
    first = np.ones(len(dates), dtype=np.bool_)
    first[1:] = period[1:] != period[:-1]
    return first


def _price_ratios(prices: PriceHistory, execution: str) -> tuple[FloatMatrix, FloatMatrix]:
    """Per-symbol growth from the previous close to the trade, and from the trade to the close.

    Closes are forward-filled over gaps (a missing session trades at the last known price).
    """
    close = prices.to_frame().ffill().to_numpy(np.float64)
    prev = np.vstack([close[:1], close[:-1]])
    if execution == "open" and prices.open is not None:
        execution_price = np.where(np.isfinite(prices.open), prices.open, prev)
    elif execution == "open":
        execution_price = prev
    else:
        execution_price = close
    with np.errstate(invalid="ignore", divide="ignore"):
        pre = np.nan_to_num(execution_price / prev, nan=1.0, posinf=1.0)
        post = np.nan_to_num(close / execution_price, nan=1.0, posinf=1.0)
    pre[0] = 1.0
    return pre, post


@dataclass
class _Book:
    """Mutable state of the loop: holdings (market values) and cash."""

    holdings: npt.NDArray[np.float64]
    cash: float


def _trade(book: _Book, target: npt.NDArray[np.float64], options: BacktestOptions) -> tuple[float, float]:
    """Trade the book to `target` weights; returns (traded notional at mid, costs)."""
    h = book.holdings
    equity = book.cash + float(h.sum())
    goal = target * (equity * (1.0 - options.cash_buffer))
    delta = goal - h
    # The live planner skips orders below the minimum notional, but always closes full exits.
    delta[(np.abs(delta) < options.min_order_notional) & (goal != 0.0)] = 0.0
    slip, fee = options.slippage_bps * 1e-4, options.fee_bps * 1e-4
    sells = np.minimum(delta, 0.0)
    buys = np.maximum(delta, 0.0)
    sold, bought = -float(sells.sum()), float(buys.sum())
    cash = book.cash + sold * (1.0 - slip) * (1.0 - fee)
    buy_rate = (1.0 + slip) * (1.0 + fee)
    if bought * buy_rate > cash:  # buys are sized from the buying power left after the sells
        scale = max(cash, 0.0) / (bought * buy_rate)
        buys *= scale
        bought *= scale
    book.cash = cash - bought * buy_rate
    h += sells
    h += buys
    cost = sold * (1.0 - (1.0 - slip) * (1.0 - fee)) + bought * (buy_rate - 1.0)
    return sold + bought, cost


def _needs_trade(book: _Book, target: npt.NDArray[np.float64], options: BacktestOptions) -> bool:
    """Threshold rule: a weight drifted more than X from target, or the set of holdings changes."""
    h = book.holdings
    equity = book.cash + float(h.sum())
    held = h > 0.0
    if not np.array_equal(held, target > 0.0):
        return True
    drift = np.abs(h / equity - target * (1.0 - options.cash_buffer))
    return bool(drift.max(initial=0.0) > options.rebalance.threshold)


def simulate(weights: WeightsLike, history: PriceHistory, options: BacktestOptions) -> BacktestResult:
    """Simulate trading to `weights` over `history` (the history the weights were computed on)."""
    if len(weights.dates) != len(history.dates) or not np.array_equal(weights.dates, history.dates):
        raise DataError(
            "weights and prices cover different sessions",
            code="backtest-misaligned",
            hint="evaluate the symphony on the same PriceHistory you simulate with",
        )
    first, last = simulation_window(weights, history, options)
    prices = history.select(weights.symbols).rows(first, last + 1)
    w = np.asarray(weights.weights, dtype=np.float64)[first : last + 1]
    dates = prices.dates
    pre, post = _price_ratios(prices, options.execution)
    lag = 1 if options.execution == "open" else 0
    # Decision row in force on each day (in open mode: the previous day's decision).
    decision = np.arange(len(dates)) - lag
    tradable = _valid_rows(w) & calendar_rows(dates, options.rebalance)
    may_trade = np.zeros(len(dates), dtype=np.bool_)
    may_trade[lag:] = tradable[: len(dates) - lag]
    targets = np.nan_to_num(w[np.maximum(decision, 0)])
    return _run_loop(
        dates=dates,
        symbols=prices.symbols,
        targets=targets,
        may_trade=may_trade,
        decision=decision + first,
        pre=pre,
        post=post,
        options=options,
    )


def _run_loop(
    *,
    dates: DateArray,
    symbols: tuple[str, ...],
    targets: FloatMatrix,
    may_trade: BoolArray,
    decision: IntArray,
    pre: FloatMatrix,
    post: FloatMatrix,
    options: BacktestOptions,
) -> BacktestResult:
    n, s = targets.shape
    book = _Book(np.zeros(s), options.initial_equity)
    equity = np.empty(n)
    holdings = np.empty((n, s))
    traded = np.zeros(n)
    costs = np.zeros(n)
    did_trade = np.zeros(n, dtype=np.bool_)
    in_force = np.full(n, -1, dtype=np.int64)
    threshold = options.rebalance.kind == "threshold"
    current = -1
    for t in range(n):
        book.holdings *= pre[t]
        if may_trade[t] and (current < 0 or not threshold or _needs_trade(book, targets[t], options)):
            traded[t], costs[t] = _trade(book, targets[t], options)
            did_trade[t] = True
            current = int(decision[t])
        book.holdings *= post[t]
        holdings[t] = book.holdings
        equity[t] = book.cash + book.holdings.sum()
        in_force[t] = current
    return BacktestResult(
        dates, symbols, equity, holdings, traded, costs, did_trade, in_force, pre, post, options
    )
