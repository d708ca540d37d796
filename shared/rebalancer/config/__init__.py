"""Configuration: pydantic-settings models (models.py), loading with precedence env > file > defaults
(loader.py), cross-field checks (checks.py) and strategy files (strategy_files.py).

>>> from rebalancer.config import load_config
>>> config = load_config("config/paper.yaml")                      # doctest: +SKIP
>>> config.risk.to_limits(), config.execution.to_plan_options()    # doctest: +SKIP
"""

from rebalancer.config.loader import LoadedConfig, check_config, load_config, load_config_with_sources
from rebalancer.config.models import RebalancerConfig
from rebalancer.config.problems import ConfigProblem, ConfigProblems
from rebalancer.config.strategy_files import load_strategies

__all__ = [
    "ConfigProblem",
    "ConfigProblems",
    "LoadedConfig",
    "RebalancerConfig",
    "check_config",
    "load_config",
    "load_config_with_sources",
    "load_strategies",
]
