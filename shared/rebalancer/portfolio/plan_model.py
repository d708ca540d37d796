"""Data types of an order plan: options in, planned orders and skips out (Decimal money, pure data).

>>> from decimal import Decimal
>>> order = PlannedOrder("SPY", OrderSide.BUY, notional=Decimal("120.00"), price=Decimal("400"))
>>> order.estimated_notional
Decimal('120.00')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rebalancer.broker.models import OrderSide
from rebalancer.errors import RebalancerError

# Alpaca takes qty and notional with at most 9 decimals; dollars are kept to the cent.
QTY_QUANTUM = Decimal("1e-9")
NOTIONAL_QUANTUM = Decimal("0.01")
# Target weights must sum to at most 1 within this tolerance (less is cash).
WEIGHT_TOLERANCE = Decimal("1e-9")


class PlanningError(RebalancerError):
    """The planner's inputs are unusable (non-finite or negative weights, non-positive equity)."""

    default_code = "plan-invalid"


class SkipCode(StrEnum):
    """Stable reason codes for orders the planner did not place (they go into records and reports)."""

    BELOW_MINIMUM = "below-minimum"
    BELOW_ONE_SHARE = "below-one-share"
    OPEN_ORDER_CONFLICT = "open-order-conflict"
    OPEN_ORDER_PENDING = "open-order-pending"
    NOT_TRADABLE = "not-tradable"
    ASSET_UNKNOWN = "asset-unknown"
    NO_PRICE = "no-price"
    SHORT_POSITION = "short-position"
    NO_BUYING_POWER = "no-buying-power"


class OrderReason(StrEnum):
    """Why a planned order exists."""

    EXIT = "exit"  # target 0 for a held symbol: close the whole position
    REDUCE = "reduce"  # sell down toward a smaller target
    INCREASE = "increase"  # buy up toward a larger target


@dataclass(frozen=True)
class PlanOptions:
    """How the planner sizes orders. Defaults match config `execution` defaults.

    cash_buffer: fraction of equity kept as cash (targets are weight x equity x (1 - cash_buffer)).
    min_order_notional: orders worth less than this are skipped (`below-minimum`); full exits are exempt
    so that no dust is left behind.
    """

    cash_buffer: Decimal = Decimal("0.02")
    min_order_notional: Decimal = Decimal("1")

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.cash_buffer < Decimal(1):
            raise PlanningError(f"cash_buffer {self.cash_buffer} is outside [0, 1)", code="bad-cash-buffer")
        if self.min_order_notional < 0:
            raise PlanningError("min_order_notional is negative", code="bad-min-order")


@dataclass(frozen=True)
class PlannedOrder:
    """One market DAY order to place: by qty or by notional.

    `price` is the reference price the plan used; `estimated_notional` is what the order is worth at it.
    A close_position leg (an exit) sells the exact held qty; the run sends it as a qty sell under its own
    client_order_id, not through the broker's close-position call.
    """

    symbol: str
    side: OrderSide
    qty: Decimal | None = None
    notional: Decimal | None = None
    close_position: bool = False
    reason: str = OrderReason.INCREASE
    price: Decimal = Decimal(0)
    target_weight: Decimal = Decimal(0)
    target_value: Decimal = Decimal(0)
    current_value: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if (self.qty is None) == (self.notional is None):
            raise PlanningError(
                f"{self.symbol}: an order needs exactly one of qty and notional", code="order-size-invalid"
            )
        if self.close_position and self.side is not OrderSide.SELL:
            raise PlanningError(f"{self.symbol}: only a sell can close a position", code="order-side-invalid")

    @property
    def estimated_notional(self) -> Decimal:
        if self.notional is not None:
            return self.notional
        assert self.qty is not None  # guaranteed by __post_init__
        return self.qty * self.price

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "qty": _text(self.qty),
            "notional": _text(self.notional),
            "close_position": self.close_position,
            "reason": self.reason,
            "price": str(self.price),
            "estimated_notional": str(self.estimated_notional),
            "target_weight": str(self.target_weight),
            "target_value": str(self.target_value),
            "current_value": str(self.current_value),
        }


@dataclass(frozen=True)
class SkippedOrder:
    """An order the planner wanted but did not place, with a stable reason code."""

    symbol: str
    side: OrderSide
    code: str
    detail: str
    estimated_notional: Decimal = Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "code": self.code,
            "detail": self.detail,
            "estimated_notional": str(self.estimated_notional),
        }


@dataclass(frozen=True)
class Plan:
    """Sells (placed first), buys, and what was skipped. `buy_budget` is the cash the buys were sized from;
    `buy_scale` < 1 means every buy was scaled down pro rata to fit it."""

    sells: tuple[PlannedOrder, ...] = ()
    buys: tuple[PlannedOrder, ...] = ()
    skipped: tuple[SkippedOrder, ...] = ()
    buy_budget: Decimal = Decimal(0)
    buy_scale: Decimal = Decimal(1)
    notes: tuple[str, ...] = field(default=())

    @property
    def orders(self) -> tuple[PlannedOrder, ...]:
        """Every order in execution order: sells, then buys."""
        return self.sells + self.buys

    @property
    def is_empty(self) -> bool:
        return not self.sells and not self.buys

    def to_dict(self) -> dict[str, Any]:
        return {
            "sells": [o.to_dict() for o in self.sells],
            "buys": [o.to_dict() for o in self.buys],
            "skipped": [s.to_dict() for s in self.skipped],
            "buy_budget": str(self.buy_budget),
            "buy_scale": str(self.buy_scale),
            "notes": list(self.notes),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
