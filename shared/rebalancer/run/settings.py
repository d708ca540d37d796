"""RunSettings: the part of the configuration a run uses, in the run's own terms.

`settings_from_config` maps the project's RebalancerConfig onto it; tests build RunSettings directly.

    >>> from pathlib import Path
    >>> s = RunSettings(env="paper", strategies=(StrategySpec("tecl", Path("strategies/tecl.clj"), 1.0),))
    >>> s.schedule.slot, s.execution.fill_timeout_s
    ('open', 120.0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rebalancer.errors import ConfigError
from rebalancer.portfolio.risk_limits import RiskLimits
from rebalancer.strategies import StrategySpec, normalize_allocations

NEW_YORK = ZoneInfo("America/New_York")

# A run's time besides its two fill waits (reads, planning, submits, records), with room to spare.
RUN_OVERHEAD = dt.timedelta(seconds=110)
LEASE_MARGIN = dt.timedelta(seconds=60)


def lease_for(fill_timeout_s: float) -> dt.timedelta:
    """A lease that outlives the longest run: sells wait, buys wait, and everything else.

    Shorter would let a slow run lose its lease mid-run; much longer would delay the resume of a
    crashed run past its window.
    """
    return dt.timedelta(seconds=2 * fill_timeout_s) + RUN_OVERHEAD + LEASE_MARGIN


@dataclass(frozen=True)
class ScheduleSettings:
    """When the run is due (New York wall time) and how late it may still trade."""

    slot: str = "open"
    run_at: dt.time = dt.time(9, 35)
    max_delay: dt.timedelta = dt.timedelta(minutes=30)
    lease_ttl: dt.timedelta = dt.timedelta(minutes=20)

    def scheduled_at(self, session_date: dt.date) -> dt.datetime:
        return dt.datetime.combine(session_date, self.run_at, tzinfo=NEW_YORK)


@dataclass(frozen=True)
class ExecutionSettings:
    fill_timeout_s: float = 120.0
    poll_initial_s: float = 0.25
    poll_max_s: float = 5.0
    max_parallel: int = 32  # legs in flight at once: one round trip for a batch (rate limiter bounds it)
    submit_retries: int = 2  # re-posts (same client_order_id) after the broker confirmed no such order
    settle_s: float = 5.0  # wait before looking up an order whose submission got no clear answer
    cash_buffer: Decimal = Decimal("0.02")
    min_order_notional: Decimal = Decimal("1")
    # A price that sizes an order must be within this factor of the live price (run/prices.py says why 3).
    max_price_ratio: Decimal = Decimal(3)
    # A run is `completed` only with every symbol within this fraction of equity of its target value
    # (or one whole share, or min_order_notional, whichever is larger): run/on_target.py.
    target_tolerance: Decimal = Decimal("0.01")
    # Orders as marketable limit orders this fraction beyond the live price (run/collars.py); None: market.
    price_collar: Decimal | None = None


@dataclass(frozen=True)
class RunSettings:
    env: str
    strategies: tuple[StrategySpec, ...]
    schedule: ScheduleSettings = ScheduleSettings()
    execution: ExecutionSettings = ExecutionSettings()
    risk_limits: RiskLimits = field(default_factory=RiskLimits)
    universe: frozenset[str] | None = None  # allowed symbols; None = what the strategies reference
    neutral_report: bool = False  # redact amounts in reports
    lookback_margin: int = 20  # extra sessions fetched beyond the strategies' warm-up
    lookback_sessions: int = 0  # sessions of bars to fetch at least (config data.lookback_sessions)
    config_doc: Mapping[str, Any] = field(default_factory=dict)  # the effective config, for the record

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ConfigError(
                "no strategy is enabled",
                code="no-strategies",
                hint="list at least one strategy with an allocation",
                where="strategies",
            )
        normalize_allocations(self.allocations, [s.name for s in self.strategies], where="strategies")

    @property
    def allocations(self) -> dict[str, float]:
        return {s.name: s.allocation for s in self.strategies}

    @property
    def config_hash(self) -> str:
        return config_hash(self.config_doc)


def config_hash(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the effective configuration."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
