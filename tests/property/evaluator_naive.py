"""A naive per-day reference evaluator (test-only): re-evaluates the tree at each day from scratch.

Scalar indicator functions read only the prices up to the day; a sub-tree's return stream is rebuilt by
evaluating the sub-tree on every earlier day. Deliberately slow and simple: it is the oracle the
vectorized evaluator is checked against. (Results are memoized per (node, day) only to keep the test fast;
the function memoized is pure.)
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Node,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

Weights = dict[str, float]
NAN = float("nan")


# -- scalar indicators: the value at the last element, from the run of defined values ending there ----


def _tail_run(values: list[float]) -> list[float]:
    run: list[float] = []
    for v in reversed(values):
        if math.isnan(v):
            break
        run.append(v)
    return run[::-1]


def _rsi(p: list[float], n: int) -> float:
    if len(p) <= n:
        return NAN
    changes = [b - a for a, b in itertools.pairwise(p)]
    gain = sum(max(c, 0.0) for c in changes[:n]) / n
    loss = sum(max(-c, 0.0) for c in changes[:n]) / n
    for c in changes[n:]:
        gain = (gain * (n - 1) + max(c, 0.0)) / n
        loss = (loss * (n - 1) + max(-c, 0.0)) / n
    total = gain + loss
    return 0.0 if total == 0.0 else 100.0 * (gain / total)  # TA-Lib: 100*(gain/(gain+loss))


def _ema(p: list[float], n: int) -> float:
    if len(p) < n:
        return NAN
    value = sum(p[:n]) / n
    for x in p[n:]:
        value = value + 2.0 / (n + 1) * (x - value)
    return value


def _max_drawdown(p: list[float], n: int) -> float:
    if len(p) < n:
        return NAN
    peak, worst = -math.inf, 0.0
    for x in p[-n:]:
        peak = max(peak, x)
        worst = max(worst, (peak - x) / peak)
    return worst * 100.0


def _oscillator(name: str, windows: tuple[int, ...], p: list[float]) -> float:
    """PPO / MACD at the last price; their -signal: the EMA of the oscillator's values so far."""
    short, long = windows[0], windows[1]

    def at(q: list[float]) -> float:
        gap = _ema(q, short) - _ema(q, long)
        return gap / _ema(q, long) * 100.0 if name.startswith("percentage") else gap

    if not name.endswith("-signal"):
        return at(p)
    series = [at(p[: i + 1]) for i in range(len(p))]
    return _ema([v for v in series if not math.isnan(v)], windows[2])


def price_value(name: str, n: int | tuple[int, ...] | None, prices: list[float]) -> float:
    p = _tail_run(prices)
    if not p:
        return NAN
    if name == "current-price":
        return p[-1]
    if isinstance(n, tuple):
        return _oscillator(name, n, p)
    assert n is not None
    if name.endswith("-bollinger"):
        sign = 1.0 if name.startswith("upper") else -1.0
        mean, spread = price_value("moving-average-price", n, p), price_value("stdev-price", n, p)
        return mean + sign * 2.0 * spread
    if name == "moving-average-price":
        return float(np.mean(p[-n:])) if len(p) >= n else NAN
    if name == "stdev-price":
        return (float(np.std(p[-n:], ddof=1)) if n > 1 else 0.0) if len(p) >= n else NAN
    if name == "cumulative-return":
        return (p[-1] / p[-1 - n] - 1.0) * 100.0 if len(p) > n else NAN
    if name == "rsi":
        return _rsi(p, n)
    if name == "exponential-moving-average-price":
        return _ema(p, n)
    return _max_drawdown(p, n)


def return_value(name: str, n: int, returns: list[float]) -> float:
    r = _tail_run(returns)
    if len(r) < n:
        return NAN
    window = r[-n:]
    if name == "moving-average-return":
        return float(np.mean(window)) * 100.0
    return float(np.std(window, ddof=1)) * 100.0 if n > 1 else 0.0


# -- the tree, one day at a time ------------------------------------------------------------------


