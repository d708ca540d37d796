"""Cross-field checks: pure functions of a validated config, each problem with its field path.

>>> [p.code for p in cross_field_problems(RebalancerConfig(env="live"))]
['live-not-confirmed']
"""

from __future__ import annotations

from urllib.parse import urlsplit

from rebalancer.config.models import RebalancerConfig
from rebalancer.config.problems import ConfigProblem
from rebalancer.errors import ConfigError
from rebalancer.strategies import normalize_allocations

# Alpaca's own API hosts (alpaca-py's BaseURL): the keys go to these and nowhere else unless overridden.
ALPACA_HOSTS = {
    ("base_url", "live"): "api.alpaca.markets",
    ("base_url", "paper"): "paper-api.alpaca.markets",
    ("data_base_url", "live"): "data.alpaca.markets",
    ("data_base_url", "paper"): "data.alpaca.markets",
}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


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
    problems.extend(_endpoint_problems(config))
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


def _endpoint_problems(config: RebalancerConfig) -> list[ConfigProblem]:
    """The keys travel with every request: https always (plain http only to this machine, for the local
    emulator, and never live); a live config only to Alpaca's host for its mode, unless
    broker.unsafe_allow_non_alpaca_hosts says otherwise."""
    problems = []
    mode = config.broker_mode
    for field in ("base_url", "data_base_url"):
        url = getattr(config.broker, field)
        if url is None:
            continue
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        expected = ALPACA_HOSTS[(field, mode)]
        if parts.scheme != "https" and (config.is_live or host not in LOOPBACK_HOSTS):
            reason = "must use https" + ("" if config.is_live else " (http only to 127.0.0.1/localhost)")
        elif config.is_live and host != expected and not config.broker.unsafe_allow_non_alpaca_hosts:
            reason = (
                f"must be https://{expected} for a {mode} config"
                " (or set broker.unsafe_allow_non_alpaca_hosts: true to send the keys elsewhere)"
            )
        else:
            continue
        problems.append(ConfigProblem(f"broker.{field}", f"{url!r} {reason}", "broker-url-unsafe"))
    return problems
