"""Daily OHLCV series per symbol, loaded on first use, so memory follows what bots ask for.

Two sources answer the same two questions ("which symbols exist", "give me SYMBOL's days"):
- `HistorySource` wraps an in-memory PriceHistory (tests, synthetic prices): opens and closes only, already
  adjusted, so every `adjustment` gives the same numbers and high/low/volume are unknown (NaN).
- `CsvDirSource` lists `SYMBOL.csv` names at start (no file is read) and parses a file the first time its
  symbol is asked for, with pandas' C reader and fixed dtypes. Columns: date, open, high, low, close, volume,
  adj_close (all but date and one of close/adj_close optional). `factor` = adj_close / close is what turns
  the file's prices into dividend-adjusted ones (see prices.adjusted_factor).

    >>> h = PriceHistory.from_columns(["2024-01-02", "2024-01-03"], {"SPY": [1.0, float("nan")]})
    >>> HistorySource(h).series("SPY").close.tolist()      # rows without a close are dropped
    [1.0]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory

FloatArray = npt.NDArray[np.float64]
DayArray = npt.NDArray[np.datetime64]
_COLUMNS = ("open", "high", "low", "close", "volume", "adj_close")


@dataclass(frozen=True)
class DailySeries:
    """One symbol's sessions (increasing, each with a close) and its columns; NaN where unknown."""

    symbol: str
    dates: DayArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    factor: FloatArray  # adj_close / close: 1.0 where the file holds no separate adjusted close

    def __len__(self) -> int:
        return len(self.dates)


class SeriesSource(Protocol):
    def symbols(self) -> tuple[str, ...]: ...

    def series(self, symbol: str) -> DailySeries | None: ...


class HistorySource:
    """An in-memory PriceHistory, one DailySeries per symbol built on first use."""

    def __init__(self, history: PriceHistory) -> None:
        self.history = history
        self._names = frozenset(history.symbols)
        self._cache: dict[str, DailySeries] = {}
        self._lock = threading.Lock()

    def symbols(self) -> tuple[str, ...]:
        return self.history.symbols

    def series(self, symbol: str) -> DailySeries | None:
        if symbol not in self._names:
            return None
        with self._lock:
            found = self._cache.get(symbol)
            if found is None:
                found = self._cache[symbol] = self._build(symbol)
            return found

    def _build(self, symbol: str) -> DailySeries:
        close = self.history.column(symbol)
        keep = ~np.isnan(close)
        unknown = np.full(int(keep.sum()), np.nan)
        return DailySeries(
            symbol,
            self.history.dates[keep],
            np.asarray(self.history.open_column(symbol)[keep], dtype=np.float64),
            unknown,
            unknown,
            np.asarray(close[keep], dtype=np.float64),
            unknown,
            np.ones_like(unknown),
        )


class CsvDirSource:
    """A folder of SYMBOL.csv files: the names are listed now, a file is parsed when first asked for."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise DataError(
                f"market data directory {self.directory} does not exist",
                code="data-dir-missing",
                hint="pass --data DIR pointing at a folder of SYMBOL.csv files",
                where=str(self.directory),
            )
        self._paths = {p.stem.upper(): p for p in sorted(self.directory.glob("*.csv"))}
        self._names = tuple(sorted(self._paths))
        self._cache: dict[str, DailySeries] = {}
        self._lock = threading.Lock()

    def symbols(self) -> tuple[str, ...]:
        return self._names

    @property
    def loaded(self) -> int:
        """How many files have been parsed so far."""
        return len(self._cache)

    def series(self, symbol: str) -> DailySeries | None:
        path = self._paths.get(symbol)
        if path is None:
            return None
        with self._lock:
            found = self._cache.get(symbol)
        if found is None:
            found = read_series(path, symbol)  # parsed outside the lock: other symbols stay served
            with self._lock:
                found = self._cache.setdefault(symbol, found)
        return found


def read_series(path: Path, symbol: str) -> DailySeries:
    """Parse one SYMBOL.csv with fixed dtypes; a bad file is a DataError naming it."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            engine="c",
            dtype=dict.fromkeys(_COLUMNS, np.float64),
            usecols=lambda name: name == "date" or name in _COLUMNS,
        )
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(
            f"{path}: {err}", code="csv-unreadable", hint="check the file's numbers", where=str(path)
        ) from None
    if "date" not in frame.columns or not ({"close", "adj_close"} & set(frame.columns)):
        raise DataError(
            f"{path}: needs a date and a close or adj_close column",
            code="csv-columns",
            hint="header: date,open,high,low,close,volume,adj_close",
            where=str(path),
        )
    try:
        dates = pd.to_datetime(frame["date"], format="%Y-%m-%d").to_numpy().astype("datetime64[D]")
    except ValueError as err:
        raise DataError(f"{path}: {err}", code="csv-bad-date", hint="dates are YYYY-MM-DD") from None
    if len(dates) > 1 and not bool(np.all(dates[1:] > dates[:-1])):
        raise DataError(f"{path}: dates must be strictly increasing", code="csv-unsorted", where=str(path))

    def column(name: str) -> FloatArray:
        if name in frame.columns:
            return np.asarray(frame[name].to_numpy(np.float64))
        return np.full(len(frame), np.nan)

    close, adjusted = column("close"), column("adj_close")
    close = np.where(np.isnan(close), adjusted, close)
    factor = np.where(np.isnan(adjusted) | (close <= 0), 1.0, adjusted / np.where(close > 0, close, 1.0))
    keep = ~np.isnan(close)
    return DailySeries(
        symbol,
        dates[keep],
        column("open")[keep],
        column("high")[keep],
        column("low")[keep],
        close[keep],
        column("volume")[keep],
        factor[keep],
    )
