"""Performance metrics of an equity curve (definitions in docs/backtesting.md).

Returns are simple daily returns close to close; annualization uses 252 sessions a year; the risk-free
rate is 0. A metric that is undefined (e.g. Sharpe of a flat curve) is None, so the JSON stays valid.

    >>> import numpy as np
    >>> dates = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[D]")
    >>> m = performance(dates, np.array([100.0, 110.0, 99.0]))
    >>> round(m["total_return"], 4), round(m["max_drawdown"], 4)
    (-0.01, -0.1)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from rebalancer.market.history import DateArray

SESSIONS_PER_YEAR = 252
FloatArray = npt.NDArray[np.float64]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def daily_returns(equity: FloatArray) -> FloatArray:
    """Simple returns between consecutive closes (one fewer than the equity points)."""
    return np.asarray(equity[1:] / equity[:-1] - 1.0, dtype=np.float64)


def drawdown(equity: FloatArray) -> FloatArray:
    """Fractional distance below the running peak (0 at a new high, negative below it)."""
    peak = np.maximum.accumulate(equity)
    return np.asarray(equity / peak - 1.0, dtype=np.float64)


def _drawdown_stats(dates: DateArray, equity: FloatArray) -> dict[str, Any]:
    dd = drawdown(equity)
    trough = int(np.argmin(dd))
    peak = int(np.flatnonzero(dd[: trough + 1] == 0.0)[-1])
    recovered = np.flatnonzero(dd[trough:] == 0.0)
    recovery = trough + int(recovered[0]) if recovered.size else None
    underwater = dd < 0.0
    longest = run = 0
    for flag in underwater:  # O(n) scan; runs of sessions below the previous peak
        run = run + 1 if flag else 0
        longest = max(longest, run)
    length_end = recovery if recovery is not None else len(equity) - 1
    return {
        "max_drawdown": float(dd[trough]),
        "max_drawdown_peak": str(dates[peak]),
        "max_drawdown_trough": str(dates[trough]),
        "max_drawdown_recovery": None if recovery is None else str(dates[recovery]),
        "max_drawdown_length": int(length_end - peak),
        "longest_drawdown_length": int(longest),
    }


def monthly_returns(dates: DateArray, equity: FloatArray) -> dict[str, float]:
    """Return per calendar month ("YYYY-MM"), from the previous month's last close."""
    months = dates.astype("datetime64[M]")
    last_of_month = np.flatnonzero(np.append(months[1:] != months[:-1], True))
    ends = equity[last_of_month]
    starts = np.concatenate([[equity[0]], ends[:-1]])
    return {str(months[i]): float(e / s - 1.0) for i, e, s in zip(last_of_month, ends, starts, strict=True)}


def performance(dates: DateArray, equity: FloatArray, *, initial: float | None = None) -> dict[str, Any]:
    """Return, risk and drawdown figures of one equity curve (at least one point).

    With `initial`, the curve starts from that capital before the first session's trade, so the cost
    of buying in on the first day counts (its "return" is dated on the first session).
    """
    equity = np.asarray(equity, dtype=np.float64)
    sessions = len(equity)
    if initial is not None:
        dates = np.concatenate([dates[:1], dates])
        equity = np.concatenate([[initial], equity])
    returns = daily_returns(equity)
    n = len(returns)
    total = float(equity[-1] / equity[0] - 1.0)
    years = n / SESSIONS_PER_YEAR
    annual = (1.0 + total) ** (1.0 / years) - 1.0 if n else 0.0
    std = float(returns.std(ddof=1)) if n > 1 else 0.0
    mean = float(returns.mean()) if n else 0.0
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) if n else 0.0
    root = math.sqrt(SESSIONS_PER_YEAR)
    stats = _drawdown_stats(dates, equity)
    months = monthly_returns(dates, equity)
    worst_day = int(np.argmin(returns)) if n else None
    worst_month = min(months, key=lambda k: months[k])
    return {
        "start": str(dates[0]),
        "end": str(dates[-1]),
        "sessions": sessions,
        "final_equity": float(equity[-1]),
        "total_return": total,
        "annualized_return": annual,
        "volatility": std * root,
        "sharpe": _finite(mean / std * root) if std > 0 else None,
        "sortino": _finite(mean / downside * root) if downside > 0 else None,
        "calmar": _finite(annual / -stats["max_drawdown"]) if stats["max_drawdown"] < 0 else None,
        **stats,
        "worst_day": None
        if worst_day is None
        else {"date": str(dates[worst_day + 1]), "return": float(returns[worst_day])},
        "worst_month": {"month": worst_month, "return": months[worst_month]},
        "monthly_returns": months,
    }


def turnover(traded: FloatArray, equity: FloatArray) -> dict[str, float]:
    """One-way turnover: half the traded notional over equity, per year and in total."""
    one_way = float(np.sum(traded / (2.0 * equity)))
    years = max(len(equity) - 1, 1) / SESSIONS_PER_YEAR
    return {"turnover_total": one_way, "turnover_annual": one_way / years}


def exposure(symbols: tuple[str, ...], weights_held: npt.NDArray[np.float64]) -> dict[str, dict[str, float]]:
    """Per asset: mean weight over the sessions and the fraction of sessions it was held."""
    mean = weights_held.mean(axis=0)
    held = (weights_held > 0).mean(axis=0)
    return {
        sym: {"mean_weight": float(mean[i]), "time_held": float(held[i])}
        for i, sym in enumerate(symbols)
        if held[i] > 0
    }
