"""When a strategy rebalances: Composer's `:rebalance-frequency` and `:rebalance-threshold` (pure).

Composer gives a symphony either a calendar frequency or a threshold corridor (docs/rebalancing.md
cites the sources):
- `:rebalance-frequency` :daily, :weekly, :monthly, :quarterly, :yearly or :none. A calendar
  symphony trades on its first session of each new period (week Monday-Sunday, calendar month,
  quarter, year); a run that missed that session trades on the next one in the period.
- `:rebalance-threshold X` (Composer's "corridor width", e.g. 0.05): the strategy is checked every
  session and trades, back to its full targets, only when a holding's weight is more than X
  (absolute weight, 0.05 = 5 percentage points) from its target, or when the set of symbols it
  should hold changed (a branch switch "fully rebalances whatever the drift").
- :none without a threshold: trades only the first time (the initial investment).
A strategy never traded before is always due (Composer invests a new symphony at the next trading
period). Without either setting a symphony is daily.

    >>> s = schedule_from_settings((("rebalance-frequency", ":monthly"),), "m.clj")
    >>> s, calendar_due(s.frequency, dt.date(2024, 3, 28), dt.date(2024, 3, 1))
    (Schedule(frequency='monthly', threshold=None), False)
    >>> rebalance_due(s, dt.date(2024, 4, 1), dt.date(2024, 3, 1), {}, {}).reason
    'first session of a new month'
    >>> t = schedule_from_settings((("rebalance-threshold", "0.05"),), "t.clj")
    >>> rebalance_due(t, dt.date(2024, 4, 1), dt.date(2024, 3, 1), {"A": 0.5, "B": 0.5},
    ...               {"A": 0.56, "B": 0.44}).due
    True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from rebalancer.errors import StrategyError

Frequency = Literal["none", "daily", "weekly", "monthly", "quarterly", "yearly"]
FREQUENCIES: tuple[str, ...] = ("none", "daily", "weekly", "monthly", "quarterly", "yearly")
_PERIOD_NAMES = {"weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year"}
# A weight this close to zero is "not held" / "not wanted" (float noise from drift and fills).
HELD_EPSILON = 1e-9


@dataclass(frozen=True)
class Schedule:
    """A strategy's rebalancing rule: a calendar frequency, or a corridor (frequency 'none')."""

    frequency: Frequency = "daily"
    threshold: float | None = None

    def __str__(self) -> str:
        return f"threshold:{self.threshold:g}" if self.threshold is not None else self.frequency

    @property
    def kind(self) -> str:
        return "threshold" if self.threshold is not None else self.frequency


@dataclass(frozen=True)
class Due:
    """Whether a strategy trades this session, and why (shown in the report)."""

    due: bool
    reason: str


def parse_schedule(text: str, where: str = "rebalance") -> Schedule:
    """`daily` ... `yearly`, `none`, or `threshold:X` with 0 < X < 1 (a config or CLI override)."""
    spec = text.strip().lower()
    if spec in FREQUENCIES:
        return Schedule(cast(Frequency, spec))
    if spec.startswith("threshold:"):
        return Schedule("none", _threshold(spec.split(":", 1)[1], where))
    raise StrategyError(
        f"unknown rebalance schedule {text!r}",
        code="bad-rebalance",
        hint="use none, daily, weekly, monthly, quarterly, yearly or threshold:X (e.g. threshold:0.05)",
        where=where,
    )


def _threshold(raw: str, where: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise StrategyError(
            f"bad rebalance threshold {raw!r}",
            code="bad-rebalance-threshold",
            hint="a corridor width is a weight fraction with 0 < X < 1, e.g. 0.05 for 5 percentage points",
            where=where,
        )
    return value


def schedule_from_settings(settings: Sequence[tuple[str, str]], where: str) -> Schedule:
    """The schedule a symphony's settings map declares (values as printed, e.g. ':daily', '0.05')."""
    values = dict(settings)
    raw_frequency = values.get("rebalance-frequency")
    raw_threshold = values.get("rebalance-threshold", values.get("rebalance-corridor-width"))
    frequency: Frequency = "daily"
    if raw_frequency is not None:
        name = raw_frequency.lstrip(":").strip('"').lower()
        if name not in FREQUENCIES:
            raise StrategyError(
                f"unknown :rebalance-frequency {raw_frequency}",
                code="bad-rebalance",
                hint="Composer's frequencies: :none :daily :weekly :monthly :quarterly :yearly",
                where=where,
            )
        frequency = cast(Frequency, name)
    if raw_threshold is None:
        return Schedule(frequency)
    if raw_frequency is not None and frequency != "none":
        raise StrategyError(
            f":rebalance-threshold with :rebalance-frequency {raw_frequency}",
            code="rebalance-conflict",
            hint="Composer trades on a threshold only with no calendar frequency: drop one of them "
            "(or write :rebalance-frequency :none)",
            where=where,
        )
    return Schedule("none", _threshold(raw_threshold, where))


def period_key(day: dt.date, frequency: str) -> tuple[int, ...]:
    """The calendar period a day falls in (weeks run Monday to Sunday, ISO)."""
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        return (year, week)
    if frequency == "monthly":
        return (day.year, day.month)
    if frequency == "quarterly":
        return (day.year, (day.month - 1) // 3)
    if frequency == "yearly":
        return (day.year,)
    return (day.toordinal(),)


def calendar_due(frequency: str, today: dt.date, last_rebalanced: dt.date | None) -> bool:
    """Does a calendar strategy last rebalanced on `last_rebalanced` trade on session `today`?"""
    if last_rebalanced is None:
        return True
    if frequency == "none":
        return False
    if frequency == "daily":
        return today != last_rebalanced
    return period_key(today, frequency) != period_key(last_rebalanced, frequency)


def max_drift(targets: Mapping[str, float], held: Mapping[str, float]) -> float:
    """The largest |held weight - target weight| over every symbol in either map."""
    symbols = set(targets) | set(held)
    return max((abs(held.get(s, 0.0) - targets.get(s, 0.0)) for s in symbols), default=0.0)


def holdings_changed(targets: Mapping[str, float], held: Mapping[str, float]) -> bool:
    """Would trading to `targets` enter or leave a symbol (a branch switch)?"""
    wanted = {s for s, w in targets.items() if w > HELD_EPSILON}
    owned = {s for s, w in held.items() if w > HELD_EPSILON}
    return wanted != owned


def rebalance_due(
    schedule: Schedule,
    today: dt.date,
    last_rebalanced: dt.date | None,
    targets: Mapping[str, float],
    held: Mapping[str, float],
) -> Due:
    """Does the strategy trade on `today`? `targets` are today's weights, `held` its book's weights."""
    if last_rebalanced is None:
        return Due(True, "first investment")
    if schedule.threshold is not None:
        if holdings_changed(targets, held):
            return Due(True, "the holdings change (branch switch)")
        drift = max_drift(targets, held)
        if drift > schedule.threshold:
            return Due(True, f"drift {drift:.2%} beyond the {schedule.threshold:.2%} corridor")
        return Due(False, f"drift {drift:.2%} within the {schedule.threshold:.2%} corridor")
    frequency = schedule.frequency
    if calendar_due(frequency, today, last_rebalanced):
        if frequency == "daily":
            return Due(True, "daily")
        return Due(True, f"first session of a new {_PERIOD_NAMES[frequency]}")
    if frequency == "none":
        return Due(False, "rebalance frequency none: holds its initial investment")
    if frequency == "daily":
        return Due(False, "already rebalanced this session")
    return Due(False, f"{frequency}: already rebalanced on {last_rebalanced.isoformat()}")
