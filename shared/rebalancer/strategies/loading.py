"""Strategy specs (from flags or a config) and strategies read from their files.

>>> specs = specs_from_arguments(["tecl", "klm"], ["tecl=0.6", "klm=0.4"])
>>> [(s.name, s.allocation) for s in specs]
[('tecl', 0.6), ('klm', 0.4)]
>>> sorted(needed_symbols(load_strategies(specs[:1]), "SPY"))
['BIL', 'BSV', 'KMLM', 'SPXL', 'SPY', 'SQQQ', 'TECL', 'TQQQ', 'UVXY', 'XLK']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebalancer.errors import ConfigError, StrategyError
from rebalancer.strategies.allocations import FLAG, normalize_allocations, parse_allocation_items
from rebalancer.strategies.schedule import Schedule, parse_schedule, schedule_from_settings
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.library import BUILTIN_ALLOCATIONS, resolve_strategy, strategy_name
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import read_symphony


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of the portfolio: its name (a config key or the file's stem), file and share."""

    name: str
    path: Path
    allocation: float
    parameters: Mapping[str, float] = field(default_factory=dict)
    rebalance: str | None = None  # overrides the file's rebalance settings (strategies/schedule.py)


@dataclass(frozen=True)
class LoadedStrategy:
    """A strategy read from its file; the source text is kept so a record can replay it."""

    name: str
    allocation: float
    source: str
    filename: str
    parameters: Mapping[str, float]
    symphony: Symphony
    schedule: Schedule = field(default_factory=Schedule)  # when it rebalances (docs/rebalancing.md)
    rebalance: str | None = None  # the config's override of the file's schedule, if any

    @property
    def path(self) -> Path:
        return Path(self.filename)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "allocation": self.allocation,
            "filename": self.filename,
            "parameters": dict(self.parameters),
            "rebalance": self.rebalance,
            "source": self.source,
        }


def specs_from_arguments(strategies: Sequence[str], allocation_items: Iterable[str]) -> list[StrategySpec]:
    """`--strategy` and `--allocation` flags -> specs.

    No --strategy: the strategies the allocations name, else the three built-ins at their usual split.
    No --allocation: the built-in split for the default strategies, else equal shares.
    """
    written = parse_allocation_items(allocation_items)
    chosen = list(strategies) or list(written) or list(BUILTIN_ALLOCATIONS)
    paths: dict[str, Path] = {}
    for item in chosen:
        path = resolve_strategy(item)
        name = strategy_name(path)
        if name in paths:
            raise ConfigError(
                f"two strategies are named {name!r}",
                code="strategy-duplicate",
                hint="strategies are named by their file's stem; rename one file",
                where="--strategy",
            )
        paths[name] = path
    names = list(paths)
    if not written:
        default = not strategies and not allocation_items
        written = dict(BUILTIN_ALLOCATIONS) if default else dict.fromkeys(names, 1.0 / len(names))
    shares = normalize_allocations(written, names, where=FLAG)
    return [StrategySpec(name, paths[name], shares[name]) for name in names]


def read_strategy(  # noqa: PLR0917 (a strategy's fields, as the config and the record hold them)
    name: str,
    allocation: float,
    source: str,
    filename: str,
    parameters: Mapping[str, float],
    rebalance: str | None = None,
) -> LoadedStrategy:
    """Parse the file; its schedule is the config's `rebalance` override, else the file's settings."""
    symphony = read_symphony(source, filename=filename, parameters=dict(parameters) or None)
    schedule = (
        schedule_from_settings(symphony.settings, filename)
        if rebalance is None
        else parse_schedule(rebalance, f"strategies.{name}.rebalance")
    )
    return LoadedStrategy(name, allocation, source, filename, dict(parameters), symphony, schedule, rebalance)


def load_strategies(
    specs: Sequence[StrategySpec], overrides: Mapping[str, float] | None = None
) -> list[LoadedStrategy]:
    """Read every file; StrategyError naming file:line:col on the first bad one.

    `overrides` (walk-forward grid points) go to every strategy that declares them; the others keep
    their own parameters.
    """
    loaded = []
    for spec in specs:
        try:
            source = spec.path.read_text(encoding="utf-8")
        except OSError as err:
            raise StrategyError(
                f"cannot read strategy {spec.name}: {err}",
                code="strategy-unreadable",
                hint="check the strategy's path",
                where=str(spec.path),
            ) from err
        strategy = read_strategy(
            spec.name, spec.allocation, source, str(spec.path), spec.parameters, spec.rebalance
        )
        declared = {name for name, _ in strategy.symphony.parameters}
        own = {k: v for k, v in (overrides or {}).items() if k in declared}
        if own:
            strategy = read_strategy(
                spec.name, spec.allocation, source, str(spec.path), {**spec.parameters, **own}, spec.rebalance
            )
        loaded.append(strategy)
    return loaded


def strategies_from_record(items: Sequence[Mapping[str, Any]]) -> list[LoadedStrategy]:
    """The strategies a run recorded (their sources as they were), for replay."""
    return [
        read_strategy(
            str(i["name"]),
            float(i["allocation"]),
            str(i["source"]),
            str(i["filename"]),
            i["parameters"],
            i.get("rebalance"),
        )
        for i in items
    ]


def needed_symbols(strategies: Iterable[LoadedStrategy], *extra: str | None) -> set[str]:
    """Every symbol the trees reference (derived from the trees), plus `extra` (e.g. a benchmark)."""
    symbols = {s for s in extra if s}
    for item in strategies:
        symbols |= item.symphony.symbols
    return symbols


def lookback_sessions(strategies: Sequence[LoadedStrategy]) -> int:
    return max((required_history(s.symphony) for s in strategies), default=1)
