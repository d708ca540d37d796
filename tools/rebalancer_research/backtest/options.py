"""Backtest options: execution timing, costs, rebalance schedule, and the live planner's sizing rules.

>>> opts = BacktestOptions(execution="open", slippage_bps=5, rebalance=parse_rebalance("threshold:0.05"))
>>> opts.rebalance.kind, opts.rebalance.threshold
('threshold', 0.05)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from rebalancer.errors import ConfigError
from rebalancer.portfolio.plan_model import PlanOptions
from rebalancer.strategies.schedule import Schedule

Execution = Literal["close", "open"]
RebalanceKind = Literal["daily", "weekly", "monthly", "quarterly", "yearly", "none", "threshold"]
CALENDAR_KINDS = ("daily", "weekly", "monthly", "quarterly", "yearly", "none")


@dataclass(frozen=True)
class Rebalance:
    """When the backtest trades: every session, the first session of a week, month, quarter or year,
    only the first session (none), or on drift (threshold). Composer's semantics:
    rebalancer.strategies.schedule and docs/rebalancing.md."""

    kind: RebalanceKind = "daily"
    threshold: float = 0.0

    def __str__(self) -> str:
        return f"threshold:{self.threshold:g}" if self.kind == "threshold" else self.kind

    @classmethod
    def from_schedule(cls, schedule: Schedule) -> Rebalance:
        if schedule.threshold is not None:
            return cls("threshold", schedule.threshold)
        return cls(schedule.frequency)


def parse_rebalance(text: str) -> Rebalance:
    """`daily`, `weekly`, `monthly`, `quarterly`, `yearly`, `none` or `threshold:X` (X a weight
    fraction, e.g. 0.05)."""
    spec = text.strip().lower()
    if spec in CALENDAR_KINDS:
        return Rebalance(spec)  # type: ignore[arg-type]
    if spec.startswith("threshold:"):
        raw = spec.split(":", 1)[1]
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0.0 < value < 1.0:
            raise ConfigError(
                f"bad rebalance threshold {raw!r}",
                code="bad-rebalance-threshold",
                hint="write threshold:X with 0 < X < 1, e.g. threshold:0.05",
                where="--rebalance",
            )
        return Rebalance("threshold", value)
    raise ConfigError(
        f"unknown rebalance schedule {text!r}",
        code="bad-rebalance",
        hint="use daily, weekly, monthly, quarterly, yearly, none or threshold:X",
        where="--rebalance",
    )


def planner_defaults() -> tuple[float, float]:
    """(cash buffer, minimum order notional): the live planner's own defaults, never a copy of them."""
    plan = PlanOptions()
    return float(plan.cash_buffer), float(plan.min_order_notional)


def _default_cash_buffer() -> float:
    return planner_defaults()[0]


def _default_min_order() -> float:
    return planner_defaults()[1]


@dataclass(frozen=True)
class BacktestOptions:
    """Everything that shapes a simulation besides the weights and the prices.

    `cash_buffer` is the fraction of equity kept in cash (as the live planner does); orders whose
    notional is below `min_order_notional` are skipped unless they close a position.
    """

    execution: Execution = "close"
    slippage_bps: float = 0.0
    fee_bps: float = 0.0
    # None: each strategy follows its own file's settings; a value overrides them all.
    rebalance: Rebalance | None = None
    cash_buffer: float = field(default_factory=_default_cash_buffer)
    min_order_notional: float = field(default_factory=_default_min_order)
    initial_equity: float = 100_000.0
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.execution not in ("close", "open"):
            raise ConfigError(
                f"unknown execution mode {self.execution!r}", code="bad-execution", hint="use open or close"
            )
        if self.slippage_bps < 0 or self.fee_bps < 0:
            raise ConfigError("costs must be >= 0 basis points", code="bad-costs", hint="e.g. 2 for 0.02%")
        if not 0.0 <= self.cash_buffer < 1.0:
            raise ConfigError("cash buffer must be in [0, 1)", code="bad-cash-buffer", hint="e.g. 0.02")
        if self.min_order_notional < 0 or self.initial_equity <= 0:
            raise ConfigError(
                "minimum order must be >= 0 and initial equity > 0",
                code="bad-sizing",
                hint="e.g. --initial-equity 100000",
            )
        if self.start and self.end and self.start > self.end:
            raise ConfigError("start is after end", code="bad-range", hint="swap --start and --end")

    @property
    def schedule(self) -> Rebalance:
        """The schedule one simulation follows (daily when none was set)."""
        return self.rebalance if self.rebalance is not None else Rebalance()

    def to_dict(self) -> dict[str, object]:
        return {
            "execution": self.execution,
            "slippage_bps": self.slippage_bps,
            "fee_bps": self.fee_bps,
            "rebalance": "per strategy" if self.rebalance is None else str(self.rebalance),
            "cash_buffer": self.cash_buffer,
            "min_order_notional": self.min_order_notional,
            "initial_equity": self.initial_equity,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }
