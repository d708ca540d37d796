"""The corpus of public Composer exports (tests/fixtures/composer_corpus) and the prices to evaluate it on.

Every file's symbols come from the CSV folder `$REBALANCER_MARKET_DATA`. A few large files reference
symbols the folder lacks (SOURCES.md lists them per file, and PARTIAL here must agree): those get seeded
random-walk stand-ins on the folder's calendar, so the whole tree still evaluates.
"""

from __future__ import annotations

import functools
import os
import re
import zlib
from pathlib import Path

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.csv_source import load_csv_dir

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "composer_corpus"
FILES = sorted(CORPUS.glob("*.clj"))
SOURCE_RE = re.compile(r"; Public Composer symphony export\. Source: (https://github\.com/\S+)\n")
# The last complete session in the data folder (its 2026-08-03 row is a mid-session snapshot).
LAST_COMPLETE = "2026-07-31"

# File -> the symbols the data folder lacks (documented in SOURCES.md).
PARTIAL: dict[str, frozenset[str]] = {
    "interstellar.clj": frozenset({"CVE", "YINN"}),
    "spdr_market_cap_weighted.clj": frozenset({"XLC"}),
    "spdr_xlk_rsi_split.clj": frozenset({"XLC"}),
}
# Files this large have too many missing symbols to list here; their count is pinned instead.
PARTIAL_COUNTS: dict[str, int] = {"fomo_nomo_lev.clj": 344, "voxport.clj": 19}


def market_dir() -> Path | None:
    value = os.environ.get("REBALANCER_MARKET_DATA")
    return Path(value) if value and Path(value).is_dir() else None


def available(directory: Path) -> frozenset[str]:
    return frozenset(path.stem for path in directory.glob("*.csv"))


def stand_in(symbol: str, dates: np.ndarray) -> np.ndarray:
    """A seeded random walk (daily vol 2%) standing for a symbol the data folder lacks."""
    rng = np.random.default_rng(zlib.crc32(symbol.encode()))
    return np.asarray(50.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.02, len(dates))), dtype=np.float64)


@functools.cache
def _corpus_prices(directory: Path, symbols: frozenset[str]) -> PriceHistory:
    """Every corpus symbol the folder has, read once for all files (reading CSVs is the slow part)."""
    return load_csv_dir(directory, sorted(symbols)).until(LAST_COMPLETE)


@functools.cache
def corpus_symbols() -> frozenset[str]:
    return frozenset().union(*(load_symphony(path).symbols for path in FILES))


def corpus_history(symphony: Symphony, directory: Path) -> PriceHistory:
    """Real closes for every symbol the folder has, stand-ins for the rest, up to LAST_COMPLETE.

    Rows start where the first of the symphony's symbols has a price."""
    have = available(directory)
    real = sorted(symphony.symbols & have)
    history = _corpus_prices(directory, corpus_symbols() & have).select(real)
    firsts = [row for row in (history.first_valid_row(s) for s in real) if row is not None]
    history = history.rows(min(firsts, default=0), len(history))
    missing = sorted(symphony.symbols - have)
    if not missing:
        return history
    columns = {symbol: history.column(symbol) for symbol in real}
    columns.update({symbol: stand_in(symbol, history.dates) for symbol in missing})
    symbols = tuple(sorted(columns))
    return PriceHistory(history.dates, symbols, np.column_stack([columns[s] for s in symbols]))
