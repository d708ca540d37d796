"""A seeded synthetic market: realistic-looking daily prices with no external files.

The market factor (SPY) follows a regime chain (bull, bear, high-volatility crash, recovery); a bond
factor rallies when stocks fall; a VIX-like index spikes in crashes and mean-reverts. Every other
symbol is derived from these (see synthetic_universe.py): sector ETFs and stocks by beta plus noise,
leveraged and inverse funds as a multiple of their underlying's daily return less a fee, volatility
notes from the VIX index less a roll cost (so they decay in calm markets and spike in crashes).
Dates are real NYSE sessions (exchange_calendars XNYS). Opens gap a little from the previous close.

The same seed always gives the same prices, and a symbol's prices do not depend on which other
symbols were requested.

    >>> import datetime as dt
    >>> market = synthetic_market(["SPY", "TQQQ"], end=dt.date(2024, 6, 28), sessions=300, seed=1)
    >>> market.symbols, len(market), market.last_date
    (('SPY', 'TQQQ'), 300, datetime.date(2024, 6, 28))
"""

from __future__ import annotations

import datetime as dt
import warnings
import zlib
from collections.abc import Collection
from dataclasses import dataclass

import exchange_calendars as xcals
import numpy as np
import numpy.typing as npt

from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, PriceHistory
from rebalancer_research.market.synthetic_universe import (
    BULL,
    Base,
    Levered,
    VolFuture,
    public_symbols,
    spec_of,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_END = dt.date(2026, 10, 30)
# The calendar's rules are reliable from here on (and pandas' nanosecond timestamps start in 1677).
EARLIEST_START = dt.date(1950, 1, 3)
TRADING_DAYS = 252
# No fund loses more than this in a day (a leveraged fund's return is capped like its swap reset).
WORST_DAY = -0.95

# Market factor per regime: (mean daily return, daily volatility).
_REGIME_DRIFT = np.array([0.0005, -0.0006, -0.006, 0.0015])
_REGIME_VOL = np.array([0.008, 0.014, 0.035, 0.016])
# Daily transition probabilities: row = from, column = to (the diagonal is filled in as the rest).
_TRANSITIONS = np.array(
    [
        [0.0, 1 / 600, 1 / 1000, 0.0],
        [1 / 500, 0.0, 1 / 250, 1 / 250],
        [0.0, 0.0, 0.0, 1 / 12],
        [1 / 30, 0.0, 1 / 400, 0.0],
    ]
)
# VIX index: the level it reverts to per regime, and the futures roll paid per day (negative: earned).
_VIX_LEVEL = np.array([14.0, 22.0, 45.0, 25.0])
_VIX_ROLL = np.array([0.0025, 0.0015, -0.002, 0.001])


@dataclass(frozen=True)
class Factors:
    """The common drivers, one value per day (day 0 is the virtual day before the first session)."""

    regime: IntArray
    market: FloatArray
    bond: FloatArray
    vol_future: FloatArray
    gap_share: FloatArray


def synthetic_market(
    symbols: Collection[str] | None = None,
    *,
    end: dt.date = DEFAULT_END,
    sessions: int = 4000,
    seed: int = 7,
) -> PriceHistory:
    """Closes and opens for `symbols` (default: every known symbol) over the `sessions` NYSE sessions
    ending at the last session on or before `end`."""
    if sessions < 2:
        raise DataError(
            f"sessions must be at least 2, got {sessions}", code="synthetic-bad-args", hint="ask for more"
        )
    dates = nyse_sessions(end, sessions)
    factors = _factors(seed, sessions + 1)
    wanted = sorted(set(public_symbols() if symbols is None else symbols))
    # Filled column by column, keeping only the underlyings' returns: a wide market (500 symbols x 16,000
    # sessions) then peaks at its own two matrices instead of five.
    underlyings = {spec.underlying for spec in map(spec_of, wanted) if isinstance(spec, Levered)}
    returns: dict[str, FloatArray] = {}
    close = np.empty((sessions, len(wanted)))
    opened = np.empty((sessions, len(wanted)))
    for column, symbol in enumerate(wanted):
        prices = _prices(symbol, seed, factors, returns)
        close[:, column] = prices[1:]
        opened[:, column] = prices[:-1] * (1.0 + factors.gap_share[1:] * returns[symbol][1:])
        if symbol not in underlyings:
            del returns[symbol]
    return PriceHistory(dates, tuple(wanted), close, opened)


def nyse_sessions(end: dt.date, sessions: int) -> DateArray:
    """The last `sessions` XNYS sessions on or before `end`."""
    span_days = int(sessions * 365.25 / TRADING_DAYS * 1.1) + 30
    start = max(end - dt.timedelta(days=span_days), EARLIEST_START)
    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips a pandas 3 deprecation inside its own code; nothing to act on.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        calendar = xcals.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
    days: DateArray = np.asarray(calendar.sessions.values.astype("datetime64[D]"))
    days = days[days <= np.datetime64(end, "D")]
    if len(days) < sessions:
        raise DataError(
            f"only {len(days)} sessions available before {end}, asked for {sessions}",
            code="synthetic-bad-args",
            hint="ask for fewer sessions",
        )
    return days[-sessions:]


def _factors(seed: int, days: int) -> Factors:
    rng = np.random.default_rng([seed, 1])
    regime = _regimes(rng, days)
    market = _REGIME_DRIFT[regime] + _REGIME_VOL[regime] * rng.standard_normal(days)
    bond = -0.25 * market + 0.008 * rng.standard_normal(days)
    log_vix = np.empty(days)
    level = np.log(_VIX_LEVEL[BULL])
    shocks = 0.04 * rng.standard_normal(days)
    for t in range(days):
        level += 0.06 * (np.log(_VIX_LEVEL[regime[t]]) - level) - 5.0 * market[t] + shocks[t]
        log_vix[t] = level
    vix_change = np.expm1(np.diff(log_vix, prepend=log_vix[0]))
    vol_future = 0.5 * vix_change - _VIX_ROLL[regime]
    gap_share = rng.uniform(0.1, 0.4, days)
    return Factors(regime, market, bond, vol_future, gap_share)


def _regimes(rng: np.random.Generator, days: int) -> IntArray:
    draws = rng.random(days)
    regime = np.empty(days, dtype=np.int64)
    current = BULL
    cumulative = np.cumsum(_TRANSITIONS, axis=1)
    for t in range(days):
        row = cumulative[current]
        moved = int(np.searchsorted(row, draws[t], side="right"))
        if moved < len(row) and row[moved] > 0 and moved != current:
            current = moved
        regime[t] = current
    return regime


def _symbol_rng(seed: int, symbol: str) -> np.random.Generator:
    return np.random.default_rng([seed, 2, zlib.crc32(symbol.encode())])


def _daily_returns(symbol: str, seed: int, factors: Factors, memo: dict[str, FloatArray]) -> FloatArray:
    if symbol in memo:
        return memo[symbol]
    spec = spec_of(symbol)
    if isinstance(spec, Levered):
        underlying = _daily_returns(spec.underlying, seed, factors, memo)
        raw = spec.leverage * underlying - spec.fee / TRADING_DAYS
    elif isinstance(spec, VolFuture):
        noise = 0.002 * _symbol_rng(seed, symbol).standard_normal(len(factors.market))
        raw = spec.multiple * (spec.term * factors.vol_future + noise)
    else:
        raw = _base_returns(spec, symbol, seed, factors)
    memo[symbol] = np.maximum(raw, WORST_DAY)
    return memo[symbol]


def _base_returns(spec: Base, symbol: str, seed: int, factors: Factors) -> FloatArray:
    noise = _symbol_rng(seed, symbol).standard_normal(len(factors.market))
    tilt = np.asarray(spec.tilt, dtype=np.float64)[factors.regime]
    returns: FloatArray = spec.drift + spec.beta * factors.market + spec.bond * factors.bond + tilt
    return returns + spec.idio * noise


def _prices(symbol: str, seed: int, factors: Factors, memo: dict[str, FloatArray]) -> FloatArray:
    """Closes for day 0 (the virtual previous close) through the last session.

    Like adjusted real data, the latest close is at a realistic level (the spec's `price`) and the
    past is scaled back from it, so a decaying leveraged fund is tiny early on, not at the end.
    """
    returns = _daily_returns(symbol, seed, factors, memo)
    growth: FloatArray = np.concatenate(([1.0], np.cumprod(1.0 + returns[1:])))
    latest = float(growth[-1])
    return spec_of(symbol).price * growth / latest
