"""WeightHistory: a strategy's target weights for every session, as the evaluator produces them.

Row t is the allocation decided at the close of dates[t] using data up to t. Rows where some needed
indicator is undefined are all-NaN; defined rows sum to 1 within WEIGHT_TOLERANCE and are non-negative.

    >>> import numpy as np
    >>> wh = WeightHistory(np.array(["2024-01-02", "2024-01-03"], dtype="datetime64[D]"), ("BIL", "SPY"),
    ...                    np.array([[np.nan, np.nan], [0.25, 0.75]]))
    >>> wh.first_valid_date, wh.row("2024-01-03")
    (datetime.date(2024, 1, 3), {'BIL': 0.25, 'SPY': 0.75})
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, DateLike, FloatMatrix, day_to_date, to_day

# Defined rows sum to 1 within this tolerance.
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class WeightHistory:
    """`weights[t, s]` for `dates[t]` and `symbols[s]` (sorted); NaN rows are undefined."""

    dates: DateArray
    symbols: tuple[str, ...]
    weights: FloatMatrix

    def __post_init__(self) -> None:
        dates = np.asarray(self.dates, dtype="datetime64[D]")
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (len(dates), len(self.symbols)):
            raise DataError(
                f"weights have shape {weights.shape}, expected {(len(dates), len(self.symbols))}",
                code="weights-shape",
                hint="one row per date and one column per symbol",
            )
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "weights", weights)
        dates.setflags(write=False)
        weights.setflags(write=False)

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        """True on rows that are defined (no NaN)."""
        if not self.symbols:
            return np.zeros(len(self.dates), dtype=bool)
        return np.asarray(~np.isnan(self.weights).any(axis=1), dtype=bool)

    @property
    def first_valid_date(self) -> dt.date | None:
        rows = np.flatnonzero(self.valid)
        return day_to_date(self.dates[rows[0]]) if rows.size else None

    def row_index(self, day: DateLike) -> int:
        target = to_day(day)
        pos = int(np.searchsorted(self.dates, target))
        if pos >= len(self.dates) or self.dates[pos] != target:
            raise DataError(
                f"{target} is not a session of this weight history",
                code="date-outside-data",
                hint="pick a trading day inside the evaluated history",
            )
        return pos

    def row(self, day: DateLike) -> dict[str, float]:
        """Weights on `day` (zero weights omitted); DataError when the row is undefined or outside."""
        index = self.row_index(day)
        if not self.valid[index]:
            raise DataError(
                f"weights on {to_day(day)} are undefined (an indicator lacks history)",
                code="weights-undefined",
                hint="load more history before this date (see required_history())",
            )
        return self._row_dict(index)

    def _row_dict(self, index: int) -> dict[str, float]:
        values = self.weights[index]
        return {sym: float(w) for sym, w in zip(self.symbols, values.tolist(), strict=True) if w != 0.0}

    def last_valid_row(self) -> tuple[dt.date, dict[str, float]]:
        """The most recent defined row; DataError when no row is defined."""
        rows = np.flatnonzero(self.valid)
        if not rows.size:
            raise DataError(
                "no session has defined weights",
                code="weights-undefined",
                hint="load more history (see required_history())",
            )
        last = int(rows[-1])
        return day_to_date(self.dates[last]), self._row_dict(last)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.weights, index=pd.DatetimeIndex(self.dates), columns=list(self.symbols))
