"""One rebalance as a library function: `run(config, ports, now) -> RunResult` (see runner.py)."""

from rebalancer.run.ports import Ports
from rebalancer.run.result import OrderOutcome, RunResult, RunStatus
from rebalancer.run.runner import run
from rebalancer.run.settings import ExecutionSettings, RunSettings, ScheduleSettings
from rebalancer.strategies import StrategySpec

__all__ = [
    "ExecutionSettings",
    "OrderOutcome",
    "Ports",
    "RunResult",
    "RunSettings",
    "RunStatus",
    "ScheduleSettings",
    "StrategySpec",
    "run",
]
