"""Trust checks: no look-ahead, and how much the decisions depend on where the history starts.

Look-ahead: the weights of day t computed on data truncated at t must equal those computed on the full
data (for sampled t). Warm-up: recursive indicators (RSI, EMA) depend on the first price they see;
evaluating with the history starting later shows how far weights and each indicator move.

    >>> report = look_ahead_check(symphony, history, samples=10)   # doctest: +SKIP
    >>> report.passed, report.max_difference                        # doctest: +SKIP
    (True, 0.0)
    >>> warmup_check(symphony, history, offsets=(250, 500)).to_dict()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rebalancer.market.history import FloatMatrix, PriceHistory
from rebalancer.symphony.evaluator import evaluate, required_history
from rebalancer.symphony.indicators import daily_returns, indicator, warmup_sessions
from rebalancer.symphony.nodes import Asset, Filter, Symphony, Window, indicator_refs, walk

# Weights that differ by less than this are equal (float noise of the same arithmetic on fewer rows).
WEIGHT_EPSILON = 1e-9


def _row_difference(a: FloatMatrix, b: FloatMatrix) -> float:
    """Max absolute difference of two rows; undefined on one side only counts as 1."""
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if (nan_a != nan_b).any():
        return 1.0
    both = ~nan_a
    return float(np.max(np.abs(a[both] - b[both]), initial=0.0))


@dataclass(frozen=True)
class LookAheadReport:
    strategy: str
    checked_dates: tuple[str, ...]
    mismatches: tuple[tuple[str, float], ...]
    max_difference: float

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "passed": self.passed,
            "checked": len(self.checked_dates),
            "max_difference": self.max_difference,
            "mismatches": [{"date": d, "difference": x} for d, x in self.mismatches],
        }


def sample_rows(candidates: np.ndarray[Any, Any], samples: int, seed: int) -> list[int]:
    """Evenly spaced rows (always the first and last) plus seeded random ones, sorted, unique."""
    if candidates.size == 0:
        return []
    even = candidates[np.linspace(0, candidates.size - 1, max(2, samples // 2)).astype(int)]
    rng = np.random.default_rng(seed)
    extra = rng.choice(candidates, size=min(candidates.size, samples - len(even)), replace=False)
    return sorted({int(x) for x in np.concatenate([even, extra])})


def look_ahead_check(
    symphony: Symphony, history: PriceHistory, *, samples: int = 12, seed: int = 0
) -> LookAheadReport:
    """Evaluate on history truncated at sampled days t and compare row t with the full evaluation."""
    full = evaluate(symphony, history)
    rows = sample_rows(np.flatnonzero(full.valid), samples, seed)
    mismatches = []
    worst = 0.0
    for t in rows:
        truncated = evaluate(symphony, history.rows(0, t + 1))
        diff = _row_difference(truncated.weights[t], full.weights[t])
        worst = max(worst, diff)
        if diff > WEIGHT_EPSILON:
            mismatches.append((str(history.dates[t]), diff))
    return LookAheadReport(
        symphony.name, tuple(str(history.dates[t]) for t in rows), tuple(mismatches), worst
    )


@dataclass(frozen=True)
class WarmupVariant:
    """The history starting `offset` sessions after the strategy's data begins (at `first_date`)."""

    offset: int
    first_date: str
    max_weight_difference: float
    rows_differing: int
    max_weight_difference_after_warmup: float
    indicators: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "first_date": self.first_date,
            "max_weight_difference": self.max_weight_difference,
            "rows_differing": self.rows_differing,
            "max_weight_difference_after_warmup": self.max_weight_difference_after_warmup,
            "indicators": dict(self.indicators),
        }


