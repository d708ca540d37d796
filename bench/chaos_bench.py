"""Randomized money-path schedules, by the thousand: no duplicate order, no off-target `completed`.

Each schedule (tests/unit/chaos_support.py) starts from a random portfolio with random broker faults
(refusals, partial fills that stall, lost responses, whole-share assets) and invokes the same day's run
until one invocation ends with a status: each may be killed at a random step, with duplicate and
concurrent (same or another slot) invocations in between. Prints the figures and the process's CPU time;
exits 1 when any schedule duplicated an order or completed off target.

    .venv/bin/python bench/chaos_bench.py [--schedules 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from chaos_support import make_world, run_schedule, summarize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="first seed; schedules use seed..seed+n-1")
    args = parser.parse_args()
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp))
        outcomes = [run_schedule(world, args.seed + i) for i in range(args.schedules)]
    figures = summarize(outcomes)
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    print(f"{'cpu seconds':>24}: {time.process_time() - started:.1f}")
    for o in outcomes:
        if o.duplicates or o.off_target:
            print(f"seed {o.seed}: {o.statuses} {o.duplicates[:2]} {o.off_target[:2]}")
    failed = figures["duplicates"] or figures["off_target_completions"]
    print("FAIL" if failed else "OK: no duplicate order, every completed run on target")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
