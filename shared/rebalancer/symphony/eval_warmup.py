"""How many sessions of history a symphony needs before its last row is defined (and RSI/EMA converged).

A sub-tree's series (NAV, stream) starts on the first day the sub-tree is defined, so a metric over a
sub-tree needs the sub-tree's own warm-up plus the metric's. Both branches of an `if` count (either may
be taken), so the figure is an upper bound.

    >>> from rebalancer.symphony.nodes import Asset, Comparison, If, IndicatorRef, Symphony
    >>> cond = Comparison(">", IndicatorRef("rsi", 10, "SPY"), 79.0)
    >>> required_history(Symphony("s", (), If(cond, (Asset("UVXY"),), (Asset("SPY"),))))
    100
"""

from __future__ import annotations

from rebalancer.symphony.indicators import warmup_sessions
from rebalancer.symphony.nodes import (
    Asset,
    Filter,
    If,
    IndicatorRef,
    Metric,
    Node,
    Symphony,
    WeightInverseVolatility,
    children_of,
)


def required_history(symphony: Symphony) -> int:
    """Sessions of history the strategy needs so that its latest row is defined."""
    return _need(symphony.root)


def _need(node: Node) -> int:
    if isinstance(node, Asset):
        return 1
    if isinstance(node, If):
        sides = [node.condition.lhs, node.condition.rhs]
        refs = [_ref_need(s) for s in sides if isinstance(s, IndicatorRef)]
        return max([*refs, *(_need(c) for c in node.then + node.otherwise)])
    if isinstance(node, Filter):
        return max(_metric_need(node.metric, c) for c in node.children)
    if isinstance(node, WeightInverseVolatility):
        metric = Metric("stdev-return", node.window)
        return max(_metric_need(metric, c) for c in node.children)
    return max(_need(c) for c in children_of(node))


def _ref_need(ref: IndicatorRef) -> int:
    if ref.node is None:
        return warmup_sessions(ref.name, ref.window)
    return _metric_need(ref.metric, ref.node)


def _metric_need(metric: Metric, child: Node) -> int:
    """A child ranked or weighted by a metric: its own need and the metric's on its series."""
    own = _need(child)
    if isinstance(child, Asset):
        return max(own, warmup_sessions(metric.name, metric.window))
    return own - 1 + warmup_sessions(metric.name, metric.window)
