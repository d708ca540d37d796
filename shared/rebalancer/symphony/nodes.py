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

# Indicator name -> whether it takes a window. current-price has none.
INDICATORS: dict[str, bool] = {
    "current-price": False,
    "moving-average-price": True,
    "exponential-moving-average-price": True,
    "rsi": True,
    "cumulative-return": True,
    "moving-average-return": True,
    "stdev-return": True,
    "stdev-price": True,
    "max-drawdown": True,
}

ComparisonOp = Literal[">", "<", ">=", "<="]
COMPARISON_OPS: tuple[str, ...] = (">", "<", ">=", "<=")


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
    window: int | None = None


@dataclass(frozen=True)
class IndicatorRef:
    """An indicator applied to one ticker, e.g. (rsi "SPY" {:window 10})."""

    name: str
    window: int | None
    symbol: str
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)

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
        return frozenset(ref.symbol for ref in indicator_refs(self.root))


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
    for n in walk(node):
        if isinstance(n, If):
            yield n.condition.lhs
            if isinstance(n.condition.rhs, IndicatorRef):
                yield n.condition.rhs


def tree_symbols(node: Node) -> frozenset[str]:
    held = {n.symbol for n in walk(node) if isinstance(n, Asset)}
    return frozenset(held | {ref.symbol for ref in indicator_refs(node)})
