"""Checks on loaded prices that parsing cannot make: a bad tick, a gap, a file that stops early.

A bad tick (one close 10x away from both neighbours, which then reverts) is an error: every result
downstream would be wrong (a 1000x tick made a backtest return 1,576,536%). Gaps and early ends are
warnings naming the symbol and the dates: the results stay right, but a gap restarts the symbol's
indicators and so moves where a backtest can start, which must not happen without a word.

>>> import numpy as np
>>> spike_rows(np.array([10.0, 10.5, 10_500.0, 10.4, 10.6]))
[2]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rebalancer.market.history import PriceHistory, day_to_date

# Real data's largest one-day move that reverted the next day is 3.4x (a penny stock); 10x both ways is a
# misplaced decimal point or a unit error, not a market.
SPIKE_RATIO = 10.0


def spike_rows(close: npt.NDArray[np.float64]) -> list[int]:
    """Rows whose close is SPIKE_RATIO x above or below both neighbouring known closes."""
    rows = np.flatnonzero(np.isfinite(close))
    if rows.size < 3:
        return []
    known = close[rows]
    before, here, after = known[:-2], known[1:-1], known[2:]
    high = (here >= SPIKE_RATIO * before) & (here >= SPIKE_RATIO * after)
    low = (here * SPIKE_RATIO <= before) & (here * SPIKE_RATIO <= after)
    return [int(r) for r in rows[1:-1][high | low]]


def data_warnings(history: PriceHistory, symbols: list[str] | None = None) -> list[str]:
    """One line per symbol with sessions missing inside its data, or whose data ends early."""
    lines: list[str] = []
    last_day = day_to_date(history.dates[-1]) if len(history) else None
    for symbol in symbols or list(history.symbols):
        known = np.flatnonzero(np.isfinite(history.column(symbol)))
        if known.size == 0:
            continue
        first, last = int(known[0]), int(known[-1])
        missing = first + np.flatnonzero(~np.isfinite(history.column(symbol)[first : last + 1]))
        if missing.size:
            lines.append(
                f"warning: {symbol} has no price on {missing.size} session(s) that other symbols have, "
                f"between {day_to_date(history.dates[missing[0]])} and "
                f"{day_to_date(history.dates[missing[-1]])}; its indicators restart after a gap, so a "
                "backtest starts after it (fill the gap, or pass --start)"
            )
        if last < len(history) - 1:
            lines.append(
                f"warning: {symbol}'s data ends {day_to_date(history.dates[last])}, "
                f"{len(history) - 1 - last} session(s) before the others' last, {last_day} (a stale file?)"
            )
    return lines
