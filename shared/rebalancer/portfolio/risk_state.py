"""Trading states and the persisted risk state (high-water mark, failures, trips). Pure data.

The RUN's stores persist `RiskState.to_dict()` (JSON: Decimal as strings, dates ISO) and give it back to
`assess` on the next run.

>>> state = RiskState.from_dict({"high_water_mark": "10500.00", "consecutive_failures": 1})
>>> state.record_run(succeeded=True, today=dt.date(2026, 3, 2)).consecutive_failures
0
>>> TradingState.from_flag("reduce").stricter(TradingState.HALTED)
<TradingState.HALTED: 'halted'>
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from rebalancer.errors import StateError
from rebalancer.state.base import TradingFlag


class TradingState(StrEnum):
    """ACTIVE trades freely; REDUCING places sells only; HALTED places no orders."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    def stricter(self, other: TradingState) -> TradingState:
        """The stricter of two states (HALTED > REDUCING > ACTIVE)."""
        return other if other.severity > self.severity else self

    @classmethod
    def from_flag(cls, flag: TradingFlag | str) -> TradingState:
        """Map the halt flag (off / reduce / halt; text is parsed by TradingFlag.parse) onto a trading state.

        An unknown value raises StateError `halt-flag-invalid`; the caller must treat that as HALTED.
        """
        return _FLAG_STATES[TradingFlag.parse(flag)]


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}
_FLAG_STATES = {
    TradingFlag.OFF: TradingState.ACTIVE,
    TradingFlag.REDUCE: TradingState.REDUCING,
    TradingFlag.HALT: TradingState.HALTED,
}


@dataclass(frozen=True)
class RiskState:
    """What the risk engine remembers between runs.

    high_water_mark: the highest equity seen at a run (drawdown is measured from it).
    consecutive_failures: failed runs in a row (the circuit breaker opens at the configured count).
    tripped / trip_reason / tripped_on: the sticky state set by a risk trip. A daily-loss trip expires on a
    later session date; drawdown and circuit-breaker trips stay until `reset` (a deliberate human action).
    """

    high_water_mark: Decimal | None = None
    consecutive_failures: int = 0
    tripped: TradingState = TradingState.ACTIVE
    trip_reason: str | None = None
    tripped_on: dt.date | None = None
    updated_on: dt.date | None = None

    def record_run(self, *, succeeded: bool, today: dt.date | None = None) -> RiskState:
        """The state after a run: a success clears the failure count, a failure adds one."""
        failures = 0 if succeeded else self.consecutive_failures + 1
        return replace(self, consecutive_failures=failures, updated_on=today or self.updated_on)

    def reset(self, *, today: dt.date | None = None, high_water_mark: Decimal | None = None) -> RiskState:
        """Clear trips and failures (an operator's decision). Optionally re-base the high-water mark, which
        a drawdown reset needs: otherwise the same drawdown trips again on the next run."""
        return RiskState(
            high_water_mark=self.high_water_mark if high_water_mark is None else high_water_mark,
            updated_on=today or self.updated_on,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "high_water_mark": None if self.high_water_mark is None else str(self.high_water_mark),
            "consecutive_failures": self.consecutive_failures,
            "tripped": self.tripped.value,
            "trip_reason": self.trip_reason,
            "tripped_on": None if self.tripped_on is None else self.tripped_on.isoformat(),
            "updated_on": None if self.updated_on is None else self.updated_on.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskState:
        """Inverse of to_dict; missing keys take their defaults; malformed values raise StateError."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise StateError(
                f"unknown risk state keys {sorted(unknown)}",
                code="risk-state-invalid",
                hint="inspect the stored risk state; reset it deliberately if it cannot be repaired",
            )
        try:
            hwm = data.get("high_water_mark")
            failures = data.get("consecutive_failures", 0)
            if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
                raise ValueError(f"consecutive_failures must be a non-negative integer, not {failures!r}")
            return cls(
                high_water_mark=None if hwm is None else _decimal(hwm),
                consecutive_failures=failures,
                tripped=TradingState(data.get("tripped", TradingState.ACTIVE.value)),
                trip_reason=data.get("trip_reason"),
                tripped_on=_date(data.get("tripped_on")),
                updated_on=_date(data.get("updated_on")),
            )
        except (ValueError, TypeError, InvalidOperation) as err:
            raise StateError(
                f"risk state is malformed: {err}",
                code="risk-state-invalid",
                hint="inspect the stored risk state; reset it deliberately if it cannot be repaired",
            ) from err


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise TypeError(f"a Decimal is stored as a string, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)
