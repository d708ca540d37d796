"""The config's strategies as symphonies (file I/O at the edge): resolve, parse, check warm-up.

Allocations and parsing follow rebalancer.strategies, the rules every command shares.

>>> symphonies = load_strategies(config, base_dir=Path("config"))     # doctest: +SKIP
>>> sorted(symphonies)
['klm', 'nuclear', 'tecl']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rebalancer import strategies as rules
from rebalancer.config.models import RebalancerConfig
from rebalancer.config.problems import ConfigProblem, ConfigProblems
from rebalancer.errors import StrategyError
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.library import BUILTIN_NAMES, resolve_strategy
from rebalancer.symphony.nodes import Symphony

WHERE = "strategies"


def resolve_strategy_path(source: str, *, base_dir: Path | None, env: Mapping[str, str] | None) -> Path:
    """A built-in name -> its bundled file; a relative path -> relative to `base_dir` (the config file's
    folder) when given; StrategyError when neither exists."""
    if source not in BUILTIN_NAMES and base_dir is not None and not Path(source).is_absolute():
        source = str(base_dir / source)
    return resolve_strategy(source, env)


def allocation_shares(config: RebalancerConfig) -> dict[str, float]:
    """name -> fraction of the portfolio (fractions or percentages, checked as for every command)."""
    return rules.normalize_allocations(config.allocations, list(config.strategies), where=WHERE)


def strategy_specs(
    config: RebalancerConfig, *, base_dir: Path | None, env: Mapping[str, str] | None
) -> list[rules.StrategySpec]:
    """The config's strategies as specs: files resolved, allocations as fractions."""
    shares = allocation_shares(config)
    return [
        rules.StrategySpec(
            name,
            resolve_strategy_path(config.strategy_source(name), base_dir=base_dir, env=env),
            shares[name],
            dict(strategy.parameters),
            strategy.rebalance,
        )
        for name, strategy in config.strategies.items()
    ]


def read_strategies(
    config: RebalancerConfig, *, base_dir: Path | None, env: Mapping[str, str] | None
) -> tuple[dict[str, Symphony], list[ConfigProblem]]:
    """Every strategy parsed, plus every problem (unreadable file, history longer than the lookback)."""
    symphonies: dict[str, Symphony] = {}
    problems: list[ConfigProblem] = []
    for name, strategy in config.strategies.items():
        try:
            path = resolve_strategy_path(config.strategy_source(name), base_dir=base_dir, env=env)
            spec = rules.StrategySpec(
                name, path, strategy.allocation, dict(strategy.parameters), strategy.rebalance
            )
            [loaded] = rules.load_strategies([spec])
        except StrategyError as err:
            problems.append(ConfigProblem(f"strategies.{name}.source", str(err), err.code))
            continue
        symphonies[name] = loaded.symphony
        need = required_history(loaded.symphony)
        if need > config.data.lookback_sessions:
            problems.append(
                ConfigProblem(
                    "data.lookback_sessions",
                    f"strategy {name} needs {need} sessions, more than {config.data.lookback_sessions}",
                    "lookback-too-short",
                )
            )
    return symphonies, problems


def load_strategies(
    config: RebalancerConfig, *, base_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Symphony]:
    """Strategy name -> Symphony; ConfigProblems listing every strategy that cannot be used."""
    symphonies, problems = read_strategies(config, base_dir=base_dir, env=env)
    if problems:
        raise ConfigProblems(problems, source=WHERE)
    return symphonies
