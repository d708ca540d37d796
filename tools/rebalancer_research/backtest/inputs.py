"""What a backtest reads: strategy files with their allocations, and market data (CSV or synthetic).

>>> strategies = load_strategies(strategy_specs(["tecl", "klm"], ["tecl=0.6", "klm=0.4"]))
>>> [(s.name, s.allocation) for s in strategies]
[('tecl', 0.6), ('klm', 0.4)]
>>> history = load_market(needed_symbols(strategies, "SPY"), None)   # the synthetic market
>>> "SPY" in history.symbols
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rebalancer.errors import ConfigError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony.library import BUILTIN_ALLOCATIONS, resolve_strategy, strategy_name
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony
from rebalancer.symphony.weights import WEIGHT_TOLERANCE

ALPACA = "alpaca"  # --data alpaca: Alpaca's market data API, cached on disk


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of the portfolio: its name (the file's stem), file and allocation."""

    name: str
    path: Path
    allocation: float


@dataclass(frozen=True)
class LoadedStrategy:
    name: str
    symphony: Symphony
    allocation: float
    path: Path | None = None


def parse_allocations(items: Iterable[str]) -> dict[str, float]:
    """`NAME=WEIGHT` items (fractions or percentages) -> {name: fraction}."""
    parsed: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        try:
            value = float(raw) if sep else math.nan
        except ValueError:
            value = math.nan
        if not name or not math.isfinite(value) or value < 0:
            raise ConfigError(
                f"bad allocation {item!r}", code="bad-allocation", hint="write NAME=WEIGHT, e.g. tecl=0.5"
            )
        parsed[name.strip()] = value
    total = sum(parsed.values())
    if parsed and abs(total - 100.0) < 1e-6:
        parsed = {k: v / 100.0 for k, v in parsed.items()}
    return parsed


def strategy_specs(strategies: Sequence[str], allocation_items: Iterable[str]) -> list[StrategySpec]:
    """Resolve names/paths and attach allocations (default: the built-ins at their usual split)."""
    allocations = parse_allocations(allocation_items)
    chosen = list(strategies) or list(allocations) or list(BUILTIN_ALLOCATIONS)
    paths = {strategy_name(resolve_strategy(item)): resolve_strategy(item) for item in chosen}
    if not allocations:
        if not strategies:
            allocations = dict(BUILTIN_ALLOCATIONS)
        else:
            allocations = {name: 1.0 / len(paths) for name in paths}
    unknown = sorted(set(allocations) - set(paths))
    missing = sorted(set(paths) - set(allocations))
    if unknown or missing:
        raise ConfigError(
            f"allocations do not match strategies (no strategy: {unknown}, no allocation: {missing})",
            code="allocation-mismatch",
            hint="give one --allocation NAME=WEIGHT per --strategy (NAME is the file's stem)",
            where="--allocation",
        )
    total = sum(allocations.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ConfigError(
            f"allocations sum to {total:g}, not 1",
            code="allocation-sum",
            hint="make the --allocation weights sum to 1 (or to 100)",
            where="--allocation",
        )
    return [StrategySpec(name, path, allocations[name]) for name, path in paths.items()]


def load_strategies(
    specs: Sequence[StrategySpec], parameters: Mapping[str, float] | None = None
) -> list[LoadedStrategy]:
    """Read each file; `parameters` go to every strategy that declares them (others keep defaults)."""
    loaded = []
    for spec in specs:
        symphony = load_symphony(spec.path)
        if parameters:
            declared = {name for name, _ in symphony.parameters}
            own = {k: v for k, v in parameters.items() if k in declared}
            if own:
                symphony = load_symphony(spec.path, parameters=own)
        loaded.append(LoadedStrategy(spec.name, symphony, spec.allocation, spec.path))
    return loaded


def needed_symbols(strategies: Iterable[LoadedStrategy], benchmark: str | None) -> set[str]:
    """Every symbol the trees reference (derived from the trees), plus the benchmark."""
    symbols: set[str] = set()
    for item in strategies:
        symbols |= item.symphony.symbols
    if benchmark:
        symbols.add(benchmark)
    return symbols


def load_market(
    symbols: Collection[str], data_dir: str | Path | None, *, end: dt.date | None = None
) -> PriceHistory:
    """CSV files from `data_dir` (SYMBOL.csv); `alpaca`: Alpaca's market data through the disk cache
    (market/alpaca_cache.py; bars up to `end`, default yesterday); None: the synthetic market."""
    if str(data_dir) == ALPACA:
        from rebalancer_research.market.alpaca_cache import load_alpaca

        last = end or dt.date.today() - dt.timedelta(days=1)  # the CLI's clock: the last closed session
        return load_alpaca(symbols, start=None, end=last)
    if data_dir is None:
        from rebalancer_research.market.synthetic import synthetic_market

        return synthetic_market(sorted(symbols))
    from rebalancer_research.market.csv_source import load_csv_dir

    return load_csv_dir(data_dir, sorted(symbols))
