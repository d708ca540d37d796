"""The risk engine (pure): targets, plan, account, positions, limits, state -> approved plan, denials, state.

One decision per run, in this order:
1. trips: account blocked or equity not positive (HALTED, not persisted); a sticky trip from the state
   (a daily-loss trip expires on a later date); the daily loss against last_equity; the drawdown from the
   high-water mark; the circuit breaker (consecutive failed runs). The halt flag joins in: the stricter wins.
2. target limits (`limit_targets`): reported here so every clip appears in the decision.
3. orders, in execution order (sells, then buys): HALTED denies all; REDUCING denies buys; then universe
   (buys only: a sell always reduces exposure), order notional (buys only: exits and reductions are
   reduce-only and never blocked by the cap), per-symbol weight cap on the projected
   position (buys are clipped), gross exposure, turnover, and order count.

>>> limited = limit_targets(targets, limits, universe)  # doctest: +SKIP
>>> plan = plan_orders(limited.weights, account, positions, prices, assets, options)  # doctest: +SKIP
>>> decision = assess(targets, plan, account, positions, limits, state, universe,
...                   halt_flag=TradingState.from_flag("off"), today=session_date)  # doctest: +SKIP
>>> decision.trading_state, [d.code for d in decision.denials], decision.approved.orders  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from rebalancer.broker.models import Account, OrderSide, Position
from rebalancer.portfolio.plan import Weight
from rebalancer.portfolio.plan_model import NOTIONAL_QUANTUM, Plan, PlannedOrder
from rebalancer.portfolio.risk_limits import Denial, LimitedTargets, RiskCode, RiskLimits, limit_targets
from rebalancer.portfolio.risk_state import RiskState, TradingState

__all__ = [
    "Denial",
    "RiskCode",
    "RiskDecision",
    "RiskLimits",
    "RiskState",
    "TradingState",
    "assess",
    "limit_targets",
]

# Alpaca refuses notional orders under $1; a buy clipped below it is denied instead.
MIN_CLIPPED_NOTIONAL = Decimal(1)


@dataclass(frozen=True)
class RiskDecision:
    """What the run may do. `alerts` are the trips that changed the persisted state in this run."""

    approved: Plan
    denials: tuple[Denial, ...]
    new_state: RiskState
    trading_state: TradingState
    targets: LimitedTargets
    alerts: tuple[Denial, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.denials)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trading_state": self.trading_state.value,
            "approved": self.approved.to_dict(),
            "denials": [d.to_dict() for d in self.denials],
            "alerts": [d.to_dict() for d in self.alerts],
            "approved_targets": {s: str(w) for s, w in self.targets.weights.items()},
            "new_state": self.new_state.to_dict(),
        }


def assess(  # noqa: PLR0917 (the agreed interface is positional)
    targets: Mapping[str, Weight],
    plan: Plan,
    account: Account,
    positions: Sequence[Position],
    limits: RiskLimits,
    state: RiskState,
    universe: Collection[str],
    *,
    halt_flag: TradingState = TradingState.ACTIVE,
    today: dt.date | None = None,
) -> RiskDecision:
    """Check a plan against every limit; see the module docstring for the order of the checks.

    `targets` are the strategies' combined weights before any limit; `today` is the session date (needed
    to expire a daily-loss trip and to date new trips).
    """
    new_state, risk_state, denials, alerts = _trips(account, limits, state, today)
    trading_state = risk_state.stricter(halt_flag)
    if halt_flag is not TradingState.ACTIVE:
        denials.append(Denial(RiskCode.HALT_FLAG, None, f"halt flag is set to {halt_flag.value}"))
    limited = limit_targets(targets, limits, universe)
    denials.extend(limited.denials)
    checker = _OrderChecker(account, positions, limits, set(universe), trading_state)
    checked = [checker.check(order) for order in plan.orders]
    approved = [order for order in checked if order is not None]
    denials.extend(checker.denials)
    approved_plan = replace(
        plan,
        sells=tuple(o for o in approved if o.side is OrderSide.SELL),
        buys=tuple(o for o in approved if o.side is OrderSide.BUY),
    )
    return RiskDecision(approved_plan, tuple(denials), new_state, trading_state, limited, tuple(alerts))


def _trips(
    account: Account, limits: RiskLimits, state: RiskState, today: dt.date | None
) -> tuple[RiskState, TradingState, list[Denial], list[Denial]]:
    """Evaluate every trip; return the new persisted state, the risk trading state, denials and alerts."""
    denials: list[Denial] = []
    transient = TradingState.ACTIVE
    if account.trading_blocked or account.account_blocked:
        transient = TradingState.HALTED
        denials.append(Denial(RiskCode.ACCOUNT_BLOCKED, None, f"account status {account.status}"))
    equity = account.equity
    if equity <= 0:
        denials.append(Denial(RiskCode.EQUITY_NONPOSITIVE, None, f"equity is {equity}"))
        return replace(state, updated_on=today or state.updated_on), TradingState.HALTED, denials, []

    previous = state
    if _daily_trip_expired(state, today):
        previous = replace(state, tripped=TradingState.ACTIVE, trip_reason=None, tripped_on=None)
    hwm = max(state.high_water_mark or equity, equity)
    trips = _current_trips(account, limits, state, hwm)
    if previous.tripped is not TradingState.ACTIVE and previous.trip_reason not in {d.code for _, d in trips}:
        since = f" since {previous.tripped_on.isoformat()}" if previous.tripped_on else ""
        detail = f"still {previous.tripped}: tripped{since}"
        denials.append(Denial(previous.trip_reason or RiskCode.HALTED, None, detail))

    tripped, reason, tripped_on = previous.tripped, previous.trip_reason, previous.tripped_on
    alerts: list[Denial] = []
    for level, denial in trips:
        denials.append(denial)
        if level.severity > tripped.severity:
            tripped, reason, tripped_on = level, denial.code, today
            alerts.append(denial)
    new_state = replace(
        previous,
        high_water_mark=hwm,
        tripped=tripped,
        trip_reason=reason,
        tripped_on=tripped_on,
        updated_on=today or state.updated_on,
    )
    return new_state, tripped.stricter(transient), denials, alerts


def _current_trips(
    account: Account, limits: RiskLimits, state: RiskState, hwm: Decimal
) -> list[tuple[TradingState, Denial]]:
    """The trips the account's numbers call for now (daily loss, drawdown, circuit breaker)."""
    equity = account.equity
    trips: list[tuple[TradingState, Denial]] = []
    if account.last_equity > 0:
        loss = (account.last_equity - equity) / account.last_equity
        if loss >= limits.max_daily_loss:
            detail = f"daily loss {_pct(loss)} >= {_pct(limits.max_daily_loss)} (equity vs last close)"
            trips.append((limits.daily_loss_action, Denial(RiskCode.DAILY_LOSS_TRIPPED, None, detail)))
    drawdown = (hwm - equity) / hwm
    if drawdown >= limits.max_drawdown:
        detail = f"drawdown {_pct(drawdown)} >= {_pct(limits.max_drawdown)} from high-water mark {hwm}"
        trips.append((limits.drawdown_action, Denial(RiskCode.DRAWDOWN_TRIPPED, None, detail)))
    if state.consecutive_failures >= limits.circuit_breaker_failures:
        detail = f"{state.consecutive_failures} consecutive failed runs"
        trips.append((TradingState.HALTED, Denial(RiskCode.CIRCUIT_BREAKER_OPEN, None, detail)))
    return trips


