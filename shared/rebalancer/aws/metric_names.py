"""CloudWatch metric names the functions emit (EMF) and the template's alarms and dashboard watch.

Namespace `Rebalancer`, dimensions `service` (rebalancer) and `Env` (paper/live).
"""

from __future__ import annotations

NAMESPACE = "Rebalancer"
SERVICE = "rebalancer"

ORDERS_SUBMITTED = "OrdersSubmitted"
ORDERS_FILLED = "OrdersFilled"
ORDERS_REJECTED = "OrdersRejected"
RUN_DURATION = "RunDurationSeconds"
DATA_AGE = "DataAgeHours"
DRAWDOWN = "DrawdownPercent"
RUNS_COMPLETED = "RunsCompleted"
RUNS_SKIPPED = "RunsSkipped"
RUNS_FAILED = "RunsFailed"
RUNS_MISSED = "RunsMissed"
HEALTH_FAILED = "HealthChecksFailed"

ALL = frozenset(
    {
        ORDERS_SUBMITTED,
        ORDERS_FILLED,
        ORDERS_REJECTED,
        RUN_DURATION,
        DATA_AGE,
        DRAWDOWN,
        RUNS_COMPLETED,
        RUNS_SKIPPED,
        RUNS_FAILED,
        RUNS_MISSED,
        HEALTH_FAILED,
    }
)
