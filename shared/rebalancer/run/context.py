"""RunContext: the state one run carries from step to step (settings, ports, key, warnings, records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rebalancer.portfolio.risk_state import RiskState
from rebalancer.run.ports import Ports
from rebalancer.run.record import RunRecorder
from rebalancer.run.settings import RunSettings
from rebalancer.state.base import RunKey, TradingFlag


@dataclass
class RunContext:
    settings: RunSettings
    ports: Ports
    key: RunKey
    now: dt.datetime
    planning: bool
    recorder: RunRecorder
    flag: TradingFlag = TradingFlag.OFF
    attempt: int = 1
    resumed: bool = False
    lease_held: bool = False
    started_orders: bool = False
    risk_state: RiskState | None = None
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