def _daily_trip_expired(state: RiskState, today: dt.date | None) -> bool:
    return (
        state.trip_reason == RiskCode.DAILY_LOSS_TRIPPED
        and today is not None
        and state.tripped_on is not None
        and today > state.tripped_on
    )


def _pct(fraction: Decimal) -> str:
    return f"{fraction * 100:.2f}%"


class _OrderChecker:
    """Walks orders in execution order, tracking projected positions, turnover and count."""

    def __init__(
        self,
        account: Account,
        positions: Sequence[Position],
        limits: RiskLimits,
        universe: set[str],
        trading_state: TradingState,
    ) -> None:
        self.equity = account.equity
        self.limits = limits
        self.universe = universe
        self.state = trading_state
        self.values = {p.symbol: p.market_value for p in positions if p.qty > 0}
        self.turnover = Decimal(0)
        self.count = 0
        self.denials: list[Denial] = []

    def check(self, order: PlannedOrder) -> PlannedOrder | None:
        """The order as approved (possibly clipped), or None with a denial recorded."""
        checked = self._gate(order)
        if isinstance(checked, Denial):
            self.denials.append(checked)
            return None
        notional = checked.estimated_notional
        if checked.side is OrderSide.SELL:
            self.values[checked.symbol] = self._value(checked.symbol) - notional
        else:
            self.values[checked.symbol] = self._value(checked.symbol) + notional
        self.turnover += notional
        self.count += 1
        return checked

    def _gate(self, order: PlannedOrder) -> PlannedOrder | Denial:
        symbol, notional = order.symbol, order.estimated_notional
        is_buy = order.side is OrderSide.BUY
        if self.state is TradingState.HALTED:
            return Denial(RiskCode.HALTED, symbol, "trading is halted: no orders")
        if is_buy and self.state is TradingState.REDUCING:
            return Denial(RiskCode.REDUCING_NO_BUYS, symbol, "trading is reducing: sells only")
        if is_buy and symbol not in self.universe:
            return Denial(RiskCode.NOT_IN_UNIVERSE, symbol, "no strategy references this symbol")
        # Reduce-only orders are exempt: a sell never exceeds the held qty, so it only lowers risk, and
        # a position worth more than the cap must still be exitable (issue 10).
        if is_buy and notional > self.limits.max_order_notional:
            return Denial(
                RiskCode.ORDER_NOTIONAL_EXCEEDED, symbol, f"{notional} > {self.limits.max_order_notional}"
            )
        if is_buy:
            clipped = self._clip_to_symbol_cap(order)
            if isinstance(clipped, Denial):
                return clipped
            order, notional = clipped, clipped.estimated_notional
            gross_cap = self.limits.max_gross_exposure * self.equity
            gross = sum(self.values.values(), Decimal(0)) + notional
            if gross > gross_cap:
                return Denial(RiskCode.GROSS_EXPOSURE_EXCEEDED, symbol, f"gross {gross} > {gross_cap}")
        turnover_cap = self.limits.max_turnover * self.equity
        if self.turnover + notional > turnover_cap:
            return Denial(
                RiskCode.TURNOVER_EXCEEDED, symbol, f"turnover {self.turnover + notional} > {turnover_cap}"
            )
        if self.count >= self.limits.max_orders_per_run:
            return Denial(RiskCode.MAX_ORDERS_EXCEEDED, symbol, f"limit {self.limits.max_orders_per_run}")
        return order

    def _clip_to_symbol_cap(self, order: PlannedOrder) -> PlannedOrder | Denial:
        cap = self.limits.max_symbol_weight * self.equity
        room = cap - self._value(order.symbol)
        if order.estimated_notional <= room:
            return order
        code, symbol = RiskCode.MAX_WEIGHT_CLIPPED, order.symbol
        if order.notional is not None:
            notional = room.quantize(NOTIONAL_QUANTUM, ROUND_FLOOR)
            if notional < MIN_CLIPPED_NOTIONAL:
                return Denial(code, symbol, f"the position is already at its cap {cap}")
            self.denials.append(Denial(code, symbol, f"buy clipped from {order.notional} to {notional}"))
            return replace(order, notional=notional)
        qty = (room / order.price).to_integral_value(ROUND_FLOOR) if order.price > 0 else Decimal(0)
        if qty <= 0:
            return Denial(code, symbol, f"the position is already at its cap {cap}")
        self.denials.append(Denial(code, symbol, f"buy clipped from {order.qty} to {qty} shares"))
        return replace(order, qty=qty)

    def _value(self, symbol: str) -> Decimal:
        return self.values.get(symbol, Decimal(0))