@dataclass(frozen=True)
class WarmupReport:
    strategy: str
    required_history: int
    variants: tuple[WarmupVariant, ...]

    @property
    def max_weight_difference(self) -> float:
        return max((v.max_weight_difference for v in self.variants), default=0.0)

    def unstable_indicators(self, tolerance: float = 1e-6) -> dict[str, dict[str, float]]:
        """Indicators whose value depends on the start (difference above `tolerance`), with their
        largest difference over the variants: on any row, and after the indicator's own warm-up."""
        worst: dict[str, dict[str, float]] = {}
        for variant in self.variants:
            for name, diff in variant.indicators.items():
                seen = worst.setdefault(name, {"max": 0.0, "after_warmup": 0.0})
                for key in seen:
                    seen[key] = max(seen[key], diff[key])
        return {k: v for k, v in sorted(worst.items()) if v["max"] > tolerance}

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "required_history": self.required_history,
            "max_weight_difference": self.max_weight_difference,
            "unstable_indicators": self.unstable_indicators(),
            "variants": [v.to_dict() for v in self.variants],
        }


def _asset_indicators(symphony: Symphony) -> set[tuple[str, Window, str]]:
    """(indicator, window, symbol) of every condition on a ticker and of every filter ranking assets."""
    found = {(ref.name, ref.window, ref.symbol) for ref in indicator_refs(symphony.root) if ref.node is None}
    for node in walk(symphony.root):
        if isinstance(node, Filter):
            for child in node.children:
                if isinstance(child, Asset):
                    found.add((node.metric.name, node.metric.window, child.symbol))
    return found


def _indicator_label(name: str, window: Window, symbol: str) -> str:
    return f"{name}({symbol})" if window is None else f"{name}({symbol},{window})"


def _indicator_differences(
    symphony: Symphony, reference: PriceHistory, later: PriceHistory, start: int
) -> dict[str, dict[str, float]]:
    """Per indicator: max difference on every row both define, and after its own warm-up in `later`."""
    out: dict[str, dict[str, float]] = {}
    for name, window, symbol in sorted(_asset_indicators(symphony), key=str):
        full_prices, part_prices = reference.column(symbol), later.column(symbol)
        a = indicator(name, window, full_prices, daily_returns(full_prices))[start:]
        b = indicator(name, window, part_prices, daily_returns(part_prices))
        diff = np.abs(a - b)
        both = ~np.isnan(diff)
        first = later.first_valid_row(symbol)
        warmed = np.arange(len(b)) >= (first or 0) + warmup_sessions(name, window)
        out[_indicator_label(name, window, symbol)] = {
            "max": float(np.max(diff[both], initial=0.0)),
            "after_warmup": float(np.max(diff[both & warmed], initial=0.0)),
        }
    return out


def common_start(history: PriceHistory) -> int:
    """The first row where every symbol has a price (0 when some symbol never has one)."""
    firsts = [history.first_valid_row(symbol) for symbol in history.symbols]
    return max((row for row in firsts if row is not None), default=0)


def warmup_check(
    symphony: Symphony, history: PriceHistory, *, offsets: Sequence[int] = (250, 500, 1000)
) -> WarmupReport:
    """Compare the evaluation on `history` with evaluations whose history starts `offsets` sessions
    after the strategy's data begins (the first session where every symbol it references has a price)."""
    history = history.select(symphony.symbols)
    reference = evaluate(symphony, history)
    need = required_history(symphony)
    base = common_start(history)
    variants = []
    for offset in sorted(o for o in offsets if o > 0 and base + o < len(history) - 1):
        start = base + offset
        later = history.rows(start, len(history))
        weights = evaluate(symphony, later).weights
        ref = reference.weights[start:]
        defined = ~np.isnan(ref).any(axis=1) & ~np.isnan(weights).any(axis=1)
        diffs = np.where(defined, np.nanmax(np.abs(ref - weights), axis=1, initial=0.0), 0.0)
        warmed = np.arange(len(later)) >= need
        variants.append(
            WarmupVariant(
                offset=offset,
                first_date=str(later.dates[0]),
                max_weight_difference=float(diffs.max(initial=0.0)),
                rows_differing=int((diffs > WEIGHT_EPSILON).sum()),
                max_weight_difference_after_warmup=float(diffs[warmed].max(initial=0.0)),
                indicators=_indicator_differences(symphony, history, later, start),
            )
        )
    return WarmupReport(symphony.name, need, tuple(variants))
