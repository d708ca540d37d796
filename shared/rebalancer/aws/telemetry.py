"""Powertools Logger (JSON, correlation id = run id) and Metrics (EMF), created on first use.

Metric names are in aws/metric_names.py (the template's alarms watch them). A run's outcome becomes:
orders submitted/filled/rejected, run duration, a completed/skipped/failed count, and, when the run
recorded its inputs, the data's age and the account's drawdown from the high-water mark.

    >>> run_status_metric("halted")
    'RunsSkipped'
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rebalancer.aws import metric_names as m
from rebalancer.errors import StateError

_STATUS_METRIC = {
    "completed": m.RUNS_COMPLETED,
    "partial": m.RUNS_COMPLETED,
    "skipped-late": m.RUNS_SKIPPED,
    "halted": m.RUNS_SKIPPED,
    "account-busy": m.RUNS_SKIPPED,  # another slot's run held the account lock: nothing traded
    "data-gate-failed": m.RUNS_FAILED,
    "failed": m.RUNS_FAILED,
}


@dataclass(frozen=True)
class Telemetry:
    logger: Any  # aws_lambda_powertools.Logger
    metrics: Any  # aws_lambda_powertools.Metrics


class _CurrentStdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (Lambda: always the same; tests and the demo redirect it)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@functools.cache
def telemetry() -> Telemetry:
    """The process's Logger and Metrics (namespace and service default to the template's)."""
    from aws_lambda_powertools import Logger, Metrics

    logger = Logger(service=m.SERVICE, logger_handler=_CurrentStdout())
    return Telemetry(logger, Metrics(namespace=m.NAMESPACE, service=m.SERVICE))


def run_status_metric(status: str) -> str | None:
    """The count a run's status adds to (None: holidays, duplicates, dry runs count nothing)."""
    return _STATUS_METRIC.get(status)


def add_run_metrics(metrics: Any, result: Any, duration_s: float) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    rejected = sum(
        1 for o in result.outcomes if o.error or (o.order is not None and o.order.status == "rejected")
    )
    metrics.add_metric(name=m.ORDERS_SUBMITTED, unit=MetricUnit.Count, value=result.orders_submitted)
    metrics.add_metric(name=m.ORDERS_FILLED, unit=MetricUnit.Count, value=result.orders_filled)
    metrics.add_metric(name=m.ORDERS_REJECTED, unit=MetricUnit.Count, value=rejected)
    metrics.add_metric(name=m.RUN_DURATION, unit=MetricUnit.Seconds, value=round(duration_s, 3))
    count = run_status_metric(result.status.value)
    if count is not None:
        metrics.add_metric(name=count, unit=MetricUnit.Count, value=1)


def add_failure_metric(metrics: Any) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=m.RUNS_FAILED, unit=MetricUnit.Count, value=1)


def _decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def account_health(
    inputs: dict[str, Any], risk_state: dict[str, Any] | None, now: dt.datetime
) -> dict[str, float]:
    """Data age in hours (since the last bar's date) and drawdown in percent, from a run's inputs record."""
    out: dict[str, float] = {}
    last_bar = (inputs.get("data_quality") or {}).get("last_bar")
    if last_bar:
        day = dt.date.fromisoformat(str(last_bar))
        close = dt.datetime(day.year, day.month, day.day, 21, 0, tzinfo=dt.UTC)  # ~16:00 New York
        out[m.DATA_AGE] = round(max((now - close).total_seconds(), 0.0) / 3600, 2)
    equity = _decimal((inputs.get("account") or {}).get("equity"))
    hwm = _decimal((risk_state or {}).get("high_water_mark"))
    if equity is not None and hwm is not None and hwm > 0:
        out[m.DRAWDOWN] = float(round(max(hwm - equity, Decimal(0)) / hwm * 100, 3))
    return out


def add_account_metrics(
    tel: Telemetry, store: Any, env: str, run_id: str, now: dt.datetime
) -> dict[str, float]:
    """Data age and drawdown when the run recorded its inputs (runs stopped earlier have none).

    The run's outcome stands either way: a record that cannot be read only costs these metrics, with a
    warning, since the drawdown alarm treats a missing value as not breaching.
    """
    from aws_lambda_powertools.metrics import MetricUnit

    try:
        inputs = json.loads(store.get_record(run_id, "inputs.json"))
        values = account_health(inputs, store.load_risk_state(env), now)
    except (StateError, ValueError) as err:
        if not (isinstance(err, StateError) and err.code == "record-missing"):
            tel.logger.warning("drawdown and data-age metrics not emitted", extra={"reason": str(err)})
        return {}
    units = {m.DATA_AGE: MetricUnit.NoUnit, m.DRAWDOWN: MetricUnit.Percent}
    for name, value in values.items():
        tel.metrics.add_metric(name=name, unit=units[name], value=value)
    return values
