"""Price history from a directory of SYMBOL.csv files (the layout of the team's market data).

Each file has a `date` column (YYYY-MM-DD, strictly increasing) and `adj_close` or `close`; `open` is
optional. Closes are the adjusted closes; opens are put on the same adjusted basis
(open * adj_close / close) so that an open and a close of one day are comparable. The result is the
union of every file's dates, with NaN where a symbol has no row.

    >>> history = load_csv_dir("data/market", ["SPY", "QQQ"])      # doctest: +SKIP
    >>> history.symbols                                            # doctest: +SKIP
    ('QQQ', 'SPY')

A corrupt row raises DataError naming the file and its line (1 = the header line).
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from rebalancer.errors import DataError
from rebalancer.market.history import DateArray, FloatMatrix, PriceHistory
from rebalancer_research.market.quality import SPIKE_RATIO, spike_rows

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_HEADER_LINE = 1  # data row i (0-based) is on line i + 2


@dataclass(frozen=True)
class SymbolSeries:
    """One file's parsed columns: sessions, adjusted closes and adjusted opens (NaN where unknown)."""

    symbol: str
    dates: DateArray
    close: FloatArray
    open: FloatArray


def load_csv_dir(directory: str | Path, symbols: Collection[str] | None = None) -> PriceHistory:
    """Load SYMBOL.csv files from `directory`: every file, or only `symbols` (all must exist)."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise DataError(
            f"{folder} is a file, not a folder of SYMBOL.csv files",
            code="data-dir-missing",
            hint="pass --data DIR pointing at the folder that holds SPY.csv, TLT.csv, ...",
            where=str(folder),
        )
    if not folder.is_dir():
        raise DataError(
            f"market data directory {folder} does not exist",
            code="data-dir-missing",
            hint="pass --data DIR pointing at a folder of SYMBOL.csv files",
            where=str(folder),
        )
    paths = _symbol_paths(folder, symbols)
    series = [read_symbol_csv(path, symbol) for symbol, path in paths.items()]
    return _union(series)


def _symbol_paths(folder: Path, symbols: Collection[str] | None) -> dict[str, Path]:
    available = {p.stem: p for p in folder.glob("*.csv") if p.is_file()}
    if symbols is None:
        if not available:
            raise DataError(
                f"no SYMBOL.csv files in {folder}",
                code="data-dir-empty",
                hint="put one CSV file per symbol (e.g. SPY.csv) in the directory",
                where=str(folder),
            )
        return dict(sorted(available.items()))
    wanted = sorted(set(symbols))
    missing = [s for s in wanted if s not in available]
    if missing:
        raise DataError(
            f"no price data for {', '.join(missing)} in {folder}",
            code="symbol-missing",
            hint="add the missing SYMBOL.csv files to the data directory",
            where=str(folder),
        )
    return {s: available[s] for s in wanted}


def read_symbol_csv(path: Path, symbol: str | None = None) -> SymbolSeries:
    """Parse and validate one SYMBOL.csv file."""
    name = symbol or path.stem
    series = read_typed(path, name) or _read_text(path, name)
    spikes = spike_rows(series.close)
    if spikes:
        row = spikes[0]
        raise _corrupt(
            path,
            row,
            f"close {series.close[row]:g} on {series.dates[row]} is over {SPIKE_RATIO:g}x away from the "
            "sessions before and after it",
            "csv-bad-tick",
            "fix the price (a misplaced decimal point?); a one-day spike would dominate every result",
        )
    return series


def _read_text(path: Path, name: str) -> SymbolSeries:
    """The text path: every value read as text, stripped and converted, so a problem can be named."""
    frame = _read_frame(path)
    columns = set(frame.columns)
    close_column = "adj_close" if "adj_close" in columns else "close" if "close" in columns else None
    if "date" not in columns or close_column is None:
        raise DataError(
            f"{path.name} needs a 'date' column and an 'adj_close' or 'close' column, has {sorted(columns)}",
            code="csv-columns",
            hint="write the header as date,open,close,adj_close (open and close optional)",
            where=f"{path}:{_HEADER_LINE}",
        )
    if frame.empty:
        raise DataError(f"{path.name} has no rows", code="csv-empty", where=f"{path}:{_HEADER_LINE}")
    dates = _parse_dates(path, frame["date"])
    close = _parse_prices(path, frame[close_column], close_column, required=True)
    opens = _adjusted_opens(path, frame, close)
    return SymbolSeries(name, dates, close, opens)


def _read_frame(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, csv.Error, UnicodeDecodeError) as err:
        raise DataError(
            f"{path.name} is not a readable CSV file: {err}",
            code="csv-unreadable",
            hint="fix or remove the file",
            where=str(path),
        ) from err
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path.name} is empty", code="csv-empty", where=str(path)) from err
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _corrupt(path: Path, row: int, message: str, code: str, hint: str) -> DataError:
    return DataError(
        f"{path.name} line {row + 2}: {message}", code=code, hint=hint, where=f"{path}:{row + 2}"
    )


def _parse_dates(path: Path, column: pd.Series) -> DateArray:
    text = column.str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        raise _corrupt(
            path, row, f"bad date {text.iloc[row]!r}", "csv-bad-date", "dates are written YYYY-MM-DD"
        )
    days: DateArray = parsed.to_numpy().astype("datetime64[D]")
    _check_order(path, days)
    return days


def _check_order(path: Path, days: DateArray) -> None:
    if days.size > 1:
        steps = np.flatnonzero(days[1:] <= days[:-1])
        if steps.size:
            row = int(steps[0]) + 1
            what = "duplicate" if days[row] == days[row - 1] else "unsorted"
            raise _corrupt(
                path,
                row,
                f"{what} date {days[row]} (after {days[row - 1]})",
                f"csv-{what}-date",
                "rows must be in strictly increasing date order, one per session",
            )


def read_typed(path: Path, name: str) -> SymbolSeries | None:
    """The common case, a clean file, in one typed read (about 5x less CPU than the text path below).

    None whenever anything is unusual (odd header, text where a number belongs, a bad date or price):
    the text path then reads the file again and names the problem exactly as it always has.
    """
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
        raw = [column.strip() for column in header.strip().split(",")]
        names = {column.lower(): column for column in raw}
        close_name = "adj_close" if "adj_close" in names else "close"
        if "date" not in names or close_name not in names or len(names) != len(raw) or '"' in header:
            return None
        prices = [names[c] for c in ("open", "close", "adj_close") if c in names]
        frame = pd.read_csv(
            path,
            encoding="utf-8-sig",
            usecols=[names["date"], *prices],
            dtype={names["date"]: str, **dict.fromkeys(prices, np.float64)},
            na_values=[""],
            keep_default_na=False,
            skipinitialspace=True,
        )
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    if frame.empty:
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    parsed = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    close = frame[close_name].to_numpy(dtype=np.float64)
    if parsed.isna().any() or not _all_positive(close, blank_ok=False):
        return None
    opens = frame["open"].to_numpy(dtype=np.float64) if "open" in frame else np.full(len(frame), np.nan)
    if not _all_positive(opens, blank_ok=True):
        return None
    if close_name == "adj_close" and "close" in frame:
        raw_close = frame["close"].to_numpy(dtype=np.float64)
        if not _all_positive(raw_close, blank_ok=True):
            return None
        opens = opens * close / raw_close
    days: DateArray = parsed.to_numpy().astype("datetime64[D]")
    _check_order(path, days)
    return SymbolSeries(name, days, close, opens)


def _all_positive(values: FloatArray, *, blank_ok: bool) -> bool:
    known = values[~np.isnan(values)] if blank_ok else values
    return bool(np.isfinite(known).all() and (known > 0).all())


def _parse_prices(path: Path, column: pd.Series, name: str, *, required: bool) -> FloatArray:
    text = column.str.strip()
    values: FloatArray = np.asarray(pd.to_numeric(text, errors="coerce"), dtype=np.float64)
    blank = (text == "").to_numpy()
    invalid: BoolArray = np.isnan(values) & ~blank if not required else np.isnan(values)
    invalid |= np.isinf(values)
    with np.errstate(invalid="ignore"):
        invalid |= values <= 0
    bad = np.flatnonzero(invalid)
    if bad.size:
        row = int(bad[0])
        raise _corrupt(
            path,
            row,
            f"{name} {text.iloc[row]!r} is not a positive number",
            "csv-bad-price",
            f"every {name} must be a positive number" + ("" if required else " or empty"),
        )
    return values


def _adjusted_opens(path: Path, frame: pd.DataFrame, adjusted_close: FloatArray) -> FloatArray:
    if "open" not in frame.columns:
        return np.full(len(frame), np.nan)
    opens = _parse_prices(path, frame["open"], "open", required=False)
    if "adj_close" in frame.columns and "close" in frame.columns:
        raw_close = _parse_prices(path, frame["close"], "close", required=False)
        # Where the raw close is unknown the basis is too; leave the open unknown rather than guess.
        opens = opens * adjusted_close / raw_close
    return opens


def _union(series: Sequence[SymbolSeries]) -> PriceHistory:
    dates: DateArray = np.unique(np.concatenate([s.dates for s in series]))
    close: FloatMatrix = np.full((len(dates), len(series)), np.nan)
    opened: FloatMatrix = np.full_like(close, np.nan)
    for col, s in enumerate(series):
        rows = np.searchsorted(dates, s.dates)
        close[rows, col] = s.close
        opened[rows, col] = s.open
    return PriceHistory(dates, tuple(s.symbol for s in series), close, opened)
