"""Symphony reader speed: built-in files, a generated large export, and linear scaling.

    .venv/bin/python bench/bench_reader.py

Prints the median time of several reads per input, the ratio to `json.loads` of the same tree's JSON
form (a C-implemented parser of comparable text, as a peer), and the time ratio between a 4x larger
export and the base one (about 4 means linear; quadratic behaviour would show about 16).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rebalancer.symphony.nodes import walk
from rebalancer.symphony.reader import read_symphony
from rebalancer_tools.printer import symphony_to_json

REPO = Path(__file__).resolve().parents[1]


def large_export(groups: int) -> str:
    """A Composer-style export: 4 nodes per group (group, if, two assets) plus the root."""
    parts = [
        f'(group "G{i}" [(if (> (rsi "S{i}" {{:window {1 + i % 30}}}) {50 + i % 40}) '
        f'[(asset "EQUITIES::A{i}" "Asset {i}")] [(asset "B{i}" nil)])])'
        for i in range(groups)
    ]
    return '(defsymphony "Large" {:asset-class "EQUITIES"}\n (weight-equal [\n' + ",\n".join(parts) + "]))"


def median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(label: str, text: str, repeats: int) -> float:
    sym = read_symphony(text)
    as_json = json.dumps(symphony_to_json(sym))
    ours = median_ms(lambda: read_symphony(text), repeats)
    peer = median_ms(lambda: json.loads(as_json), repeats)
    nodes = sum(1 for _ in walk(sym.root))
    print(
        f"{label:<24} {len(text):>8} chars {nodes:>6} nodes  read {ours:8.2f} ms"
        f"  json.loads {peer:7.2f} ms  ratio {ours / peer:6.1f}x"
    )
    return ours


def main() -> int:
    print("input                       size           nodes   median of repeated reads")
    for path in sorted((REPO / "strategies").glob("*.clj")):
        measure(path.name, path.read_text(encoding="utf-8"), repeats=20)
    base = measure("generated 5,001 nodes", large_export(1250), repeats=5)
    big = measure("generated 20,001 nodes", large_export(5000), repeats=3)
    print(f"scaling: 4x the input took {big / base:.1f}x the time (4 = linear)")
    # Python's cyclic GC adds super-linear pauses while tens of thousands of objects are alive; without
    # it the reader's own work shows its linear scaling.
    gc.disable()
    try:
        small = median_ms(lambda: read_symphony(large_export(1250)), 3)
        large = median_ms(lambda: read_symphony(large_export(5000)), 3)
    finally:
        gc.enable()
    print(f"scaling with the cyclic GC paused: {large / small:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
