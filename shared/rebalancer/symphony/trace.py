"""Decision traces: why a symphony holds what it holds on one date, read from the evaluator's own vectors.

explain() evaluates the tree once (vectorized, exactly as evaluate() does) and then walks the branches
taken on the requested date, reporting each comparison with its indicator values and threshold, each
filter with its candidates' metric values and the items selected, each inverse-volatility weighting with
its volatilities. Nothing is recomputed by a second implementation.

    >>> from rebalancer.market.history import PriceHistory
    >>> from rebalancer.symphony.nodes import Asset, Comparison, If, IndicatorRef, Symphony
    >>> closes = {"SPY": [100.0, 101.0], "BIL": [50.0, 50.0]}
    >>> h = PriceHistory.from_columns(["2024-01-02", "2024-01-03"], closes)
    >>> up = Comparison(">", IndicatorRef("cumulative-return", 1, "SPY"), 0.0)
    >>> steps = explain(Symphony("demo", (), If(up, (Asset("SPY"),), (Asset("BIL"),))), h, "2024-01-03")
    >>> steps[0].description, steps[0].outcome, steps[1].path
    ('cumulative-return(SPY,1) > 0', True, 'root/if/then/asset[0]')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rebalancer.market.history import DateLike, PriceHistory
from rebalancer.symphony.eval_groups import row_order
from rebalancer.symphony.eval_types import Item, kind_of
from rebalancer.symphony.evaluator import Evaluator, evaluate_with
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Node,
    Symphony,
    WeightInverseVolatility,
    WeightSpecified,
    children_of,
)
from rebalancer.symphony.weights import WeightHistory

Outcome = bool | str | list[str] | dict[str, float] | None


@dataclass(frozen=True)
class TraceStep:
    """One decision on the path: where it sits, what it compared, and what it chose."""

    path: str
    kind: str
    description: str
    values: dict[str, float] = field(default_factory=dict)
    outcome: Outcome = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (NaN, i.e. an undefined value, becomes None)."""
        outcome: Any = self.outcome
        if isinstance(outcome, dict):
            outcome = {k: _json_number(v) for k, v in outcome.items()}
        return {
            "path": self.path,
            "kind": self.kind,
            "description": self.description,
            "values": {k: _json_number(v) for k, v in self.values.items()},
            "outcome": outcome,
        }


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


def explain(symphony: Symphony, history: PriceHistory, date: DateLike) -> list[TraceStep]:
    """The decision path of `symphony` on `date` (DataError when the date is not a session)."""
    return evaluate_and_explain(symphony, history, date)[1]


def evaluate_and_explain(
    symphony: Symphony, history: PriceHistory, date: DateLike
) -> tuple[WeightHistory, list[TraceStep]]:
    """evaluate() and explain() from one evaluation (what a live run records, at half the cost)."""
    selected = history.select(symphony.symbols)
    row = selected.row_of(date)
    evaluator = Evaluator(selected)
    weights = evaluate_with(evaluator, symphony)
    steps: list[TraceStep] = []
    _Walker(evaluator, row, steps).visit(symphony.root, f"root/{kind_of(symphony.root)}")
    return weights, steps


def indicator_label(ref: IndicatorRef) -> str:
    subject = ref.symbol if ref.node is None else _subject_label(ref.node)
    if ref.window is None:
        return f"{ref.name}({subject})"
    return f"{ref.name}({subject},{_window_label(ref.window)})"


def _subject_label(node: Node) -> str:
    return f"group {node.name}" if isinstance(node, Group) else kind_of(node)


def _window_label(window: int | tuple[int, ...]) -> str:
    return str(window) if isinstance(window, int) else "/".join(str(w) for w in window)


def describe_comparison(comparison: Comparison) -> str:
    rhs = comparison.rhs
    right = indicator_label(rhs) if isinstance(rhs, IndicatorRef) else f"{rhs:g}"
    return f"{indicator_label(comparison.lhs)} {comparison.op} {right}"


