"""What a run returns and records: its status, the legs it placed and what happened to them.

>>> RunStatus.COMPLETED.places_orders, RunStatus.HALTED.is_alert
(True, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rebalancer.broker.models import Order, OrderRequest, OrderSide


class RunStatus(StrEnum):
    COMPLETED = "completed"  # every approved order filled (or nothing to do)
    PARTIAL = "partial"  # some orders were rejected or left unfilled at the timeout
    PLANNED = "planned"  # `rebalancer plan`: stopped before sending orders
    NO_SESSION = "no-session"  # weekend or holiday: nothing to do
    SKIPPED_LATE = "skipped-late"  # invoked too long after the scheduled time
    HALTED = "halted"  # halt flag (or unreadable flag, or the risk engine) stopped trading
    DATA_GATE_FAILED = "data-gate-failed"  # bars stale/missing/corrupt: no orders
    FAILED = "failed"  # a typed error stopped the run
    DUPLICATE = "duplicate"  # another invocation holds or finished this run: did nothing
    ACCOUNT_BUSY = "account-busy"  # a run of another slot is trading the account: did nothing

    @property
    def places_orders(self) -> bool:
        return self in (RunStatus.COMPLETED, RunStatus.PARTIAL)

    @property
    def is_alert(self) -> bool:
        return self in (
            RunStatus.PARTIAL,
            RunStatus.SKIPPED_LATE,
            RunStatus.HALTED,
            RunStatus.DATA_GATE_FAILED,
            RunStatus.FAILED,
            RunStatus.ACCOUNT_BUSY,
        )


@dataclass(frozen=True)
class Leg:
    """One order the run intends to place; its dict is the journal record written before it is sent."""

    client_order_id: str
    symbol: str
    side: OrderSide
    qty: Decimal | None
    notional: Decimal | None
    decision_price: Decimal
    limit_price: Decimal | None = None  # a collared order (run/collars.py); None: a market order

    def request(self) -> OrderRequest:
        return OrderRequest(
            self.symbol,
            self.side,
            self.client_order_id,
            qty=self.qty,
            notional=self.notional,
            limit_price=self.limit_price,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "qty": None if self.qty is None else str(self.qty),
            "notional": None if self.notional is None else str(self.notional),
            "decision_price": str(self.decision_price),
            "limit_price": None if self.limit_price is None else str(self.limit_price),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Leg:
        return cls(
            client_order_id=str(data["client_order_id"]),
            symbol=str(data["symbol"]),
            side=OrderSide(data["side"]),
            qty=None if data.get("qty") is None else Decimal(str(data["qty"])),
            notional=None if data.get("notional") is None else Decimal(str(data["notional"])),
            decision_price=Decimal(str(data["decision_price"])),
            limit_price=None if data.get("limit_price") is None else Decimal(str(data["limit_price"])),
        )


@dataclass(frozen=True)
class OrderOutcome(Leg):
    """One leg as executed: what was asked (the leg), the broker's final view, and execution quality."""

    order: Order | None = None  # None when the broker never accepted it
    error: str = ""  # the rejection or failure, with its code
    latency_s: float | None = None  # submit to final fill
    canceled_at_timeout: bool = False
    adopted: bool = False  # its submission looked refused or lost; the broker had it: adopted

    @property
    def filled_qty(self) -> Decimal:
        return Decimal(0) if self.order is None else self.order.filled_qty

    @property
    def fill_price(self) -> Decimal | None:
        return None if self.order is None else self.order.filled_avg_price

    @property
    def is_filled(self) -> bool:
        return self.order is not None and self.order.status.value == "filled"

    @property
    def slippage_bps(self) -> Decimal | None:
        """Signed cost against the decision price: positive means worse (paid more / received less)."""
        price = self.fill_price
        if price is None or self.decision_price <= 0:
            return None
        sign = 1 if self.side is OrderSide.BUY else -1
        return (sign * (price - self.decision_price) / self.decision_price * 10000).quantize(Decimal("0.01"))

    def to_dict(self) -> dict[str, Any]:
        order = self.order
        return {
            **super().to_dict(),
            "order_id": None if order is None else order.order_id,
            "status": "not-placed" if order is None else order.status.value,
            "filled_qty": str(self.filled_qty),
            "fill_price": None if self.fill_price is None else str(self.fill_price),
            "slippage_bps": None if self.slippage_bps is None else str(self.slippage_bps),
            "latency_s": None if self.latency_s is None else round(self.latency_s, 3),
            "canceled_at_timeout": self.canceled_at_timeout,
            "adopted": self.adopted,
            "error": self.error,
        }


@dataclass
class RunResult:
    """The run's answer: status, a one-line message, the report text and where the records are."""

    run_id: str
    status: RunStatus
    message: str
    session_date: dt.date | None = None
    targets: dict[str, float] = field(default_factory=dict)
    outcomes: list[OrderOutcome] = field(default_factory=list)
    denials: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)  # the approved orders, described
    books: list[str] = field(default_factory=list)  # per strategy: rebalanced?, value, P&L, holdings
    report: str = ""
    records_location: str = ""
    attempt: int = 1

    @property
    def orders_submitted(self) -> int:
        return sum(1 for o in self.outcomes if o.order is not None)

    @property
    def orders_filled(self) -> int:
        return sum(1 for o in self.outcomes if o.is_filled)
