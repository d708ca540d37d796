"""Decide: read the strategies, evaluate them on the bars, take the decision date's row, combine.

The symphony sources are kept as text so the record can replay them even after the files change.

    >>> strategies = load_strategies(settings.strategies)                            # doctest: +SKIP
    >>> decision = decide(strategies, history, dt.date(2026, 1, 2))                  # doctest: +SKIP
    >>> decision.targets                                                              # doctest: +SKIP
    {'BIL': 0.3, 'TECL': 0.7}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rebalancer.errors import DataError, StrategyError
from rebalancer.market.history import PriceHistory
from rebalancer.portfolio.combine import combine_weights
from rebalancer.portfolio.schedule import Schedule, parse_schedule, schedule_from_settings
from rebalancer.run.settings import StrategySpec
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import read_symphony
from rebalancer.symphony.trace import evaluate_and_explain


@dataclass(frozen=True)
class LoadedStrategy:
    name: str
    allocation: float
    source: str
    filename: str
    parameters: Mapping[str, float]
    symphony: Symphony
    schedule: Schedule = field(default_factory=Schedule)
    rebalance: str | None = None  # the config's override of the file's schedule, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "allocation": self.allocation,
            "filename": self.filename,
            "parameters": dict(self.parameters),
            "rebalance": self.rebalance,
            "source": self.source,
        }


def read_strategy(  # noqa: PLR0917 (a strategy's fields, as the config and the record hold them)
    name: str,
    allocation: float,
    source: str,
    filename: str,
    parameters: Mapping[str, float],
    rebalance: str | None = None,
) -> LoadedStrategy:
    symphony = read_symphony(source, filename=filename, parameters=parameters or None)
    schedule = (
        schedule_from_settings(symphony.settings, filename)
        if rebalance is None
        else parse_schedule(rebalance, f"strategies.{name}.rebalance")
    )
    return LoadedStrategy(name, allocation, source, filename, dict(parameters), symphony, schedule, rebalance)


def load_strategies(specs: Sequence[StrategySpec]) -> list[LoadedStrategy]:
    """Read every strategy file; StrategyError naming file:line:col on the first bad one."""
    loaded = []
    for spec in specs:
        try:
            source = spec.path.read_text(encoding="utf-8")
        except OSError as err:
            raise StrategyError(
                f"cannot read strategy {spec.name}: {err}",
                code="strategy-unreadable",
                hint="check the path in the config's strategies section",
                where=str(spec.path),
            ) from err
        loaded.append(
            read_strategy(spec.name, spec.allocation, source, str(spec.path), spec.parameters, spec.rebalance)
        )
    return loaded


def strategies_from_record(items: Sequence[Mapping[str, Any]]) -> list[LoadedStrategy]:
    return [
        read_strategy(
            str(i["name"]),
            float(i["allocation"]),
            str(i["source"]),
            str(i["filename"]),
            i["parameters"],
            i.get("rebalance"),
        )
        for i in items
    ]


def needed_symbols(strategies: Sequence[LoadedStrategy]) -> set[str]:
    return set().union(*(s.symphony.symbols for s in strategies)) if strategies else set()


def lookback_sessions(strategies: Sequence[LoadedStrategy]) -> int:
    return max((required_history(s.symphony) for s in strategies), default=1)


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
