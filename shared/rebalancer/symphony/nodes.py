"""The typed symphony tree: what the reader builds, the printer prints and the evaluator interprets.

Nodes are frozen dataclasses. Source locations are kept for error messages but excluded from
equality, so a tree read from its printed form compares equal to the original.

    >>> spy = Asset("SPY")
    >>> rsi = IndicatorRef("rsi", 10, "SPY")
    >>> tree = If(Comparison(">", rsi, 79.0), (Asset("UVXY"),), (spy,))
    >>> sorted(tree_symbols(tree))
    ['SPY', 'UVXY']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Union

# Indicator name -> its window parameters, in order. current-price has none; an indicator with one
# parameter has an int window, one with several a tuple of ints in this order.
INDICATOR_PARAMS: dict[str, tuple[str, ...]] = {
    "current-price": (),
    "moving-average-price": ("window",),
    "exponential-moving-average-price": ("window",),
    "rsi": ("window",),
    "cumulative-return": ("window",),
    "moving-average-return": ("window",),
    "stdev-return": ("window",),
    "stdev-price": ("window",),
    "max-drawdown": ("window",),
    "percentage-price-oscillator": ("short-window", "long-window"),
    "percentage-price-oscillator-signal": ("short-window", "long-window", "smooth-window"),
    "moving-average-convergence-divergence": ("short-window", "long-window"),
    "moving-average-convergence-divergence-signal": ("short-window", "long-window", "smooth-window"),
    "lower-bollinger": ("window",),
    "upper-bollinger": ("window",),
}
# Indicator name -> whether it takes a window (any parameter).
INDICATORS: dict[str, bool] = {name: bool(params) for name, params in INDICATOR_PARAMS.items()}
# Other spellings of the same indicators (Composer's API schema names), read as the canonical name.
INDICATOR_ALIASES: dict[str, str] = {
    "relative-strength-index": "rsi",
    "standard-deviation-return": "stdev-return",
    "standard-deviation-price": "stdev-price",
}

# A window: None (current-price), one positive int, or a tuple of ints (INDICATOR_PARAMS order).
Window = int | tuple[int, ...] | None

ComparisonOp = Literal[">", "<", ">=", "<=", "="]
COMPARISON_OPS: tuple[str, ...] = (">", "<", ">=", "<=", "=")


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Metric:
    """An indicator without a subject: a filter's ranking metric, e.g. (rsi {:window 10})."""

    name: str
    window: Window = None


@dataclass(frozen=True)
class IndicatorRef:
    """An indicator applied to one ticker, e.g. (rsi "SPY" {:window 10}), or to a sub-tree (`node`,
    then `symbol` is ""): (rsi (group "G" [...]) {:window 10}) reads the sub-tree's own simulated series."""

    name: str
    window: Window
    symbol: str
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)
    node: Node | None = None

    @property
    def metric(self) -> Metric:
        return Metric(self.name, self.window)


@dataclass(frozen=True)
class Comparison:
    """lhs op rhs, where rhs is a number or another indicator."""

    op: ComparisonOp
    lhs: IndicatorRef
    rhs: IndicatorRef | float
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Asset:
    symbol: str
    display_name: str | None = field(default=None, compare=False)
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Group:
    """A named sub-tree. Its children are weighted equally (usually there is one child)."""

    name: str
    children: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WeightEqual:
    """Children share equally; a child listed twice counts twice."""

    children: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WeightSpecified:
    """Fixed weights, normalized to fractions summing to 1 by the reader."""

    weights: tuple[float, ...]
    children: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WeightInverseVolatility:
    """Weights proportional to 1 / stdev-return(window) of each child's return stream."""

    window: int
    children: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class If:
    """Then- and else-branches; a branch with several nodes weights them equally."""

    condition: Comparison
    then: tuple[Node, ...]
    otherwise: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Filter:
    """Rank children by `metric`, keep the top or bottom k (ties broken by name), equal weight."""

    metric: Metric
    select: Literal["top", "bottom"]
    count: int
    children: tuple[Node, ...]
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


Node = Union[Asset, Group, WeightEqual, WeightSpecified, WeightInverseVolatility, If, Filter]  # noqa: UP007


@dataclass(frozen=True)
class Symphony:
    """A whole strategy file: its name, settings (unknown keys kept), and root node."""

    name: str
    settings: tuple[tuple[str, str], ...]
    root: Node
    parameters: tuple[tuple[str, float], ...] = ()
    source: str = field(default="", compare=False)

    @property
    def symbols(self) -> frozenset[str]:
        """Every ticker the tree references: holdings and signals, derived from the tree."""
        return tree_symbols(self.root)

    @property
    def holdings(self) -> frozenset[str]:
        return frozenset(node.symbol for node in walk(self.root) if isinstance(node, Asset))

    @property
    def signals(self) -> frozenset[str]:
        return signal_symbols(self.root)


def children_of(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Asset):
        return ()
    if isinstance(node, If):
        return node.then + node.otherwise
    return node.children


def walk(node: Node) -> Iterator[Node]:
    """Depth-first, pre-order."""
    yield node
    for child in children_of(node):
        yield from walk(child)


def indicator_refs(node: Node) -> Iterator[IndicatorRef]:
    """Every indicator the tree's conditions read, including those inside sub-tree subjects."""
    for n in walk(node):
        if isinstance(n, If):
            sides = (n.condition.lhs, n.condition.rhs)
            for side in sides:
                if isinstance(side, IndicatorRef):
                    yield side
                    if side.node is not None:
                        yield from indicator_refs(side.node)


def signal_symbols(node: Node) -> frozenset[str]:
    """Tickers the conditions read: indicator tickers, and every asset of a sub-tree subject."""
    out: set[str] = set()
    for ref in indicator_refs(node):
        if ref.node is None:
            out.add(ref.symbol)
        else:
            out.update(n.symbol for n in walk(ref.node) if isinstance(n, Asset))
    return frozenset(out)


def tree_symbols(node: Node) -> frozenset[str]:
    held = {n.symbol for n in walk(node) if isinstance(n, Asset)}
    return frozenset(held | signal_symbols(node))
