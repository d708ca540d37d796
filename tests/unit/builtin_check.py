"""Shared assertions for the built-in strategy tests: evaluate the real .clj file on a crafted history
and check the last session's weights and decision trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import pytest

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony
from rebalancer.symphony.trace import explain

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"


@cache
def builtin(name: str) -> Symphony:
    return load_symphony(STRATEGIES / f"{name}.clj")


def decisions(symphony: Symphony, history: PriceHistory) -> list[str]:
    """The trace of the last session as 'description=outcome' lines (ifs and filters)."""
    lines = []
    for step in explain(symphony, history, history.last_date):
        if step.kind in ("if", "filter"):
            lines.append(f"{step.description}={step.outcome}")
        elif step.kind == "group":
            lines.append(f"group {step.description}")
    return lines


def assert_last_session(
    symphony: Symphony,
    history: PriceHistory,
    expected: Mapping[str, float],
    path: Sequence[str] = (),
) -> list[str]:
    """Weights on the last session equal `expected`; `path` appears in order in the trace."""
    weights = evaluate(symphony, history).row(history.last_date)
    assert weights == pytest.approx(dict(expected), rel=1e-9, abs=1e-12), decisions(symphony, history)
    trace = decisions(symphony, history)
    remaining = iter(trace)
    for line in path:
        assert any(line == seen for seen in remaining), f"{line!r} not in order in trace:\n" + "\n".join(
            trace
        )
    return trace
