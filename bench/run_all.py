"""Run every bench script in this folder, one after the other, and report which ones failed.

    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/run_all.py   # what `make bench` runs

A bench script is any `*.py` file here except this one and names starting with "_". Each runs in its own
process with this interpreter and the current environment, so one bench's imports and caches do not
flatter the next. The exit code is non-zero when any script failed (a bench exits non-zero when it
misses its target or cannot run).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TIMEOUT_SECONDS = 1800


def bench_scripts() -> list[Path]:
    return sorted(
        p for p in BENCH_DIR.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    )


def run(script: Path) -> int:
    print(f"=== {script.name} ===", flush=True)
    start = time.perf_counter()
    try:
        code = subprocess.run([sys.executable, str(script)], check=False, timeout=TIMEOUT_SECONDS).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.name}: timed out after {TIMEOUT_SECONDS} s", flush=True)
        code = -1
    print(f"=== {script.name}: exit {code} in {time.perf_counter() - start:.1f} s ===\n", flush=True)
    return code


def main() -> int:
    results = {script.name: run(script) for script in bench_scripts()}
    failed = [name for name, code in results.items() if code != 0]
    print(f"{len(results)} bench scripts, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