@dataclass
class _Walker:
    evaluator: Evaluator
    row: int
    steps: list[TraceStep]

    def visit(self, node: Node, path: str) -> None:
        if isinstance(node, If):
            self._visit_if(node, path)
        elif isinstance(node, Filter):
            self._visit_filter(node, path)
        elif isinstance(node, WeightInverseVolatility):
            self._visit_inverse_volatility(node, path)
        elif isinstance(node, Asset):
            self.steps.append(TraceStep(path, "asset", node.symbol, {}, node.symbol))
        else:
            self._visit_container(node, path)

    def visit_list(self, children: tuple[Node, ...], path: str) -> None:
        for index, child in enumerate(children):
            self.visit(child, f"{path}/{kind_of(child)}[{index}]")

    def _visit_if(self, node: If, path: str) -> None:
        cond = self.evaluator.condition(node.condition)
        rhs_label = (
            indicator_label(node.condition.rhs)
            if isinstance(node.condition.rhs, IndicatorRef)
            else "threshold"
        )
        values = {indicator_label(node.condition.lhs): float(cond.lhs[self.row])}
        values[rhs_label] = float(cond.rhs[self.row])
        if not cond.defined[self.row]:
            self.steps.append(TraceStep(path, "if", describe_comparison(node.condition), values, "undefined"))
            return
        taken = bool(cond.value[self.row])
        self.steps.append(TraceStep(path, "if", describe_comparison(node.condition), values, taken))
        if taken:
            self.visit_list(node.then, f"{path}/then")
        else:
            self.visit_list(node.otherwise, f"{path}/else")

    def _visit_filter(self, node: Filter, path: str) -> None:
        for item in self._filter_step(node, path):
            self.visit(item.node, f"{path}/{kind_of(item.node)}[{item.origin}]")

    def _filter_step(self, node: Filter, path: str) -> list[Item]:
        """Record the filter's ranking on this row; return the items it selected."""
        sel = self.evaluator.selection(node)
        names = sel.names
        metric = _metric_label(node.metric)
        description = f"select-{node.select} {node.count} by {metric} of [{', '.join(names)}]"
        present = sel.present[self.row]
        values = {n: float(v) for n, v, p in zip(names, sel.metrics[self.row], present, strict=True) if p}
        if not sel.defined[self.row]:
            self.steps.append(TraceStep(path, "filter", description, values, "undefined"))
            return []
        order = row_order(sel.metrics[self.row], present, names, top=node.select == "top")
        chosen = [sel.candidates.items[i] for i in order if sel.selected[self.row, i]]
        # Selected items, best first.
        self.steps.append(TraceStep(path, "filter", description, values, [it.name for it in chosen]))
        return chosen

    def _visit_inverse_volatility(self, node: WeightInverseVolatility, path: str) -> None:
        record = self.evaluator.inverse_volatility(node)
        members = [(i, it) for i, it in enumerate(record.items.items) if _is_member(it, self.row)]
        values = {it.name: float(record.vols[self.row, i]) for i, it in members}
        outcome = {it.name: float(record.coefficients[self.row, i]) for i, it in members}
        description = f"weight-inverse-volatility({node.window}) of [{', '.join(n for n in values)}]"
        self.steps.append(TraceStep(path, "weight-inverse-volatility", description, values, outcome))
        for _, item in members:
            self.visit(item.node, f"{path}/{kind_of(item.node)}[{item.origin}]")

    def _visit_container(self, node: Node, path: str) -> None:
        kind = kind_of(node)
        if isinstance(node, Group):
            self.steps.append(TraceStep(path, kind, node.name))
        elif isinstance(node, WeightSpecified):
            shares = ", ".join(f"{w:g}" for w in node.weights)
            self.steps.append(TraceStep(path, kind, f"weight-specified [{shares}]"))
        else:
            self.steps.append(TraceStep(path, kind, kind))
        self.visit_list(children_of(node), path)


def _metric_label(metric: Metric) -> str:
    return metric.name if metric.window is None else f"{metric.name}({_window_label(metric.window)})"


def _is_member(item: Item, row: int) -> bool:
    return item.member is None or bool(item.member[row])
