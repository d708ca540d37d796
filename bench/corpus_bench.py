"""The largest symphony of the Composer corpus over ten years: CPU time, and the ratio to per-day evaluation.

    .venv/bin/python bench/corpus_bench.py [--repeat 5] [--naive-days 6]
    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/corpus_bench.py

What is measured, in one run:
- the corpus file with the most symbols (tests/fixtures/composer_corpus; fomo_nomo_lev.clj, 523) is read;
- its history: ten years (2,520 sessions up to 2026-07-31, the data's last complete session) plus the
  warm-up the tree needs (required_history), real adjusted closes from $REBALANCER_MARKET_DATA for every
  symbol the folder has and seeded random walks for the others (the folder lacks 344 of them; without
  the folder every symbol is a random walk);
- vectorized: the process's CPU time (time.process_time) of `evaluate(symphony, history)`, median of
  --repeat runs after a warm-up run. Target: under 1 s of CPU;
- peer: per-day evaluation, what an engine that decides each day from scratch does:
  `evaluate(symphony, history.rows(0, t + 1))` keeping the last row, timed on --naive-days evenly
  spaced days of the ten years and extrapolated to all 2,520 (mean day cost x 2,520). Those days are
  also checked against the vectorized rows (no look-ahead). The printed ratio is peer / vectorized.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate, required_history
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.csv_source import load_csv_dir

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "fixtures" / "composer_corpus"
LAST_COMPLETE = "2026-07-31"
SESSIONS = 2520
TARGET_CPU_SECONDS = 1.0


def stand_in(symbol: str, size: int) -> np.ndarray:
    """A seeded random walk (the same one the corpus tests use) for a symbol the folder lacks."""
    rng = np.random.default_rng(zlib.crc32(symbol.encode()))
    return np.asarray(50.0 * np.cumprod(1.0 + rng.normal(0.0003, 0.02, size)), dtype=np.float64)


def ten_years(symphony: Symphony, folder: Path | None) -> tuple[PriceHistory, int]:
    """The history to evaluate and how many of its symbols carry real prices."""
    size = SESSIONS + required_history(symphony)
    have = {p.stem for p in folder.glob("*.csv")} if folder else set()
    real = sorted(symphony.symbols & have)
    columns: dict[str, np.ndarray] = {}
    if real and folder is not None:
        loaded = load_csv_dir(folder, real).until(LAST_COMPLETE)
        loaded = loaded.rows(max(0, len(loaded) - size), len(loaded))
        dates = loaded.dates
        columns = {symbol: loaded.column(symbol) for symbol in real}
    else:
        dates = np.busday_offset("2016-01-04", np.arange(size), roll="forward").astype("datetime64[D]")
    for symbol in sorted(symphony.symbols - set(real)):
        columns[symbol] = stand_in(symbol, len(dates))
    symbols = tuple(sorted(columns))
    return PriceHistory(dates, symbols, np.column_stack([columns[s] for s in symbols])), len(real)


def cpu_seconds(symphony: Symphony, history: PriceHistory, repeat: int) -> float:
    evaluate(symphony, history)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.process_time()
        evaluate(symphony, history)
        times.append(time.process_time() - start)
    return statistics.median(times)


def per_day(symphony: Symphony, history: PriceHistory, days: int) -> tuple[float, int]:
    """Mean CPU seconds of one day decided from scratch, and disagreements with the vectorized rows."""
    vectorized = evaluate(symphony, history).weights
    first = len(history) - SESSIONS
    picked = sorted({round(float(x)) for x in np.linspace(first, len(history) - 1, days)})
    spent, mismatches = 0.0, 0
    for t in picked:
        start = time.process_time()
        row = evaluate(symphony, history.rows(0, t + 1)).weights[-1]
        spent += time.process_time() - start
        if not np.allclose(row, vectorized[t], rtol=0, atol=1e-12, equal_nan=True):
            mismatches += 1
    return spent / len(picked), mismatches


def largest() -> tuple[Path, Symphony]:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # the largest exports nest deeply
    read = [(path, load_symphony(path)) for path in sorted(CORPUS.glob("*.clj"))]
    return max(read, key=lambda item: len(item[1].symbols))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-days", type=int, default=6)
    args = parser.parse_args()
    value = os.environ.get("REBALANCER_MARKET_DATA")
    folder = Path(value) if value and Path(value).is_dir() else None
    path, symphony = largest()
    history, real = ten_years(symphony, folder)
    print(
        f"{path.name}: {len(symphony.symbols)} symbols ({real} real, "
        f"{len(symphony.symbols) - real} stand-ins), "
        f"{len(history)} sessions ({SESSIONS} + {len(history) - SESSIONS} warm-up), "
        f"{history.dates[0]}..{history.dates[-1]}"
    )
    vectorized = cpu_seconds(symphony, history, args.repeat)
    day, mismatches = per_day(symphony, history, args.naive_days)
    peer = day * SESSIONS
    print(f"vectorized: {vectorized:.3f} s CPU (median of {args.repeat})")
    print(
        f"per-day peer: {day:.3f} s CPU per day x {SESSIONS} = {peer:.0f} s "
        f"(est. from {args.naive_days} days; "
        f"{mismatches} disagreements)"
    )
    print(f"ratio peer/vectorized: {peer / vectorized:.0f}x")
    ok = vectorized < TARGET_CPU_SECONDS and mismatches == 0
    verdict = "met" if ok else "MISSED"
    print(f"target: < {TARGET_CPU_SECONDS:.1f} s CPU and rows agree -> {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
