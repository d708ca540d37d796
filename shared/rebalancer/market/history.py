"""PriceHistory: the one price type shared by the engine, backtests, adapters and the emulator.

A dense (sessions x symbols) matrix of adjusted closes, and opens where known. NaN marks "no data"
(before a fund's inception, or an open the source does not have). Dates are sessions, strictly
increasing, as numpy datetime64[D].

    >>> import numpy as np
    >>> h = PriceHistory.from_columns(
    ...     ["2024-01-02", "2024-01-03"], {"SPY": [470.0, 468.5], "BIL": [91.5, 91.51]})
    >>> h.symbols, h.last_date
    (('BIL', 'SPY'), datetime.date(2024, 1, 3))
    >>> float(h.column("SPY")[-1])
    468.5
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from rebalancer.errors import DataError

FloatMatrix = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

DateLike = dt.date | str | np.datetime64


def to_day(value: DateLike) -> np.datetime64:
    """A date, ISO string or datetime64 as datetime64[D]."""
    day = np.asarray(value).astype("datetime64[D]")
    return np.datetime64(day.item(), "D") if day.item() is not None else np.datetime64("NaT", "D")


def day_to_date(value: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(to_day(value)))


@dataclass(frozen=True, eq=False)
class PriceHistory:
    """Adjusted daily prices: `close[t, a]` and optional `open[t, a]` for `dates[t]` and `symbols[a]`."""

    dates: DateArray
    symbols: tuple[str, ...]
    close: FloatMatrix
    open: FloatMatrix | None = None

    def __post_init__(self) -> None:
        dates = np.asarray(self.dates, dtype="datetime64[D]")
        close = np.asarray(self.close, dtype=np.float64)
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "close", close)
        if close.shape != (len(dates), len(self.symbols)):
            raise DataError(
                f"close has shape {close.shape}, expected {(len(dates), len(self.symbols))}",
                code="history-shape",
                hint="one row per date and one column per symbol",
            )
        if len(set(self.symbols)) != len(self.symbols):
            raise DataError("duplicate symbols in price history", code="history-duplicate-symbol")
        if len(dates) > 1 and not bool(np.all(dates[1:] > dates[:-1])):
            raise DataError("dates must be strictly increasing", code="history-unsorted")
        if self.open is not None:
            opened = np.asarray(self.open, dtype=np.float64)
            if opened.shape != close.shape:
                raise DataError("open and close shapes differ", code="history-shape")
            object.__setattr__(self, "open", opened)
        self._freeze()

    def _freeze(self) -> None:
        self.dates.setflags(write=False)
        self.close.setflags(write=False)
        if self.open is not None:
            self.open.setflags(write=False)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        dates: Sequence[DateLike],
        closes: Mapping[str, Sequence[float]],
        opens: Mapping[str, Sequence[float]] | None = None,
    ) -> PriceHistory:
        """Build from per-symbol columns over one shared date axis (symbols are sorted)."""
        symbols = tuple(sorted(closes))
        day_array = np.array([to_day(d) for d in dates], dtype="datetime64[D]")
        close = np.column_stack([np.asarray(closes[s], dtype=np.float64) for s in symbols])
        close = close.reshape(len(day_array), len(symbols))
        open_matrix = None
        if opens is not None:
            open_matrix = np.full_like(close, np.nan)
            for i, sym in enumerate(symbols):
                if sym in opens:
                    open_matrix[:, i] = np.asarray(opens[sym], dtype=np.float64)
        return cls(day_array, symbols, close, open_matrix)

    @classmethod
    def from_frames(cls, close: pd.DataFrame, open_: pd.DataFrame | None = None) -> PriceHistory:
        """Build from DataFrames indexed by date with one column per symbol."""
        close = close.sort_index().sort_index(axis=1)
        dates = np.asarray(pd.DatetimeIndex(close.index).values.astype("datetime64[D]"))
        symbols = tuple(str(c) for c in close.columns)
        open_matrix = None
        if open_ is not None:
            open_matrix = open_.reindex(index=close.index, columns=close.columns).to_numpy(np.float64)
        return cls(dates, symbols, close.to_numpy(np.float64), open_matrix)

    # -- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def first_date(self) -> dt.date:
        self._require_rows()
        return day_to_date(self.dates[0])

    @property
    def last_date(self) -> dt.date:
        self._require_rows()
        return day_to_date(self.dates[-1])

    def _require_rows(self) -> None:
        if len(self.dates) == 0:
            raise DataError("price history is empty", code="history-empty")

    def index_of(self, symbol: str) -> int:
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise DataError(
                f"no price data for {symbol}",
                code="symbol-missing",
                hint="add SYMBOL.csv to the data directory or fetch it",
            ) from None

    def column(self, symbol: str) -> FloatMatrix:
        return self.close[:, self.index_of(symbol)]

    def open_column(self, symbol: str) -> FloatMatrix:
        """Opens of one symbol; NaN where unknown (the whole column when no opens were loaded)."""
        if self.open is None:
            return np.full(len(self.dates), np.nan)
        return self.open[:, self.index_of(symbol)]

    def row_of(self, day: DateLike) -> int:
        """Index of the session `day`; DataError when it is not in the history."""
        target = to_day(day)
        pos = int(np.searchsorted(self.dates, target))
        if pos >= len(self.dates) or self.dates[pos] != target:
            raise DataError(
                f"{target} is not a session in the data ({self._span()})",
                code="date-outside-data",
                hint="pick a trading day inside the data's range",
            )
        return pos

    def _span(self) -> str:
        if len(self.dates) == 0:
            return "no data"
        return f"{self.dates[0]} to {self.dates[-1]}"

    def first_valid_row(self, symbol: str) -> int | None:
        """First row where the symbol has a price, or None when it never does."""
        valid = np.flatnonzero(~np.isnan(self.column(symbol)))
        return int(valid[0]) if valid.size else None

    # -- slicing ------------------------------------------------------------------------------

    def select(self, symbols: Iterable[str]) -> PriceHistory:
        """Only these symbols (sorted); DataError naming every one that is missing."""
        wanted = sorted(set(symbols))
        missing = [s for s in wanted if s not in self.symbols]
        if missing:
            raise DataError(
                f"no price data for {', '.join(missing)}",
                code="symbol-missing",
                hint="add the missing SYMBOL.csv files to the data directory or fetch them",
            )
        idx = [self.symbols.index(s) for s in wanted]
        opened = None if self.open is None else self.open[:, idx]
        return PriceHistory(self.dates, tuple(wanted), self.close[:, idx], opened)

    def rows(self, start: int, stop: int) -> PriceHistory:
        opened = None if self.open is None else self.open[start:stop]
        return PriceHistory(self.dates[start:stop], self.symbols, self.close[start:stop], opened)

    def until(self, day: DateLike) -> PriceHistory:
        """Sessions up to and including `day`."""
        stop = int(np.searchsorted(self.dates, to_day(day), side="right"))
        return self.rows(0, stop)

    def between(self, start: DateLike | None, end: DateLike | None) -> PriceHistory:
        lo = 0 if start is None else int(np.searchsorted(self.dates, to_day(start), side="left"))
        hi = len(self.dates) if end is None else int(np.searchsorted(self.dates, to_day(end), side="right"))
        return self.rows(lo, hi)

    def from_first_complete_row(self) -> PriceHistory:
        """Drop leading rows until every symbol has a price (the common start of all symbols)."""
        complete = np.flatnonzero(~np.isnan(self.close).any(axis=1))
        if complete.size == 0:
            raise DataError("no session has a price for every symbol", code="history-no-common-start")
        return self.rows(int(complete[0]), len(self.dates))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.close, index=pd.DatetimeIndex(self.dates), columns=list(self.symbols))
