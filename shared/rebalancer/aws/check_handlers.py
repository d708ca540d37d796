"""The HealthCheckFunction's and the WatchdogFunction's bodies.

Health: every check of aws/health.py; any cross publishes one alert listing them all and counts
HealthChecksFailed. Watchdog: the session's ledger (aws/watchdog.py); a missed run publishes an alert and
counts RunsMissed.

    >>> handle_watchdog({"source": "manual"}, context, runtime, telemetry())  # doctest: +SKIP
    {'ok': True, 'session_date': '2026-11-02', 'message': 'run paper-2026-11-02-market-open completed'}
"""

from __future__ import annotations

from typing import Any

from rebalancer.aws import metric_names as m
from rebalancer.aws.events import check_scheduled_time, parse_check_event
from rebalancer.aws.health import run_checks
from rebalancer.aws.rebalance_handler import alert_failure
from rebalancer.aws.telemetry import Telemetry
from rebalancer.aws.watchdog import check_session
from rebalancer.aws.wiring import StackRuntime
from rebalancer.errors import RebalancerError
from rebalancer.state.base import SystemClock


def handle_health(event: Any, context: Any, runtime: StackRuntime, tel: Telemetry) -> dict[str, Any]:  # noqa: ARG001
    from aws_lambda_powertools.metrics import MetricUnit

    tel.metrics.set_default_dimensions(Env=runtime.names.env)
    try:
        parse_check_event(event, "health")
    except RebalancerError as err:
        return alert_failure(runtime, tel, "the health-check event is malformed", err)
    checks = run_checks(runtime)
    failed = [c for c in checks if not c.ok]
    tel.metrics.add_metric(name=m.HEALTH_FAILED, unit=MetricUnit.Count, value=1 if failed else 0)
    lines = "\n".join(c.line() for c in checks)
    if failed:
        tel.logger.warning("health check failed", extra={"checks": [c.to_dict() for c in checks]})
        runtime.notifier.send(
            f"rebalancer {runtime.names.env}: health check FAILED ({len(failed)} of {len(checks)})",
            f"{lines}\n\nSee docs/runbook.md, 'A health check failed'.",
        )
    else:
        tel.logger.info("health check passed", extra={"checks": [c.to_dict() for c in checks]})
    return {"ok": not failed, "checks": [c.to_dict() for c in checks]}


def handle_watchdog(event: Any, context: Any, runtime: StackRuntime, tel: Telemetry) -> dict[str, Any]:  # noqa: ARG001
    from aws_lambda_powertools.metrics import MetricUnit

    tel.metrics.set_default_dimensions(Env=runtime.names.env)
    try:
        ev = parse_check_event(event, "watchdog")
        clock_now = SystemClock().now()
        check_scheduled_time(ev, clock_now)  # a session in 2099 has no run to look for
    except RebalancerError as err:
        return alert_failure(runtime, tel, "the watchdog event is malformed", err)
    now = ev.scheduled_time or clock_now
    verdict = check_session(runtime.store, runtime.names.env, now)
    tel.metrics.add_metric(name=m.RUNS_MISSED, unit=MetricUnit.Count, value=0 if verdict.ok else 1)
    if not verdict.ok:
        tel.logger.error("missed run", extra={"verdict": verdict.to_dict()})
        runtime.notifier.send(
            f"rebalancer {runtime.names.env}: NO COMPLETED RUN for {verdict.session_date}",
            f"{verdict.message}\n\nSee docs/runbook.md, 'A run was skipped' and 'A run failed'.",
        )
    return verdict.to_dict()
