"""Cross-field checks: pure functions of a validated config, each problem with its field path.

>>> [p.code for p in cross_field_problems(RebalancerConfig(env="live"))]
['live-not-confirmed']
"""

from __future__ import annotations

from rebalancer.config.models import RebalancerConfig
from rebalancer.config.problems import ConfigProblem
from rebalancer.errors import ConfigError
from rebalancer.strategies import normalize_allocations


def cross_field_problems(config: RebalancerConfig) -> list[ConfigProblem]:
    """Every cross-field problem (allocations, live confirmation, broker mode, limits vs execution)."""
    problems: list[ConfigProblem] = []
    if not config.strategies:
        problems.append(ConfigProblem("strategies", "at least one strategy is needed", "no-strategies"))
    else:
        try:
            normalize_allocations(config.allocations, list(config.strategies), where="strategies")
        except ConfigError as err:
            problems.append(ConfigProblem(err.where, err.message, err.code))
    if config.broker.mode is not None and config.broker.mode != config.env:
        problems.append(
            ConfigProblem(
                "broker.mode",
                f"broker mode {config.broker.mode} does not match env {config.env}",
                "broker-env-mismatch",
            )
        )
    if config.is_live and not config.live_trading_confirmed:
        problems.append(
            ConfigProblem(
                "live_trading_confirmed",
                "live trading is not confirmed: set live_trading_confirmed: true"
                " (or LIVE_TRADING_CONFIRMED=yes) once you accept that this config places real orders",
                "live-not-confirmed",
            )
        )
    if config.risk.max_order_notional < config.execution.min_order_notional:
        problems.append(
            ConfigProblem(
                "risk.max_order_notional",
                f"{config.risk.max_order_notional} is below execution.min_order_notional"
                f" {config.execution.min_order_notional}: every order would be denied",
                "limits-inconsistent",
            )
        )
    return problems
