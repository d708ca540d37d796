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

from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, FloatMatrix, PriceHistory, to_day
from rebalancer_research.backtest.kernel import run_sessions
from rebalancer_research.backtest.options import BacktestOptions, Rebalance

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
    """Rows on which a calendar schedule may trade: the first session of each period, as
    rebalancer.strategies.schedule.calendar_due decides live (threshold and daily: every row; none:
    the first row only, the initial investment)."""
    if rebalance.kind in ("daily", "threshold") or len(dates) == 0:
        return np.ones(len(dates), dtype=np.bool_)
    first = np.zeros(len(dates), dtype=np.bool_)
    first[0] = True
    if rebalance.kind == "none":
        return first
    if rebalance.kind == "weekly":
        # Monday-based week number: 1970-01-01 was a Thursday, so shift by 3 days.
        period = (dates.astype("datetime64[D]").astype(np.int64) + 3) // 7
    else:
        months = dates.astype("datetime64[M]").astype(np.int64)
        period = {"monthly": months, "quarterly": months // 3, "yearly": months // 12}[rebalance.kind]
    first[1:] = period[1:] != period[:-1]
    return first


def _price_ratios(
    history: PriceHistory, symbols: tuple[str, ...], rows: slice, execution: str
) -> tuple[FloatMatrix, FloatMatrix]:
    """Per-symbol growth from the previous close to the trade, and from the trade to the close.

    Closes are forward-filled over gaps (a missing session trades at the last known price). Built for
    wide, long histories: one copy of the window's closes becomes `pre` in place, and in `close` mode
    `post` is a read-only view of ones (no trade-to-close move), so 500 symbols x 16,000 sessions cost
    one matrix here, not five (bench/scale_bench.py).
    """
    columns = [history.symbols.index(s) for s in symbols]
    close = _forward_fill_inplace(history.close[rows][:, columns])
    with np.errstate(invalid="ignore", divide="ignore"):
        if execution == "close":  # the whole day's move comes before the trade at the close
            pre = _divide_by_previous_row_inplace(close)
            post: FloatMatrix = np.broadcast_to(np.float64(1.0), close.shape)
        else:
            prev = np.vstack([close[:1], close[:-1]])
            opens = history.open[rows][:, columns] if history.open is not None else prev
            execution_price = np.where(np.isfinite(opens), opens, prev)
            pre = execution_price / prev
            post = close / execution_price
            post[~np.isfinite(post)] = 1.0
    pre[~np.isfinite(pre)] = 1.0  # before a symbol's first price (never held there)
    pre[0] = 1.0
    return pre, post


def _divide_by_previous_row_inplace(values: FloatMatrix, block: int = 512) -> FloatMatrix:
    """values[t] /= values[t - 1] for t >= 1, in place. Walked from the last row back in blocks, so every
    divisor is still the original row and numpy buffers one block, not the matrix."""
    stop = len(values)
    while stop > 1:
        start = max(1, stop - block)
        np.divide(values[start:stop], values[start - 1 : stop - 1], out=values[start:stop])
        stop = start
    return values


def _forward_fill_inplace(values: FloatMatrix) -> FloatMatrix:
    """forward_filled on an array the caller owns: only the columns with a gap are filled."""
    gaps = ~np.isfinite(values).all(axis=0)
    for column in np.flatnonzero(gaps):
        values[:, column] = forward_filled(values[:, column : column + 1])[:, 0]
    return values


def forward_filled(values: FloatMatrix) -> FloatMatrix:
    """Each NaN replaced by the last finite value above it in its column (leading NaNs stay)."""
    if np.isfinite(values).all():
        return values  # nothing to fill (the caller gets the same array, not a copy)
    rows = np.where(np.isfinite(values), np.arange(len(values))[:, None], 0)
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled: FloatMatrix = np.take_along_axis(values, rows, axis=0)
    return filled


def simulate(weights: WeightsLike, history: PriceHistory, options: BacktestOptions) -> BacktestResult:
    """Simulate trading to `weights` over `history` (the history the weights were computed on)."""
    if len(weights.dates) != len(history.dates) or not np.array_equal(weights.dates, history.dates):
        raise DataError(
            "weights and prices cover different sessions",
            code="backtest-misaligned",
            hint="evaluate the symphony on the same PriceHistory you simulate with",
        )
    first, last = simulation_window(weights, history, options)
    symbols = tuple(sorted(set(weights.symbols)))
    missing = [s for s in symbols if s not in history.symbols]
    if missing:
        raise DataError(
            f"no price data for {', '.join(missing)}",
            code="symbol-missing",
            hint="add the missing SYMBOL.csv files to the data directory or fetch them",
        )
    w = np.asarray(weights.weights, dtype=np.float64)[first : last + 1]
    dates = history.dates[first : last + 1]
    pre, post = _price_ratios(history, symbols, slice(first, last + 1), options.execution)
    lag = 1 if options.execution == "open" else 0
    # Decision row in force on each day (in open mode: the previous day's decision).
    decision = np.arange(len(dates)) - lag
    tradable = _valid_rows(w) & calendar_rows(dates, options.schedule)
    may_trade = np.zeros(len(dates), dtype=np.bool_)
    may_trade[lag:] = tradable[: len(dates) - lag]
    if lag == 0 and np.isfinite(w).all():
        targets = w  # each day's own decision, all defined: the weights themselves (read-only), no copy
    else:
        targets = np.nan_to_num(w[np.maximum(decision, 0)], copy=False)  # the indexing made the copy
    path = run_sessions(targets, may_trade, pre, post, options)
    # The decision in force: the last one traded to (forward-filled), -1 before the first trade.
    traded_rows = np.where(path.traded_today, np.arange(len(dates)), -1)
    last_trade = np.maximum.accumulate(traded_rows)
    in_force = np.where(last_trade >= 0, decision[np.maximum(last_trade, 0)] + first, -1)
    return BacktestResult(
        dates=dates,
        symbols=symbols,
        equity=path.equity,
        holdings=path.holdings,
        traded=path.traded,
        costs=path.costs,
        traded_today=path.traded_today,
        decision_row=in_force.astype(np.int64),
        growth_pre=pre,
        growth_post=post,
        options=options,
    )
