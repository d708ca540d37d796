"""Daily bars for any symbol from Alpaca's market data API, cached on disk (`--data alpaca`).

The cache is a CSV folder in csv_source's format (SYMBOL.csv: date, open, adj_close; split- and
dividend-adjusted, `adjustment=all`), so it doubles as a `--data DIR`, plus `manifest.json` recording
the range and feed each symbol was fetched for, and the same series as numpy arrays (`npz/SYMBOL.npz`)
that a load reads: parsing and validating 450 CSV files of 10 years takes 2.4 s of CPU, the arrays 5 ms
(bench/alpaca_cache_bench.py), with no new dependency. A request the manifest covers is served from
disk without any request; the symbols it does not cover are fetched in one batched request (all pages)
and written. Adjusted history changes after a split or a dividend: deleting the folder fetches again.

Keys come from the environment, as Alpaca's own tools name them (APCA_API_KEY_ID and
APCA_API_SECRET_KEY; APCA_API_DATA_URL points the client elsewhere, the emulator in tests), or from a
profile in a credentials file (REBALANCER_PROFILE; alpaca_keys.py).

    >>> cache = BarsCache(Path(".rebalancer/bars"), fetch=market.daily_history, feed="iex")  # doctest: +SKIP
    >>> history = cache.load(["SPY", "TLT"], dt.date(2016, 1, 4), dt.date(2026, 7, 31))      # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer_research.market.csv_source import SymbolSeries, _union, load_csv_dir

Fetch = Callable[[Collection[str], dt.date, dt.date], PriceHistory]
MANIFEST = "manifest.json"
DEFAULT_FOLDER = Path(".rebalancer") / "bars"
DEFAULT_START = dt.date(2016, 1, 1)  # Alpaca's daily bars begin in 2016


class BarsCache:
    def __init__(self, folder: Path, fetch: Fetch, *, feed: str = "iex", refresh: bool = False) -> None:
        self.folder = folder
        self.fetch = fetch
        self.feed = feed
        self.refresh = refresh
        self.requests = 0  # batched fetches made by this cache (a warm cache makes none)

    def load(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        wanted = sorted(set(symbols))
        manifest = self._manifest()
        stale = [s for s in wanted if self.refresh or not _covers(manifest.get(s), start, end, self.feed)]
        if stale:
            self.requests += 1
            fetched = self.fetch(stale, start, end)
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / "npz").mkdir(parents=True, exist_ok=True)
            for symbol in stale:
                _write_symbol(self.folder, fetched, symbol)
                manifest[symbol] = {"start": start.isoformat(), "end": end.isoformat(), "feed": self.feed}
            (self.folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        arrays = [self.folder / "npz" / f"{s}.npz" for s in wanted]
        if all(p.is_file() for p in arrays):
            return _union([_read_arrays(p) for p in arrays])
        return load_csv_dir(self.folder, wanted)  # a folder written by hand: the validating reader

    def _manifest(self) -> dict[str, Any]:
        path = self.folder / MANIFEST
        if not path.is_file():
            return {}
        data: dict[str, Any] = json.loads(path.read_text())
        return data


def _covers(entry: Mapping[str, Any] | None, start: dt.date, end: dt.date, feed: str) -> bool:
    if entry is None or entry.get("feed") != feed:
        return False
    return dt.date.fromisoformat(entry["start"]) <= start and dt.date.fromisoformat(entry["end"]) >= end


def _write_symbol(folder: Path, history: PriceHistory, symbol: str) -> None:
    """SYMBOL.csv (the --data DIR format) and npz/SYMBOL.npz (what loads read), each written whole."""
    col = history.symbols.index(symbol)
    close = history.close[:, col]
    opens = history.open[:, col] if history.open is not None else np.full(len(close), np.nan)
    kept = np.isfinite(close)
    lines = ["date,open,adj_close"]
    for day, opened, closed in zip(history.dates[kept], opens[kept], close[kept], strict=True):
        lines.append(f"{day},{'' if not np.isfinite(opened) else repr(float(opened))},{float(closed)!r}")
    _replace(folder / f"{symbol}.csv", ("\n".join(lines) + "\n").encode())
    buffer = io.BytesIO()
    np.savez(buffer, dates=history.dates[kept], close=close[kept], open=opens[kept])
    _replace(folder / "npz" / f"{symbol}.npz", buffer.getvalue())


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # a crash never leaves a half-written file


def _read_arrays(path: Path) -> SymbolSeries:
    with np.load(path) as data:
        return SymbolSeries(path.stem, data["dates"], data["close"], data["open"])


def alpaca_fetch(environ: Mapping[str, str] | None = None, *, feed: str = "iex") -> Fetch:
    """Alpaca's market data adapter (the live run's: timeouts, retries, all pages); keys from the env
    or a profile (alpaca_keys.py)."""
    from rebalancer.alpaca.market_data import AlpacaMarketData
    from rebalancer_research.market.alpaca_keys import market_data_keys

    keys = market_data_keys(environ)
    data = AlpacaMarketData(keys.credentials, base_url=keys.data_url, feed=feed)
    return data.daily_history


def load_alpaca(
    symbols: Collection[str],
    *,
    start: dt.date | None,
    end: dt.date,
    folder: Path | None = None,
    refresh: bool = False,
    environ: Mapping[str, str] | None = None,
) -> PriceHistory:
    """The bars of `symbols` from the cache, fetching what it lacks (keys needed only then)."""
    env = os.environ if environ is None else environ
    root = folder or Path(env.get("REBALANCER_BARS_CACHE", str(DEFAULT_FOLDER)))

    def fetch(wanted: Collection[str], first: dt.date, last: dt.date) -> PriceHistory:
        return alpaca_fetch(env)(wanted, first, last)

    return BarsCache(root, fetch, refresh=refresh).load(symbols, start or DEFAULT_START, end)
