"""run(config, ports, now) -> RunResult: one rebalance, from guards to report.

    >>> result = run(settings, ports, dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC))  # doctest: +SKIP
    >>> result.status, result.orders_filled                                           # doctest: +SKIP
    (<RunStatus.COMPLETED: 'completed'>, 6)

Flow (docs/architecture.md, "Run"): halt flag -> strategies -> calendar (session? in time?) -> lease ->
reads -> data gate -> decide -> plan -> risk -> cancel stale -> sells -> buys -> record -> report.
Typed errors end the run with a status and an alert; anything else propagates (a crash): the lease
stays held until it expires and the next invocation resumes the run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rebalancer.errors import DataError, RebalancerError
from rebalancer.run.context import RunContext
from rebalancer.run.decide import Decision
from rebalancer.run.guards import check_window, fetch_calendar, read_flag
from rebalancer.run.holds import Holds
from rebalancer.run.ports import Ports
from rebalancer.run.record import RunRecorder
from rebalancer.run.report import describe_planned, render_alert, render_report
from rebalancer.run.result import RunResult, RunStatus
from rebalancer.run.settings import NEW_YORK, RunSettings
from rebalancer.run.trade import Trade, TradeOutcome
from rebalancer.state.base import LeaseStatus, LedgerEntry, RunKey, TradingFlag, check_aware
from rebalancer.strategies import load_strategies, lookback_sessions

if TYPE_CHECKING:
    from rebalancer.config.loader import LoadedConfig
    from rebalancer.config.models import RebalancerConfig


def run(
    config: RunSettings | RebalancerConfig | LoadedConfig,
    ports: Ports,
    now: dt.datetime,
    *,
    scheduled_at: dt.datetime | None = None,
    plan_only: bool = False,
    rerun: bool = False,
) -> RunResult:
    """Run one rebalance (or, with plan_only, everything up to sending orders).

    `rerun` (an operator's `rebalancer rerun`, or an event with "rerun": true): a new attempt of today's
    run after one that ended without orders (data gate, failure, halt, late skip: state.lease.REOPENABLE)
    or crashed; allowed until the market closes, whatever `max_delay`. A completed or partial run is
    never run again, and a resumed attempt reconciles every journaled leg, so no order is duplicated.
    """
    settings = config if isinstance(config, RunSettings) else settings_from(config)
    check_aware(now)
    slot = settings.schedule.slot + ("-plan" if plan_only else "")
    # The scheduled time is stable across the scheduler's retries: its date keys the run (docs/events.md).
    key = RunKey(settings.env, (scheduled_at or now).astimezone(NEW_YORK).date(), slot)
    ctx = RunContext(settings, ports, key, now, plan_only, RunRecorder(ports.store, key.run_id))
    return _Runner(ctx, scheduled_at, rerun).go()


def settings_from(config: RebalancerConfig | LoadedConfig) -> RunSettings:
    from rebalancer.run.config_bridge import settings_from_config

    return settings_from_config(config)


_PLACED = frozenset(s.value for s in RunStatus if s.places_orders)


class _Runner:
    def __init__(self, ctx: RunContext, scheduled_at: dt.datetime | None, rerun: bool = False) -> None:
        self.ctx = ctx
        self.scheduled_at = scheduled_at
        self.rerun = rerun
        self.holds = Holds(ctx)
        self.trade: TradeOutcome | None = None

    def go(self) -> RunResult:
        ctx = self.ctx
        ctx.flag, warning = read_flag(ctx.ports.halt_flag)
        if warning:
            ctx.warn(warning)
        if ctx.flag is TradingFlag.HALT:
            return self.finish(RunStatus.HALTED, warning or "the halt flag is set to halt: no orders")
        try:
            return self._guarded()
        except DataError as err:
            return self.finish(RunStatus.DATA_GATE_FAILED, str(err), error=err)
        except RebalancerError as err:
            return self.finish(RunStatus.FAILED, str(err), error=err)

    def _guarded(self) -> RunResult:
        ctx = self.ctx
        strategies = load_strategies(ctx.settings.strategies)
        settings = ctx.settings
        lookback = max(lookback_sessions(strategies) + settings.lookback_margin, settings.lookback_sessions)
        calendar = fetch_calendar(ctx.ports.broker, ctx.key.session_date, lookback)
        if calendar.session is None:
            return self.finish(RunStatus.NO_SESSION, f"{ctx.key.session_date} is not a trading session")
        window = check_window(
            ctx.now, calendar.session, ctx.settings.schedule, self.scheduled_at, rerun=self.rerun
        )
        if not window.ok:
            finished = self._finished_status()
            if finished is not None:  # a late redelivery of a finished run: nothing to say
                return self._duplicate(f"already finished ({finished})")
            return self.finish(RunStatus.SKIPPED_LATE, f"skipped: {window.reason}")
        if not ctx.planning:
            busy = self._take_account()
            if busy is not None:
                return busy
            duplicate = self._take_lease()
            if duplicate is not None:
                self.holds.release_account()
                return duplicate
        self.trade = Trade(ctx, strategies, calendar, lookback, before_phase=self.holds.renew).run()
        return self.finish(self.trade.status, self.trade.message)

    def _finished_status(self) -> str | None:
        """The status this run key finished with, when it placed orders (completed or partial)."""
        ctx = self.ctx
        for entry in ctx.ports.store.recent_runs(ctx.settings.env, limit=50):
            if entry.run_id == ctx.key.run_id and entry.status in _PLACED:
                return entry.status
        return None

    def _take_account(self) -> RunResult | None:
        """One trader per account: the lock every slot's run takes (run/holds.py)."""
        ctx = self.ctx
        lock = self.holds.take_account()
        if lock.may_run:
            return None
        holder = lock.owner.split(":", 1)[0]
        if holder == ctx.key.slot:
            return self._duplicate(f"in progress by {lock.owner} until {lock.expires_at}")
        message = (
            f"the account is being traded by run {ctx.key.env}-{ctx.key.session_date}-{holder} until "
            f"{lock.expires_at}: run {ctx.key.run_id} did nothing; invoke it again once that run has "
            "finished (docs/runbook.md, 'account-busy')"
        )
        return self.finish(RunStatus.ACCOUNT_BUSY, message)

    def _take_lease(self) -> RunResult | None:
        ctx = self.ctx
        now = ctx.ports.clock.now()
        lease = ctx.ports.store.acquire_lease(
            ctx.key, ctx.ports.owner, now, self.holds.ttl(), reopen=self.rerun
        )
        ctx.attempt = lease.attempt
        if not lease.may_run:
            what = (
                f"already finished ({lease.final_status})"
                if lease.status is LeaseStatus.COMPLETED
                else f"in progress by {lease.owner} until {lease.expires_at}"
            )
            return self._duplicate(what)
        ctx.lease_held = True
        ctx.resumed = lease.status is LeaseStatus.RESUMED
        if ctx.resumed:
            ctx.warn(f"resumed after an interrupted attempt (attempt {lease.attempt})")
        ctx.ports.on_step("lease")
        return None

    def _duplicate(self, what: str) -> RunResult:
        ctx = self.ctx
        message = f"run {ctx.key.run_id} is {what}: this invocation did nothing"
        result = RunResult(ctx.key.run_id, RunStatus.DUPLICATE, message, ctx.key.session_date, attempt=0)
        result.report = render_report(result, env=ctx.settings.env, per_strategy={}, neutral=True)[1]
        return result

    # -- the end of every run -----------------------------------------------------------------

    def finish(self, status: RunStatus, message: str, *, error: RebalancerError | None = None) -> RunResult:
        ctx = self.ctx
        trade = self.trade
        decision: Decision | None = trade.decision if trade else None
        result = RunResult(
            ctx.key.run_id,
            status,
            message,
            ctx.key.session_date,
            targets=dict(decision.targets) if decision else {},
            outcomes=list(trade.outcomes) if trade else [],
            denials=[d.to_dict() for d in trade.risk.denials] if trade and trade.risk else [],
            warnings=list(ctx.warnings),
            attempt=ctx.attempt,
            planned=self._planned(),
            books=list(trade.books) if trade else [],
        )
        if error is not None and ctx.started_orders:
            result.warnings.append(
                "orders were already sent: re-invoke after the lease expires to resume and reconcile them"
            )
        per_strategy = decision.per_strategy if decision else {}
        records = not self._finished_by_lease_holder()
        if records:
            self._record(result, error)
        else:
            result.warnings.append(
                f"an earlier attempt of run {ctx.key.run_id} that held its lease finished and keeps its "
                "records and ledger entry: this invocation recorded nothing"
            )
        subject, result.report = render_report(
            result, env=ctx.settings.env, per_strategy=per_strategy, neutral=self._neutral
        )
        if records:
            self._persist(result, error)
        self._notify(result, subject)
        return result

    def _finished_by_lease_holder(self) -> bool:
        """Did an attempt that held the lease get past the reads (inputs.json) and finish (result.json)?
        Then an invocation stopped before the lease (flag, window, calendar) must not overwrite them."""
        ctx = self.ctx
        if ctx.lease_held or ctx.planning:
            return False
        return {"inputs.json", "result.json"} <= set(ctx.ports.store.list_records(ctx.key.run_id))

    def _planned(self) -> list[str]:
        risk = self.trade.risk if self.trade else None
        if risk is None:
            return []
        return [
            describe_planned(o.side.value, o.symbol, o.qty, o.notional, self._neutral)
            for o in risk.approved.orders
        ]

    @property
    def _neutral(self) -> bool:
        return self.ctx.settings.neutral_report

    def _record(self, result: RunResult, error: RebalancerError | None) -> None:
        recorder = self.ctx.recorder
        recorder.put_json("orders.json", [o.to_dict() for o in result.outcomes])
        result.records_location = recorder.put_json(
            "result.json",
            {
                "run_id": result.run_id,
                "status": result.status.value,
                "message": result.message,
                "attempt": result.attempt,
                "targets": result.targets,
                "denials": result.denials,
                "warnings": result.warnings,
                "error": None if error is None else error.to_dict(),
                "finished_at": self.ctx.ports.clock.now().isoformat(),
            },
        )

    def _persist(self, result: RunResult, error: RebalancerError | None) -> None:
        ctx = self.ctx
        ctx.recorder.put_text("report.txt", result.report)
        if ctx.planning:
            return
        self._save_risk_state(result)
        ctx.ports.store.record_run(
            LedgerEntry(
                run_id=result.run_id,
                env=ctx.settings.env,
                session_date=ctx.key.session_date,
                slot=ctx.key.slot,
                status=result.status.value,
                started_at=ctx.now,
                finished_at=ctx.ports.clock.now(),
                attempt=result.attempt,
                orders_submitted=result.orders_submitted,
                orders_filled=result.orders_filled,
                denials=len(result.denials),
                message=result.message[:500],
                records_location=result.records_location,
            )
        )
        resumable = error is not None and ctx.started_orders
        if ctx.lease_held and not resumable:
            ctx.ports.store.complete_lease(ctx.key, ctx.ports.owner, result.status.value)
        if not resumable:  # orders to reconcile keep the account locked until the resume
            self.holds.release_account()

    def _save_risk_state(self, result: RunResult) -> None:
        from rebalancer.portfolio.risk_state import RiskState

        ctx = self.ctx
        if result.status in (RunStatus.FAILED, RunStatus.DATA_GATE_FAILED):
            saved = ctx.ports.store.load_risk_state(ctx.settings.env)
            state = RiskState() if saved is None else RiskState.from_dict(saved)
            state = state.record_run(succeeded=False, today=ctx.key.session_date)
        elif ctx.risk_state is not None and result.status.places_orders:
            state = ctx.risk_state.record_run(succeeded=True, today=ctx.key.session_date)
        elif ctx.risk_state is not None:
            state = ctx.risk_state
        else:
            return
        ctx.ports.store.save_risk_state(ctx.settings.env, state.to_dict())

    def _notify(self, result: RunResult, subject: str) -> None:
        notifier = self.ctx.ports.notifier
        notifier.send(subject, result.report)
        if result.status.is_alert:
            notifier.send(*render_alert(result, env=self.ctx.settings.env))
