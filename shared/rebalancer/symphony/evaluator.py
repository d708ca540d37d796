"""The vectorized evaluator: a symphony tree over a whole price history at once -> WeightHistory.

Each node is evaluated once for all sessions (memoized by value: identical sub-trees share the work);
each (indicator, series, window) is computed once (an explicit cache); conditions are boolean vectors;
filters rank per row. There is no per-day loop over the tree.

    >>> from rebalancer.market.history import PriceHistory
    >>> from rebalancer.symphony.nodes import Asset, Comparison, If, IndicatorRef, Symphony
    >>> h = PriceHistory.from_columns(["2024-01-02", "2024-01-03", "2024-01-04"],
    ...     {"SPY": [100.0, 101.0, 99.0], "BIL": [50.0, 50.0, 50.01]})
    >>> up = Comparison(">", IndicatorRef("cumulative-return", 1, "SPY"), 0.0)
    >>> tree = Symphony("demo", (), If(up, (Asset("SPY"),), (Asset("BIL"),)))
    >>> wh = evaluate(tree, h)
    >>> wh.row("2024-01-03"), wh.row("2024-01-04")
    ({'SPY': 1.0}, {'BIL': 1.0})
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from rebalancer.errors import StrategyError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony import eval_weighting as weighting
from rebalancer.symphony.eval_groups import nav_from_returns, rank_select, simulated_returns
from rebalancer.symphony.eval_types import (
    Alloc,
    BoolArray,
    ConditionResult,
    FloatArray,
    Item,
    ItemList,
    Selection,
    Volatilities,
    tie_name,
)
from rebalancer.symphony.eval_warmup import required_history
from rebalancer.symphony.indicators import daily_returns, indicator
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
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
    Window,
    indicator_refs,
    walk,
)
from rebalancer.symphony.rsi_batch import rsi_columns
from rebalancer.symphony.weights import WeightHistory

__all__ = ["Evaluator", "evaluate", "required_history"]

_OPS = {
    ">": np.greater,
    "<": np.less,
    ">=": np.greater_equal,
    "<=": np.less_equal,
}


class Evaluator:
    """One evaluation of trees over one history; holds the caches (discard it after use).

    The per-node records (`conditions`, `selections`, `volatilities`) are what explain() reads, so the
    trace shows exactly the vectors that decided the weights.
    """

    def __init__(self, history: PriceHistory) -> None:
        self.history = history
        self.size = len(history)
        self._indicators: dict[tuple[str, Hashable, Window], FloatArray] = {}
        self._returns: dict[str, FloatArray] = {}
        self._allocs: dict[Node, Alloc] = {}
        self._series: dict[Node, tuple[FloatArray, FloatArray]] = {}
        self.conditions: dict[Comparison, ConditionResult] = {}
        self.selections: dict[Filter, Selection] = {}
        self.volatilities: dict[WeightInverseVolatility, Volatilities] = {}

    # -- series and indicators ------------------------------------------------------------------

    def asset_returns(self, symbol: str) -> FloatArray:
        if symbol not in self._returns:
            self._returns[symbol] = daily_returns(self.history.column(symbol))
        return self._returns[symbol]

    def node_series(self, node: Node) -> tuple[FloatArray, FloatArray]:
        """(NAV, simulated daily returns) of a sub-tree."""
        if node not in self._series:
            alloc = self.alloc(node)
            stream = simulated_returns(alloc, self.asset_returns)
            self._series[node] = (nav_from_returns(stream, alloc.defined), stream)
        return self._series[node]

    def metric_of(self, metric: Metric, node: Node) -> FloatArray:
        """The metric of an asset's price series, or of a sub-tree's own simulated history."""
        if isinstance(node, Asset):
            return self.symbol_indicator(metric.name, metric.window, node.symbol)
        key = (metric.name, ("node", node), metric.window)
        if key not in self._indicators:
            nav, stream = self.node_series(node)
            self._indicators[key] = indicator(metric.name, metric.window, nav, stream)
        return self._indicators[key]

    def prefetch_rsi(self, root: Node) -> None:
        """Compute every asset RSI the tree reads in one batched pass (rsi_batch.py); same values."""
        wanted = {
            (ref.symbol, ref.window) for ref in indicator_refs(root) if ref.name == "rsi" and not ref.node
        }
        for node in walk(root):
            if isinstance(node, Filter) and node.metric.name == "rsi":
                assets = (c for c in node.children if isinstance(c, Asset))
                wanted.update((a.symbol, node.metric.window) for a in assets)
        todo = sorted(
            (s, w) for s, w in wanted if isinstance(w, int) and ("rsi", s, w) not in self._indicators
        )
        if not todo:
            return
        prices = np.column_stack([self.history.column(s) for s, _ in todo])
        values = rsi_columns(prices, [w for _, w in todo])
        for column, (symbol, window) in enumerate(todo):
            self._indicators[("rsi", symbol, window)] = values[:, column]

    def symbol_indicator(self, name: str, window: Window, symbol: str) -> FloatArray:
        key = (name, symbol, window)
        if key not in self._indicators:
            prices = self.history.column(symbol)
            self._indicators[key] = indicator(name, window, prices, self.asset_returns(symbol))
        return self._indicators[key]

    def condition(self, comparison: Comparison) -> ConditionResult:
        if comparison not in self.conditions:
            lhs = self._side(comparison.lhs)
            rhs = self._side(comparison.rhs)
            with np.errstate(invalid="ignore"):
                value = _OPS[comparison.op](lhs, rhs)
            defined = ~np.isnan(lhs) & ~np.isnan(rhs)
            self.conditions[comparison] = ConditionResult(lhs, rhs, value, defined)
        return self.conditions[comparison]

    def _side(self, side: IndicatorRef | float) -> FloatArray:
        if isinstance(side, IndicatorRef):
            if side.node is not None:  # a sub-tree's own simulated series, as a filter reads it
                return self.metric_of(side.metric, side.node)
            return self.symbol_indicator(side.name, side.window, side.symbol)
        return np.full(self.size, float(side))

    # -- nodes ----------------------------------------------------------------------------------

    def alloc(self, node: Node) -> Alloc:
        if node not in self._allocs:
            self._allocs[node] = self._evaluate(node)
        return self._allocs[node]

    def _evaluate(self, node: Node) -> Alloc:
        if isinstance(node, Asset):
            defined = ~np.isnan(self.history.column(node.symbol))
            return Alloc({node.symbol: defined.astype(np.float64)}, defined)
        if isinstance(node, If):
            cond = self.condition(node.condition)
            then = weighting.weight_equal(self.expand(node.then))
            otherwise = weighting.weight_equal(self.expand(node.otherwise))
            return weighting.choose(cond.value, cond.defined, then, otherwise)
        if isinstance(node, WeightSpecified):
            return weighting.weight_specified(self.expand(node.children), node.weights)
        if isinstance(node, WeightInverseVolatility):
            record = self.inverse_volatility(node)
            defined = record.items.defined & ~np.isnan(record.coefficients).any(axis=1)
            return weighting.weight_by_coefficients(record.items, record.coefficients, defined)
        if isinstance(node, Group | WeightEqual):
            return weighting.weight_equal(self.expand(node.children))
        return self.filtered(node)

    def expand(self, children: tuple[Node, ...]) -> ItemList:
        """A child list as items, one per listed child. A filter is one child like any other: its picks
        share its weight equally (Composer's rule; docs/strategy-language.md, "Filters")."""
        if not children:
            raise StrategyError("a node has no children", code="empty-children", hint="give it a child")
        items = tuple(
            Item(child, tie_name(child, index), self.alloc(child), None, index)
            for index, child in enumerate(children)
        )
        return ItemList(items, np.ones(self.size, dtype=bool))

    def filtered(self, node: Filter) -> Alloc:
        """A filter's allocation: its selected candidates share equally, on every row."""
        selection = self.selection(node)
        picks = tuple(
            Item(cand.node, cand.name, cand.alloc, selection.selected[:, column], cand.origin)
            for column, cand in enumerate(selection.candidates.items)
        )
        return weighting.weight_equal(ItemList(picks, selection.defined))

    def selection(self, node: Filter) -> Selection:
        if node not in self.selections:
            candidates = self.expand(node.children)
            metrics = np.column_stack([self.metric_of(node.metric, it.node) for it in candidates.items])
            present = np.column_stack([self._present(it) for it in candidates.items])
            names = tuple(it.name for it in candidates.items)
            if node.count < 1:
                raise StrategyError("a filter must select at least 1", code="filter-count", where=_at(node))
            top = node.select == "top"
            selected, ranked = rank_select(metrics, present, names, node.count, top=top)
            defined = candidates.defined & ranked
            self.selections[node] = Selection(candidates, metrics, present, selected, defined)
        return self.selections[node]

    def _present(self, item: Item) -> BoolArray:
        return np.ones(self.size, dtype=bool) if item.member is None else item.member

    def inverse_volatility(self, node: WeightInverseVolatility) -> Volatilities:
        if node not in self.volatilities:
            items = self.expand(node.children)
            stdev = Metric("stdev-return", node.window)
            vols = np.column_stack([self.metric_of(stdev, it.node) for it in items.items])
            coefficients, defined = weighting.inverse_volatility_coefficients(items, vols)
            self.volatilities[node] = Volatilities(ItemList(items.items, defined), vols, coefficients)
        return self.volatilities[node]


def _at(node: Filter) -> str:
    return str(node.loc) if node.loc is not None else ""


def evaluate(symphony: Symphony, history: PriceHistory) -> WeightHistory:
    """Target weights for every session of `history` (DataError naming any symbol it lacks)."""
    return evaluate_with(Evaluator(history.select(symphony.symbols)), symphony)


def evaluate_with(evaluator: Evaluator, symphony: Symphony) -> WeightHistory:
    """Evaluate on a prepared Evaluator (explain() reuses its records)."""
    evaluator.prefetch_rsi(symphony.root)
    alloc = evaluator.alloc(symphony.root)
    symbols = tuple(sorted(symphony.holdings))
    weights = np.zeros((evaluator.size, len(symbols)))
    for column, symbol in enumerate(symbols):
        if symbol in alloc.weights:
            weights[:, column] = alloc.weights[symbol]
    weights[~alloc.defined] = np.nan
    return WeightHistory(evaluator.history.dates, symbols, weights)
