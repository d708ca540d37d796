"""CPU time of the commands a new user runs first, against their targets (the process's own accounting).

    REBALANCER_MARKET_DATA=../shared/data/market .venv/bin/python bench/cli_bench.py [--repeat 3]

Each command runs once to warm the disk cache and the bytecode, then --repeat times; the figure is the
median of the child process's own user + system CPU time (os.wait4), which a busy machine does not
inflate the way it inflates wall-clock time. Targets (issue 13): `--help` < 0.2 s, `signals` < 1 s,
`signals --data` (the 72 files the built-ins need) < 1.5 s, `backtest --data --out DIR` < 3 s.
Exit 1 when a command fails or misses its target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def rebalancer_command() -> list[str]:
    script = Path(sys.executable).with_name("rebalancer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rebalancer_tools.cli.main"]


def cpu_seconds(argv: list[str]) -> tuple[float, int]:
    """(user + system CPU seconds of the child, exit code); output discarded."""
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, child.returncode


def cases(data: str | None, out: str) -> list[tuple[str, list[str], float]]:
    listed = [("rebalancer --help", ["--help"], 0.2), ("rebalancer signals", ["signals"], 1.0)]
    if data:
        listed += [
            ("rebalancer signals --data DATA", ["signals", "--data", data], 1.5),
            ("rebalancer backtest --data DATA --out DIR", ["backtest", "--data", data, "--out", out], 3.0),
        ]
    return listed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = os.environ.get("REBALANCER_MARKET_DATA")
    base = rebalancer_command()
    ok = True
    with tempfile.TemporaryDirectory() as out:
        print(f"{'command':<44}{'CPU (median)':>14}{'target':>9}  verdict")
        for label, argv, target in cases(data, out):
            cpu_seconds(base + argv)  # warm-up
            runs = [cpu_seconds(base + argv) for _ in range(args.repeat)]
            failed = [code for _, code in runs if code != 0]
            median = statistics.median(seconds for seconds, _ in runs)
            verdict = f"FAILED (exit {failed[0]})" if failed else "met" if median < target else "MISSED"
            ok = ok and verdict == "met"
            print(f"{label:<44}{median:>12.2f} s{target:>7.1f} s  {verdict}")
    if not data:
        print("REBALANCER_MARKET_DATA is not set: the two --data commands were skipped")
    load = os.getloadavg()[0]
    print(f"(median of {args.repeat} after a warm-up; load average {load:.1f} on {os.cpu_count()} cores)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
