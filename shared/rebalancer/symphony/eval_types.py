"""Value types the vectorized evaluator passes around, all over the whole history at once.

An `Alloc` is a node's allocation on every session: one weight vector per held symbol plus a `defined`
mask (weights are zeroed on undefined rows so they can be blended by plain arithmetic). An `Item` is one
entry of a child list; a filter's candidates are items that are members only on the rows where the
filter selects them (inside the filter: to its parent, a filter is one child like any other).

    >>> import numpy as np
    >>> a = Alloc({"SPY": np.ones(2)}, np.array([True, True]))
    >>> a.symbols
    ('SPY',)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rebalancer.symphony.nodes import (
    Asset,
    Filter,
    Group,
    If,
    Node,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Alloc:
    """Weights per symbol (T,), zero on undefined rows; `defined` marks rows that are usable."""

    weights: dict[str, FloatArray]
    defined: BoolArray

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(self.weights))


@dataclass(frozen=True, eq=False)
class Item:
    """One entry of a child list. `member` None means always present (a filter's candidates are
    members only on the rows it selects them); `origin` is the child's index in its list."""

    node: Node
    name: str
    alloc: Alloc
    member: BoolArray | None
    origin: int


@dataclass(frozen=True, eq=False)
class ItemList:
    """A child list; `defined` is False where the list cannot be weighted (a filter could not rank)."""

    items: tuple[Item, ...]
    defined: BoolArray


@dataclass(frozen=True, eq=False)
class ConditionResult:
    """A comparison on every session: both sides, the outcome, and where both sides are defined."""

    lhs: FloatArray
    rhs: FloatArray
    value: BoolArray
    defined: BoolArray


@dataclass(frozen=True, eq=False)
class Selection:
    """A filter on every session: candidate names and metrics (T x C), which were present and selected,
    (eval_groups.row_order gives one row's ranking)."""

    candidates: ItemList
    metrics: FloatArray
    present: BoolArray
    selected: BoolArray
    defined: BoolArray

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.candidates.items)


@dataclass(frozen=True, eq=False)
class Volatilities:
    """A weight-inverse-volatility node: each item's volatility (T x N) and resulting coefficients."""

    items: ItemList
    vols: FloatArray
    coefficients: FloatArray


KIND_NAMES: dict[type, str] = {
    Asset: "asset",
    Group: "group",
    WeightEqual: "weight-equal",
    WeightSpecified: "weight-specified",
    WeightInverseVolatility: "weight-inverse-volatility",
    If: "if",
    Filter: "filter",
}


def kind_of(node: Node) -> str:
    return KIND_NAMES[type(node)]


def tie_name(node: Node, index: int) -> str:
    """The name a filter breaks ties by: an asset's ticker, a group's name, else `kind[index]`.

    The index is the child's position in its list, so the name does not depend on where the filter sits.
    """
    if isinstance(node, Asset):
        return node.symbol
    if isinstance(node, Group):
        return node.name
    return f"{kind_of(node)}[{index}]"
