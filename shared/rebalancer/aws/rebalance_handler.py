"""The RebalanceFunction's body: validate the event, build the ports, run, measure, answer.

Typed failures before the run (a malformed event, an invalid config, an unreadable secret) end the
invocation with status `failed`, an SNS alert and a RunsFailed metric: nothing is placed. The run's own
outcomes (halted, late, data gate, ...) are alerted by the run. Anything untyped propagates: Lambda counts
an error, the alarm fires and the on-failure destination publishes the event to the alerts topic.

    >>> response = handle_rebalance(event, context, runtime, telemetry())  # doctest: +SKIP
    >>> response["status"], response["run_id"]                              # doctest: +SKIP
    ('completed', 'paper-2026-11-02-market-open')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rebalancer.aws.events import check_scheduled_time, parse_rebalance_event
from rebalancer.aws.telemetry import Telemetry, add_account_metrics, add_failure_metric, add_run_metrics
from rebalancer.aws.wiring import StackRuntime
from rebalancer.errors import RebalancerError, StateError

# Outcomes that read no account or bars in this invocation: their inputs record (if any) is older.
_NO_NEW_INPUTS = frozenset({"duplicate", "no-session", "skipped-late", "halted", "account-busy"})


def alert_failure(runtime: StackRuntime, tel: Telemetry, what: str, err: RebalancerError) -> dict[str, Any]:
    """Log, count and alert a typed failure; the response says what failed and what to do."""
    tel.logger.error(what, extra={"error": err.to_dict()})
    add_failure_metric(tel.metrics)
    subject = f"rebalancer {runtime.names.env}: FAILED - {err.code}"
    body = f"{what}: nothing was placed.\n\n{err}\n\nSee docs/runbook.md, 'A run failed'."
    try:
        runtime.notifier.send(subject, body)
    except StateError as notify_err:
        tel.logger.error("the failure alert could not be sent", extra={"error": notify_err.to_dict()})
        raise notify_err from err  # a Lambda error: the alarm and the on-failure destination take over
    return {"status": "failed", "error": err.to_dict()}


def remaining_seconds(context: Any) -> Callable[[], float] | None:
    """The Lambda context's time left, which bounds and renews the run's leases (run/holds.py)."""
    millis = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(millis):
        return None
    return lambda: float(millis()) / 1000.0


def handle_rebalance(event: Any, context: Any, runtime: StackRuntime, tel: Telemetry) -> dict[str, Any]:
    from rebalancer.run import run
    from rebalancer.run.settings import NEW_YORK
    from rebalancer.state.base import RunKey

    started = time.monotonic()
    tel.metrics.set_default_dimensions(Env=runtime.names.env)
    try:
        ev = parse_rebalance_event(event)
    except RebalancerError as err:
        return alert_failure(runtime, tel, "the rebalance event is malformed", err)
    tel.logger.append_keys(execution_id=ev.execution_id, source=ev.source, attempt=ev.attempt)
    try:
        settings = runtime.settings()
        ports = runtime.ports(owner=getattr(context, "aws_request_id", ""))
        ports.remaining_s = remaining_seconds(context)
        now = ports.clock.now()
    except RebalancerError as err:
        return alert_failure(runtime, tel, "the run could not start", err)
    try:
        check_scheduled_time(ev, now)
    except RebalancerError as err:
        return alert_failure(runtime, tel, "the rebalance event is malformed", err)
    slot = settings.schedule.slot + ("-plan" if ev.dry_run else "")
    run_id = RunKey(settings.env, (ev.scheduled_time or now).astimezone(NEW_YORK).date(), slot).run_id
    tel.logger.set_correlation_id(run_id)
    tel.logger.info("run starting", extra={"scheduled_time": str(ev.scheduled_time), "dry_run": ev.dry_run})
    try:
        result = run(
            settings, ports, now, scheduled_at=ev.scheduled_time, plan_only=ev.dry_run, rerun=ev.rerun
        )
    except RebalancerError as err:
        return alert_failure(runtime, tel, f"run {run_id} stopped", err)
    add_run_metrics(tel.metrics, result, time.monotonic() - started)
    account = {}
    if result.status.value not in _NO_NEW_INPUTS:
        account = add_account_metrics(tel, runtime.store, settings.env, result.run_id, now)
    response = {
        "status": result.status.value,
        "run_id": result.run_id,
        "message": result.message,
        "orders_submitted": result.orders_submitted,
        "orders_filled": result.orders_filled,
        "records": result.records_location,
        "warnings": list(result.warnings),
        **account,
    }
    tel.logger.info("run finished", extra={"result": response})
    return response
