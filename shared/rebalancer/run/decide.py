"""Decide: evaluate the strategies on the bars, take the decision date's row, combine.

The strategies are read by rebalancer.strategies (their sources kept as text so the record can replay
them even after the files change).

    >>> strategies = load_strategies(settings.strategies)                            # doctest: +SKIP
    >>> decision = decide(strategies, history, dt.date(2026, 1, 2))                  # doctest: +SKIP
    >>> decision.targets                                                              # doctest: +SKIP
    {'BIL': 0.3, 'TECL': 0.7}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.portfolio.combine import combine_weights
from rebalancer.strategies import LoadedStrategy
from rebalancer.symphony.trace import evaluate_and_explain


@dataclass
class Decision:
    decision_date: dt.date
    per_strategy: dict[str, dict[str, float]] = field(default_factory=dict)
    traces: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_date": self.decision_date.isoformat(),
            "per_strategy": self.per_strategy,
            "targets": self.targets,
            "traces": self.traces,
        }


def decide(strategies: Sequence[LoadedStrategy], history: PriceHistory, decision_date: dt.date) -> Decision:
    """Every strategy's weights and trace on `decision_date` (all indicators must be defined), then
    combined. One evaluation per strategy gives both."""
    decision = Decision(decision_date)
    for strategy in strategies:
        try:
            weights, steps = evaluate_and_explain(strategy.symphony, history, decision_date)
            decision.per_strategy[strategy.name] = weights.row(decision_date)
        except DataError as err:
            raise DataError(
                f"strategy {strategy.name}: {err.message}",
                code="indicator-undefined",
                hint="the bars do not cover the strategy's warm-up; no orders were placed",
            ) from err
        decision.traces[strategy.name] = [step.to_dict() for step in steps]
    allocations = {s.name: s.allocation for s in strategies}
    decision.targets = combine_weights(decision.per_strategy, allocations)
    return decision
