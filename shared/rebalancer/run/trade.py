"""The trading phase of a run, after the guards: read, gate, decide, plan, check risk, execute.

Reads are batched and concurrent (run/snapshot.py: one account, one positions, one open-orders and one
bars request, then the assets of the symbols involved), so the critical path stays short whatever the
number of symbols.
Legs are journaled before they are sent; a resumed run reconciles them by client_order_id.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from rebalancer.broker.models import Account, AssetInfo, Order, OrderSide, Position
from rebalancer.portfolio.plan import PlanOptions, plan_buys, plan_orders
from rebalancer.portfolio.plan_model import Plan, PlannedOrder
from rebalancer.portfolio.risk import RiskDecision, RiskState, TradingState, assess, limit_targets
from rebalancer.run.books_step import BookKeeper
from rebalancer.run.client_ids import belongs_to_run, client_order_id, made_by_rebalancer
from rebalancer.run.collars import with_collar
from rebalancer.run.context import RunContext
from rebalancer.run.data_gate import check_bars
from rebalancer.run.decide import Decision, decide
from rebalancer.run.execution import Executor
from rebalancer.run.guards import SessionCalendar, read_flag
from rebalancer.run.on_target import Gap, account_gaps, projected_values
from rebalancer.run.record import code_version
from rebalancer.run.resize import cap_to_approved, resize_refused
from rebalancer.run.result import Leg, OrderOutcome, RunStatus
from rebalancer.run.resume import Settled, settle
from rebalancer.run.serialize import to_json
from rebalancer.run.snapshot import Snapshot, checked_live_prices, read_snapshot
from rebalancer.strategies import LoadedStrategy, needed_symbols

# The last account read and the sides whose fills came after it (for the on-target check).
Base = tuple[Account, list[Position], tuple[OrderSide, ...]]


@dataclass
class TradeOutcome:
    status: RunStatus
    message: str
    decision: Decision | None = None
    risk: RiskDecision | None = None
    outcomes: list[OrderOutcome] = field(default_factory=list)
    books: list[str] = field(default_factory=list)  # the report's per-strategy section


class Trade:
    def __init__(
        self,
        ctx: RunContext,
        strategies: list[LoadedStrategy],
        calendar: SessionCalendar,
        lookback: int,
        *,
        before_phase: Callable[[str], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.before_phase = before_phase
        self.settled = Settled()
        self.strategies = strategies
        self.calendar = calendar
        self.lookback = lookback
        self.broker = ctx.ports.broker
        self.executor = Executor(
            self.broker,
            ctx.settings.execution,
            sleep=ctx.ports.sleep,
            monotonic=ctx.ports.monotonic,
            on_step=ctx.ports.on_step,
        )
        execution = ctx.settings.execution
        # The books keep each strategy's cash buffer (books_step.py): the planner adds none on top.
        self.books = BookKeeper(ctx, strategies, execution.cash_buffer)
        self.options = PlanOptions(Decimal(0), execution.min_order_notional)
        self.limits = ctx.settings.risk_limits

    # -- the phase ----------------------------------------------------------------------------

    def run(self) -> TradeOutcome:
        ctx = self.ctx
        needed = needed_symbols(self.strategies)
        # A resumed run first settles what earlier attempts sent, so it plans from what actually filled.
        self.settled = settle(self.executor, ctx.recorder, resumed=ctx.resumed and not ctx.planning)
        self._note_settled()
        snap = read_snapshot(self.ctx, self.calendar, self.lookback, needed, self.strategies)
        self.base: Base = (snap.account, snap.positions, (OrderSide.SELL, OrderSide.BUY))
        # Read once: the state the risk engine uses is the one inputs.json records for replay.
        saved_state = ctx.ports.store.load_risk_state(ctx.settings.env)
        quality = check_bars(snap.history, self.calendar, needed, self.lookback)
        digest = ctx.recorder.put_bars(snap.history)
        ctx.recorder.put_json("inputs.json", self._inputs(snap, digest, quality.to_dict(), saved_state))
        if not quality.ok:
            raise quality.to_error()
        decision = decide(self.strategies, snap.history, self.calendar.decision_date)
        ctx.recorder.put_json("decision.json", decision.to_dict())
        held = {p.symbol for p in snap.positions}
        # The live prices both value the books and size the orders: a book that holds converts its shares
        # to a weight and the planner back to the same shares only when both use one price (valued at the
        # close and sized at the live price, a held book traded the difference every day).
        wanted = {s for weights in decision.per_strategy.values() for s in weights}
        prices = checked_live_prices(ctx, snap, wanted | set(decision.targets) | held)
        netted = self.books.net(decision, snap.account, snap.positions, prices)
        # What the account trades to: the books netted (decision.targets: the report's weighted view).
        targets = {symbol: float(weight) for symbol, weight in netted.items()}
        assets = self._assets(set(targets) | held)
        own = [o for o in snap.open_orders if belongs_to_run(o.client_order_id, ctx.key)]  # only if planning
        stale = [o for o in snap.open_orders if made_by_rebalancer(o.client_order_id) and o not in own]
        manual = [o for o in snap.open_orders if not made_by_rebalancer(o.client_order_id)]
        if manual:
            ctx.warn(f"{len(manual)} open orders not placed by the rebalancer left alone; their symbols skip")
        universe = self._universe(decision, held)
        ctx.recorder.put_json("universe.json", sorted(universe))
        limited = limit_targets(targets, self.limits, universe)
        plan = Plan()  # equity <= 0 sizes nothing: the risk engine then halts (equity-nonpositive)
        if snap.account.equity > 0:
            plan = plan_orders(
                limited.weights,
                snap.account,
                snap.positions,
                prices,
                assets,
                self.options,
                open_orders=own + manual,
            )
        risk = assess(
            targets,
            plan,
            snap.account,
            snap.positions,
            self.limits,
            RiskState() if saved_state is None else RiskState.from_dict(saved_state),
            universe,
            halt_flag=TradingState.from_flag(ctx.flag),
            today=ctx.key.session_date,
        )
        ctx.recorder.put_json("plan.json", {"plan": plan.to_dict(), "risk": risk.to_dict(), "assets": assets})
        ctx.risk_state = risk.new_state
        outcome = TradeOutcome(RunStatus.PLANNED, "", decision, risk, list(self.settled.outcomes))
        if ctx.planning:
            outcome.message = f"planned {len(risk.approved.orders)} orders; none sent"
            return outcome
        self._cancel_stale(stale)
        state = self._phase("sell", risk.trading_state)
        outcome.outcomes += self._sells(risk.approved, prices, state)
        ctx.ports.on_step("sells-filled")
        if risk.approved.buys:
            state = self._phase("buy", state)
            allowed = risk.approved if state is TradingState.ACTIVE else replace(risk.approved, buys=())
            outcome.outcomes += self._buys(limited.weights, allowed, prices, assets, manual)
            ctx.ports.on_step("buys-filled")
        gaps = self._gaps(risk, assets, state, outcome.outcomes, prices)
        outcome = self._conclude(outcome, risk, gaps, state)
        self.books.settle(outcome.status, outcome.outcomes, prices)
        outcome.books = self.books.lines
        return outcome

    def _note_settled(self) -> None:
        settled, ctx = self.settled, self.ctx
        if settled.outcomes:
            ctx.started_orders = True
            ctx.warn(f"settled {len(settled.outcomes)} orders of earlier attempts before planning")
        for leg in settled.dropped:
            ctx.warn(f"journaled leg {leg.client_order_id} was never sent: re-planned by this attempt")
        self.ctx.ports.on_step("settled")

    def _phase(self, phase: str, state: TradingState) -> TradingState:
        """Before each submission phase: renew the leases (or stop) and re-read the halt flag, so a
        `rebalancer halt` set mid-run stops the orders not yet sent."""
        if self.before_phase is not None:
            self.before_phase(phase)
        flag, warning = read_flag(self.ctx.ports.halt_flag)
        if warning:
            self.ctx.warn(warning)
        now = state.stricter(TradingState.from_flag(flag.value))
        if now is not state:
            self.ctx.flag = flag
            self.ctx.warn(f"the halt flag changed to {flag.value} during the run: {phase}s {now.value}")
        return now

    # -- reads --------------------------------------------------------------------------------

    def _assets(self, symbols: set[str]) -> dict[str, AssetInfo]:
        return self.broker.get_assets(sorted(symbols))

    def _universe(self, decision: Decision, held: set[str]) -> set[str]:
        allowed = self.ctx.settings.universe
        if allowed is not None:
            return set(allowed)
        return needed_symbols(self.strategies) | set(decision.targets) | held

    def _inputs(
        self, snap: Snapshot, digest: str, quality: dict[str, Any], risk_state: dict[str, Any] | None
    ) -> dict[str, Any]:
        settings = self.ctx.settings
        key = self.ctx.key
        return {
            "run_id": self.ctx.key.run_id,
            "run_key": {"env": key.env, "session_date": key.session_date.isoformat(), "slot": key.slot},
            "now": self.ctx.now.isoformat(),
            "code_version": code_version(),
            "config": dict(settings.config_doc),
            "config_hash": settings.config_hash,
            "flag": self.ctx.flag.value,
            "decision_date": self.calendar.decision_date.isoformat(),
            "lookback": self.lookback,
            "strategies": [s.to_dict() for s in self.strategies],
            "account": to_json(snap.account),
            "positions": to_json(snap.positions),
            "open_orders": to_json(snap.open_orders),
            "bars_digest": digest,
            "bars_shape": [len(snap.history), len(snap.history.symbols)],
            "data_quality": quality,
            "plan_options": to_json(self.options),
            "risk_limits": to_json(self.limits),
            "risk_state": risk_state,
        }

    # -- orders -------------------------------------------------------------------------------

    def _cancel_stale(self, stale: list[Order]) -> None:
        if stale:
            canceled = self.executor.cancel_orders(stale)
            self.ctx.warn(f"canceled {len(canceled)} stale open orders left by earlier runs")
        self.ctx.ports.on_step("stale-canceled")

    def _legs(self, orders: tuple[PlannedOrder, ...], prices: dict[str, Decimal]) -> list[Leg]:
        key, collar = self.ctx.key, self.ctx.settings.execution.price_collar
        return [
            with_collar(
                Leg(
                    client_order_id(key, o.symbol, o.side, self.settled.attempt_for(o.symbol, o.side)),
                    o.symbol,
                    o.side,
                    o.qty,
                    o.notional,
                    prices.get(o.symbol, o.price),
                ),
                collar,
            )
            for o in orders
        ]

    def _run_legs(self, phase: str, fresh: list[Leg], *, hold: str = "") -> list[OrderOutcome]:
        """Journal (after the earlier attempts' legs the broker has: run/resume.py), then execute.

        `hold`: why this attempt may not send these legs (a halt flag set mid-run).
        """
        self.ctx.recorder.save_legs(phase, self.settled.journal(phase, fresh))
        self.ctx.started_orders = self.ctx.started_orders or bool(fresh)
        outcomes = self.executor.execute(fresh, step=phase, hold=hold)
        for o in outcomes:
            if o.adopted:
                self.ctx.warn(
                    f"order {o.client_order_id} arrived at the broker after its submission looked "
                    "refused or lost: adopted into the record"
                )
        return outcomes

    def _sells(self, approved: Plan, prices: dict[str, Decimal], state: TradingState) -> list[OrderOutcome]:
        # Full exits are sells of the exact held qty under our client_order_id (close_position has none).
        hold = "trading is halted" if state is TradingState.HALTED else ""  # by risk or a mid-run flag
        return self._run_legs("sell", self._legs(approved.sells, prices), hold=hold)

    def _buys(
        self,
        weights: dict[str, Decimal],
        approved: Plan,
        prices: dict[str, Decimal],
        assets: dict[str, AssetInfo],
        manual: list[Order],
    ) -> list[OrderOutcome]:
        # Sized from the account after the sells: the budget is what actually filled.
        with ThreadPoolExecutor(max_workers=2) as pool:
            account_f = pool.submit(self.broker.get_account)
            positions_f = pool.submit(self.broker.get_positions)
            account, positions = account_f.result(), positions_f.result()
        self.base = (account, positions, (OrderSide.BUY,))
        buys = plan_buys(weights, account, positions, prices, assets, self.options, open_orders=manual)
        capped = cap_to_approved(buys.buys, approved.buys)
        self.ctx.recorder.put_json(
            "buys.json", {"account": account, "positions": positions, "plan": buys.to_dict()}
        )
        legs = self._legs(tuple(capped), prices)
        outcomes, notes = resize_refused(
            self._run_legs("buy", legs),
            broker=self.broker,
            market_data=self.ctx.ports.market_data,
            executor=self.executor,
            collar=self.ctx.settings.execution.price_collar,
            next_id=lambda o: client_order_id(
                self.ctx.key, o.symbol, o.side, self.settled.attempt_for(o.symbol, o.side) + 1
            ),
            journal=lambda extra: self.ctx.recorder.save_legs(
                "buy", self.settled.journal("buy", legs + extra)
            ),
        )
        for note in notes:
            self.ctx.warn(note)
        return outcomes

    def _gaps(
        self,
        risk: RiskDecision,
        assets: dict[str, AssetInfo],
        state: TradingState,
        outcomes: list[OrderOutcome],
        prices: dict[str, Decimal],
    ) -> list[Gap]:
        """Where the account is off its approved targets after the orders (run/on_target.py)."""
        if state is TradingState.HALTED:
            return []
        # The last account read (the snapshot, or the one before the buys) plus the fills reported since.
        account, positions, sides = self.base
        earlier = {o.client_order_id for o in self.settled.outcomes}
        fills = [o for o in outcomes if o.side in sides and o.client_order_id not in earlier]
        gaps = account_gaps(
            account.equity,
            projected_values(positions, fills, prices),
            risk.targets.weights,
            {s: a.fractionable for s, a in assets.items()},
            prices,
            self.options,
            tolerance=self.ctx.settings.execution.target_tolerance,
            buys_allowed=state is TradingState.ACTIVE,
        )
        for gap in gaps:
            self.ctx.warn(f"off target: {gap.describe()}")
        return gaps

    def _conclude(
        self, outcome: TradeOutcome, risk: RiskDecision, gaps: list[Gap], state: TradingState
    ) -> TradeOutcome:
        # Earlier attempts' legs are reported, but their fills are already in the positions the new plan
        # started from: only this attempt's legs (and the on-target check) decide the status.
        earlier = {o.client_order_id for o in self.settled.outcomes}
        problems = [o for o in outcome.outcomes if not o.is_filled and o.client_order_id not in earlier]
        filled = len(outcome.outcomes) - len(problems)
        if risk.trading_state is TradingState.HALTED:
            outcome.status, outcome.message = RunStatus.HALTED, "the risk engine halted trading: no orders"
        elif state is TradingState.HALTED:
            sent = sum(1 for o in outcome.outcomes if o.order is not None)
            outcome.status = RunStatus.HALTED
            outcome.message = f"the halt flag was set during the run: {sent} orders had been sent, no more"
        elif problems:
            outcome.status = RunStatus.PARTIAL
            outcome.message = f"{filled} of {len(outcome.outcomes)} orders filled; {len(problems)} did not"
        elif gaps:
            outcome.status = RunStatus.PARTIAL
            names = ", ".join(g.symbol for g in gaps)
            outcome.message = f"{filled} orders filled, but the account is off target in {names}"
        else:
            outcome.status = RunStatus.COMPLETED
            outcome.message = (
                f"{filled} orders filled" if filled else "portfolio already on target: no orders"
            )
            if state is TradingState.REDUCING:
                outcome.message += " (reducing: sells only)"
        return outcome
