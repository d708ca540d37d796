"""Randomized schedules (seeded, bounded): kills at every step, refusals, partial fills, lost responses,
duplicate and concurrent invocations. No duplicate order, and a `completed` run is on target.

bench/chaos_bench.py runs the same schedules by the thousand and prints the figures.
"""

from __future__ import annotations

from pathlib import Path

from chaos_support import make_world, run_schedule, summarize

SCHEDULES = 200


def test_randomized_schedules_never_duplicate_an_order_nor_complete_off_target(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    outcomes = [run_schedule(world, seed) for seed in range(SCHEDULES)]
    bad = [(o.seed, o.statuses, o.duplicates, o.off_target) for o in outcomes if o.duplicates or o.off_target]
    assert bad == [], bad[:5]
    figures = summarize(outcomes)
    # The schedules really exercise the paths (kills, resumes, both endings), or the test proves nothing.
    assert figures["crashes"] > SCHEDULES // 2
    assert figures["completed"] > SCHEDULES // 4
    assert figures["partial"] > 0
