"""`make mutation` fails when any module of the money path is under the target, not only the total."""

from __future__ import annotations

from collections import Counter

from rebalancer_tools.mutation import below_target


def test_a_module_under_the_target_fails_the_gate_even_when_the_total_passes() -> None:
    by_module = {
        "rebalancer/portfolio/plan.py": Counter(killed=990, survived=10),  # 99%
        "rebalancer/portfolio/books.py": Counter(killed=89, survived=11),  # 89%
        "rebalancer/run/client_ids.py": Counter(killed=9, survived=1),  # exactly 90%
    }
    assert below_target(by_module) == ["rebalancer/portfolio/books.py"]


def test_a_module_with_no_checked_mutant_counts_as_under_the_target() -> None:
    # Every mutant 'no tests' (no selected test reaches the module) must not pass silently.
    new = "rebalancer/portfolio/new.py"
    assert below_target({new: Counter(skipped=3)}) == [new]