class NaiveEvaluator:
    def __init__(self, history: PriceHistory) -> None:
        self.h = history
        self.close = {s: history.column(s).tolist() for s in history.symbols}
        self.weights_at = lru_cache(maxsize=None)(self._weights_at)

    def asset_return(self, symbol: str, t: int) -> float:
        c = self.close[symbol]
        return c[t] / c[t - 1] - 1.0 if t >= 1 else NAN

    def _weights_at(self, node: Node, t: int) -> Weights | None:
        if isinstance(node, Asset):
            return None if math.isnan(self.close[node.symbol][t]) else {node.symbol: 1.0}
        if isinstance(node, If):
            taken = self._condition(node.condition, t)
            if taken is None:
                return None
            return self._equal(node.then if taken else node.otherwise, t)
        if isinstance(node, WeightSpecified):
            return self._specified(node, t)
        if isinstance(node, WeightInverseVolatility):
            return self._inverse_vol(node, t)
        if isinstance(node, Group | WeightEqual):
            return self._equal(node.children, t)
        chosen = self._select(node, t)
        if chosen is None:
            return None
        return self._combine([(1.0 / len(chosen), child) for child, _ in chosen], t)

    def _condition(self, cmp: Comparison, t: int) -> bool | None:
        lhs = self._ref(cmp.lhs, t)
        rhs = self._ref(cmp.rhs, t) if isinstance(cmp.rhs, IndicatorRef) else cmp.rhs
        if math.isnan(lhs) or math.isnan(rhs):
            return None
        return {">": lhs > rhs, "<": lhs < rhs, ">=": lhs >= rhs, "<=": lhs <= rhs}[cmp.op]

    def _ref(self, ref: IndicatorRef, t: int) -> float:
        return self.metric(Metric(ref.name, ref.window), Asset(ref.symbol), t)

    def metric(self, metric: Metric, node: Node, t: int) -> float:
        return_based = metric.name in ("moving-average-return", "stdev-return")
        if isinstance(node, Asset):
            prices = self.close[node.symbol][: t + 1]
            if return_based:
                returns = [self.asset_return(node.symbol, s) for s in range(t + 1)]
                return return_value(metric.name, _single(metric.window), returns)
            return price_value(metric.name, metric.window, prices)
        stream = [self.stream(node, s) for s in range(t + 1)]
        if return_based:
            return return_value(metric.name, _single(metric.window), stream)
        return price_value(metric.name, metric.window, self._nav(node, stream))

    def stream(self, node: Node, t: int) -> float:
        if t == 0:
            return NAN
        prev = self.weights_at(node, t - 1)
        if prev is None:
            return NAN
        total = 0.0
        for symbol in sorted(prev):
            if prev[symbol] != 0.0:
                total += prev[symbol] * self.asset_return(symbol, t)
        return total

    def _nav(self, node: Node, stream: list[float]) -> list[float]:
        nav: list[float] = []
        for t, r in enumerate(stream):
            if not math.isnan(r):
                nav.append(nav[-1] * (1.0 + r))
            elif self.weights_at(node, t) is not None:
                nav.append(1.0)
            else:
                nav.append(NAN)
        return nav

    # child lists: (node, name, origin, fraction); a filter is one child like any other
    def _items(self, children: tuple[Node, ...], t: int) -> list[tuple[Node, str, int, float]] | None:
        return [(child, _name(child, index), index, 1.0) for index, child in enumerate(children)]

    def _select(self, node: Filter, t: int) -> list[tuple[Node, str]] | None:
        candidates = self._items(node.children, t)
        if candidates is None:
            return None
        keyed = []
        for position, (child, name, _, _) in enumerate(candidates):
            value = self.metric(node.metric, child, t)
            if math.isnan(value):
                return None
            keyed.append(((-value if node.select == "top" else value), name, position, child))
        keyed.sort(key=lambda k: k[:3])
        return [(child, name) for _, name, _, child in keyed[: node.count]]

    def _combine(self, parts: list[tuple[float, Node]], t: int) -> Weights | None:
        out: Weights = {}
        for coef, child in parts:
            w = self.weights_at(child, t)
            if w is None:
                return None
            for s, v in w.items():
                out[s] = out.get(s, 0.0) + coef * v
        return out

    def _equal(self, children: tuple[Node, ...], t: int) -> Weights | None:
        items = self._items(children, t)
        if items is None:
            return None
        return self._combine([(1.0 / len(items), node) for node, _, _, _ in items], t)

    def _specified(self, node: WeightSpecified, t: int) -> Weights | None:
        items = self._items(node.children, t)
        if items is None:
            return None
        raw = [(node.weights[origin] * fraction, child) for child, _, origin, fraction in items]
        total = sum(c for c, _ in raw)
        return self._combine([(c / total, child) for c, child in raw], t)

    def _inverse_vol(self, node: WeightInverseVolatility, t: int) -> Weights | None:
        items = self._items(node.children, t)
        if items is None:
            return None
        vols = [self.metric(Metric("stdev-return", node.window), child, t) for child, _, _, _ in items]
        if any(math.isnan(v) for v in vols):
            return None
        if any(v == 0.0 for v in vols):
            inverse = [1.0 if v == 0.0 else 0.0 for v in vols]
        else:
            inverse = [1.0 / v for v in vols]
        total = sum(inverse)
        return self._combine(
            [(i / total, child) for i, (child, _, _, _) in zip(inverse, items, strict=True)], t
        )


def _single(window: int | tuple[int, ...] | None) -> int:
    assert isinstance(window, int)
    return window


def _name(node: Node, index: int) -> str:
    if isinstance(node, Asset):
        return node.symbol
    if isinstance(node, Group):
        return node.name
    kinds = {WeightEqual: "weight-equal", WeightSpecified: "weight-specified", If: "if", Filter: "filter"}
    return f"{kinds.get(type(node), 'weight-inverse-volatility')}[{index}]"
