"""The Lambda entry points' shared shell: Powertools context and metrics, the runtime built on first use.

functions/<name>/app.py is one line: `handler = lambda_entry(handle_<name>)`. Nothing happens at import;
the first invocation builds the StackRuntime (clients, caches, config), later ones in the same warm
container reuse it.

    >>> handler = lambda_entry(lambda event, context, runtime, tel: {"ok": True})
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rebalancer.aws.telemetry import Telemetry, telemetry
from rebalancer.aws.wiring import StackRuntime

HandlerBody = Callable[[Any, Any, StackRuntime, Telemetry], dict[str, Any]]

_lock = threading.Lock()
_runtimes: dict[str, StackRuntime] = {}


def runtime() -> StackRuntime:
    """This container's StackRuntime, created from the environment on first use."""
    with _lock:
        if "current" not in _runtimes:
            _runtimes["current"] = StackRuntime.from_environ()
        return _runtimes["current"]


def reset_runtime() -> None:
    """Forget the container's runtime (tests and `rebalancer invoke` with a changed environment)."""
    with _lock:
        _runtimes.clear()


def lambda_entry(body: HandlerBody) -> Callable[[Any, Any], dict[str, Any]]:
    def handler(event: Any, context: Any) -> dict[str, Any]:
        tel = telemetry()

        def invoke(event: Any, context: Any) -> dict[str, Any]:
            return body(event, context, runtime(), tel)

        measured = tel.metrics.log_metrics(
            invoke, capture_cold_start_metric=True, raise_on_empty_metrics=False
        )
        logged = tel.logger.inject_lambda_context(measured, clear_state=True)
        result: dict[str, Any] = logged(event, context)
        return result

    return handler
