"""Health checks shared by the HealthCheckFunction and `rebalancer health`: one line each, tick or cross.

>>> print(Check("halt flag readable", True, "/rebalancer/paper/halt = off").line())
✓ halt flag readable: /rebalancer/paper/halt = off
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rebalancer.aws.wiring import StackRuntime
from rebalancer.errors import DataError, RebalancerError, StateError
from rebalancer.state.sns import SnsNotifier

FRESHNESS_SYMBOL = "SPY"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _attempt(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except RebalancerError as err:
        return Check(name, False, str(err))


def _account(broker: Any) -> str:
    account = broker.get_account()
    if account.status.upper() != "ACTIVE" or account.trading_blocked or account.account_blocked:
        raise RebalancerError(
            f"account {account.account_id} is {account.status}"
            f"{' (trading blocked)' if account.trading_blocked or account.account_blocked else ''}",
            code="account-inactive",
            hint="check the account on Alpaca's dashboard",
        )
    return f"account {account.account_id} {account.status}"


def _fresh(broker: Any, data: Any, now: dt.datetime) -> str:
    """The latest daily bar is from the last session before today (what the run will decide on)."""
    from rebalancer.run.guards import fetch_calendar
    from rebalancer.run.settings import NEW_YORK

    calendar = fetch_calendar(broker, now.astimezone(NEW_YORK).date(), lookback_sessions=5)
    decision_date = calendar.decision_date  # the run's rule; calendar-empty when there is none
    history = data.daily_history([FRESHNESS_SYMBOL], calendar.previous_sessions[0], decision_date)
    last = history.last_date
    if last < decision_date:
        raise DataError(
            f"the latest {FRESHNESS_SYMBOL} bar is {last}, not {decision_date}",
            code="data-stale",
            hint="the data feed lags; see docs/runbook.md, 'Data is stale'",
        )
    return f"latest {FRESHNESS_SYMBOL} bar {last} (last session {decision_date})"


def run_checks(runtime: StackRuntime) -> list[Check]:
    names = runtime.names
    checks = [
        _attempt("credentials readable", lambda: _credentials(runtime)),
        _attempt(
            "config valid", lambda: f"{runtime.config_path}: {len(runtime.settings().strategies)} strategies"
        ),
        _attempt("halt flag readable", lambda: f"{names.halt_parameter} = {runtime.halt_flag.read().value}"),
        _attempt("table reachable", lambda: "{name} {status}".format(**runtime.store.describe())),
        _attempt("bucket reachable", lambda: _reachable(runtime.records.check_reachable, names.bucket)),
        _attempt("topic reachable", lambda: _reachable(runtime.notifier.check_reachable, names.topic_arn)),
        _attempt("alerts reach someone", lambda: alerts_reach_someone(runtime.notifier)),
    ]
    try:
        broker, data = runtime.broker_and_data()
    except RebalancerError as err:
        reason = f"not checked: {err.code}"
        return [
            *checks,
            Check("Alpaca reachable, account active", False, reason),
            Check("data fresh", False, reason),
        ]
    checks.append(_attempt("Alpaca reachable, account active", lambda: _account(broker)))
    try:
        now = runtime.clock(broker).now()  # the broker's clock (local emulators) fails like the account
    except RebalancerError as err:
        return [*checks, Check("data fresh", False, f"not checked: {err.code}")]
    checks.append(_attempt("data fresh", lambda: _fresh(broker, data, now)))
    return checks


def alerts_reach_someone(notifier: SnsNotifier) -> str:
    """At least one confirmed subscription: an unconfirmed email (or none) means alerts reach nobody."""
    confirmed, pending = notifier.subscriptions()
    if not confirmed:
        raise StateError(
            f"the alerts topic has no confirmed subscription ({pending} pending confirmation): "
            "reports and alerts reach nobody",
            code="alerts-unsubscribed",
            hint="deploy with AlertEmail=you@example.com and confirm the email SNS sends (README, Deploy)",
        )
    return f"{confirmed} confirmed subscription(s)" + (f", {pending} pending" if pending else "")


def _credentials(runtime: StackRuntime) -> str:
    key_id = runtime.credentials.get().key_id
    return f"{runtime.names.secret}: key id {key_id[:4]}... and a secret key"


def _reachable(probe: Callable[[], None], name: str) -> str:
    probe()
    return name
