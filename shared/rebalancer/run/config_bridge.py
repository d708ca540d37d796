"""RebalancerConfig (config/*.yaml + env) -> RunSettings.

>>> from rebalancer.config.loader import load_config_with_sources
>>> settings = settings_from_config(load_config_with_sources("config/paper.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from rebalancer.config.loader import LoadedConfig
from rebalancer.config.models import RebalancerConfig
from rebalancer.config.strategy_files import strategy_specs
from rebalancer.run.settings import ExecutionSettings, RunSettings, ScheduleSettings, lease_for


def settings_from_config(
    config: RebalancerConfig | LoadedConfig,
    *,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> RunSettings:
    """The run's settings; strategy sources resolve against `base_dir` (the config file's folder)."""
    if isinstance(config, LoadedConfig):
        base_dir = base_dir or config.base_dir
        config = config.config
    strategies = tuple(strategy_specs(config, base_dir=base_dir, env=env))
    execution = config.execution
    return RunSettings(
        env=config.env,
        strategies=strategies,
        schedule=ScheduleSettings(
            slot=execution.slot,
            max_delay=dt.timedelta(minutes=execution.max_delay_minutes),
            lease_ttl=lease_for(execution.fill_timeout_seconds),
        ),
        execution=ExecutionSettings(
            fill_timeout_s=execution.fill_timeout_seconds,
            cash_buffer=execution.cash_buffer,
            min_order_notional=execution.min_order_notional,
            max_price_ratio=execution.max_price_ratio,
            target_tolerance=execution.target_tolerance,
            price_collar=execution.price_collar,
        ),
        risk_limits=config.risk.to_limits(),
        neutral_report=config.notifications.neutral,
        lookback_sessions=config.data.lookback_sessions,
        config_doc=config.model_dump(mode="json"),
    )
