"""Weightings over whole histories: blend child allocations by per-row coefficients.

Every function takes child allocations (already evaluated) and returns one allocation; no per-day loop.
A row is defined only where every present child is defined (and, for a branch, the condition and the
branch taken are defined).

    >>> import numpy as np
    >>> from rebalancer.symphony.nodes import Asset
    >>> from rebalancer.symphony.eval_types import Item
    >>> one = np.ones(2, dtype=bool)
    >>> a = Alloc({"A": np.ones(2)}, one)
    >>> b = Alloc({"B": np.ones(2)}, one)
    >>> pair = (Item(Asset("A"), "A", a, None, 0), Item(Asset("B"), "B", b, None, 1))
    >>> items = ItemList(pair, one)
    >>> weight_equal(items).weights["A"].tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rebalancer.symphony.eval_types import Alloc, BoolArray, FloatArray, ItemList

Coefficient = FloatArray | float


def blend(parts: Sequence[tuple[Coefficient, Alloc]], defined: BoolArray) -> Alloc:
    """sum_i coef_i * alloc_i per symbol, zeroed where not `defined`."""
    sums: dict[str, FloatArray] = {}
    for coef, alloc in parts:
        for symbol, weights in alloc.weights.items():
            if symbol in sums:
                sums[symbol] += coef * weights
            else:
                sums[symbol] = np.multiply(coef, weights, dtype=np.float64)  # a new array we own
    for total in sums.values():
        np.multiply(total, defined, out=total)
    return Alloc(sums, defined)


def _members(items: ItemList, size: int) -> list[BoolArray]:
    everywhere = np.ones(size, dtype=bool)
    return [everywhere if it.member is None else it.member for it in items.items]


def _children_defined(items: ItemList, members: Sequence[BoolArray]) -> BoolArray:
    defined = items.defined.copy()
    for item, member in zip(items.items, members, strict=True):
        defined &= ~member | item.alloc.defined
    return defined


def weight_equal(items: ItemList) -> Alloc:
    """Present children share equally; a child listed twice counts twice."""
    size = len(items.defined)
    if len(items.items) == 1 and items.items[0].member is None:
        only = items.items[0].alloc
        if bool(items.defined.all()):
            return only  # a one-child list is that child (the usual if-branch)
    if all(it.member is None for it in items.items):
        share = 1.0 / len(items.items)
        defined = _children_defined(items, _members(items, size))
        return blend([(share, it.alloc) for it in items.items], defined)
    members = _members(items, size)
    count = np.sum(members, axis=0, dtype=np.float64)
    defined = _children_defined(items, members) & (count > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = [(m / count, it.alloc) for m, it in zip(members, items.items, strict=True)]
    return blend(parts, defined)


def weight_specified(items: ItemList, weights: Sequence[float]) -> Alloc:
    """Fixed weights per listed child (a filter is one child: its picks split its weight equally).

    Weights are renormalized per row so rounding in the file's numbers cannot leave a sum off 1.
    """
    size = len(items.defined)
    members = _members(items, size)
    raw = [
        np.where(member, weights[item.origin], 0.0) for member, item in zip(members, items.items, strict=True)
    ]
    total = np.sum(raw, axis=0)
    defined = _children_defined(items, members) & (total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = [(coef / total, it.alloc) for coef, it in zip(raw, items.items, strict=True)]
    return blend(parts, defined)


def inverse_volatility_coefficients(items: ItemList, vols: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Coefficients (T x N) proportional to 1/vol among present items, and where they are defined.

    Where some present item has zero volatility, the zero-volatility items share equally (the limit of
    1/vol as vol -> 0); a NaN volatility of a present item makes the row undefined.
    """
    size = len(items.defined)
    present = np.column_stack(_members(items, size))
    defined = _children_defined(items, list(present.T)) & ~(present & np.isnan(vols)).any(axis=1)
    zero = present & (vols == 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(present, 1.0 / vols, 0.0)
        has_zero = zero.any(axis=1, keepdims=True)
        inverse = np.where(has_zero, zero.astype(np.float64), inverse)
        total = inverse.sum(axis=1, keepdims=True)
        coefficients = inverse / total
    defined &= total[:, 0] > 0
    coefficients = np.where(defined[:, None], coefficients, np.nan)
    return coefficients, defined


def weight_by_coefficients(items: ItemList, coefficients: FloatArray, defined: BoolArray) -> Alloc:
    parts = [(np.nan_to_num(coefficients[:, i]), it.alloc) for i, it in enumerate(items.items)]
    return blend(parts, defined)


def choose(condition: BoolArray, condition_defined: BoolArray, then: Alloc, otherwise: Alloc) -> Alloc:
    """The then-allocation where the condition holds, else the other; defined where the branch taken is."""
    take_then = condition_defined & condition
    take_else = condition_defined & ~condition
    defined = (take_then & then.defined) | (take_else & otherwise.defined)
    # Both allocations are zero where undefined, so masking by the branch taken is enough.
    weights: dict[str, FloatArray] = {}
    for symbol in set(then.weights) | set(otherwise.weights):
        if symbol not in otherwise.weights:
            weights[symbol] = then.weights[symbol] * take_then
        elif symbol not in then.weights:
            weights[symbol] = otherwise.weights[symbol] * take_else
        else:
            weights[symbol] = then.weights[symbol] * take_then + otherwise.weights[symbol] * take_else
    return Alloc(weights, defined)
