"""The config's strategies as symphonies (file I/O at the edge): resolve, parse, check warm-up.

>>> symphonies = load_strategies(config, base_dir=Path("config"))     # doctest: +SKIP
>>> sorted(symphonies)
['klm', 'nuclear', 'tecl']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rebalancer.config.models import RebalancerConfig
from rebalancer.config.problems import ConfigProblem, ConfigProblems
from rebalancer.errors import StrategyError
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.library import BUILTIN_NAMES, resolve_strategy
from rebalancer.symphony.nodes import Symphony
from rebalancer.symphony.reader import load_symphony


def resolve_strategy_path(source: str, *, base_dir: Path | None, env: Mapping[str, str] | None) -> Path:
    """A built-in name -> its bundled file; a relative path -> relative to `base_dir` (the config file's
    folder) when given; StrategyError when neither exists."""
    if source not in BUILTIN_NAMES and base_dir is not None and not Path(source).is_absolute():
        source = str(base_dir / source)
    return resolve_strategy(source, env)


def read_strategies(
    config: RebalancerConfig, *, base_dir: Path | None, env: Mapping[str, str] | None
) -> tuple[dict[str, Symphony], list[ConfigProblem]]:
    """Every strategy parsed, plus every problem (unreadable file, history longer than the lookback)."""
    symphonies: dict[str, Symphony] = {}
    problems: list[ConfigProblem] = []
    for name, strategy in config.strategies.items():
        try:
            path = resolve_strategy_path(config.strategy_source(name), base_dir=base_dir, env=env)
            symphony = load_symphony(path, parameters=strategy.parameters or None)
        except StrategyError as err:
            problems.append(ConfigProblem(f"strategies.{name}.source", str(err), err.code))
            continue
        symphonies[name] = symphony
        need = required_history(symphony)
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
        raise ConfigProblems(problems, source="strategies")
    return symphonies
