"""Whether the account accepts an order: price known, no wash trade, buying power at the far side, quantity.

Alpaca checks buying power at the far side of the quote (docs.alpaca.markets/docs/orders-at-alpaca, "Initial
buying power checks on orders"): a buy's cost is its quantity x the ask (its limit price for a limit order),
or its notional. A short sale is valued at MAX(limit price, 3% above the ask) x quantity, and needs a
margin account; a sell that would turn a long position short is refused as insufficient quantity.

    >>> wash_conflict("buy", None, "sell", Decimal("10"))     # a market buy against any open sell
    True
    >>> wash_conflict("buy", Decimal("9"), "sell", Decimal("10"))   # limits that do not cross
    False
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.fills import FillEngine
from rebalancer_emulator.prices import PriceModel
from rebalancer_emulator.records import OrderRecord, PositionRecord
from rebalancer_emulator.rules import OrderBody, check_not_too_small
from rebalancer_emulator.wire import forbidden, unprocessable

SHORT_MARKUP = Decimal("1.03")


class Book(Protocol):
    """What admission reads from the account."""

    config: EmulatorConfig
    prices: PriceModel
    orders: list[OrderRecord]
    positions: dict[str, PositionRecord]

    def buying_power(self, instant: dt.datetime | None = None) -> Decimal: ...

    def held_qty(self, symbol: str) -> Decimal: ...

    def held_for_orders(self, symbol: str) -> Decimal: ...

    def qty_available(self, symbol: str) -> Decimal: ...


def wash_conflict(side: str, limit: Decimal | None, other_side: str, other_limit: Decimal | None) -> bool:
    """An opposite-side open order would trade against this one: always for a market or stop order on
    either side (no limit price), for two limits only when their prices cross."""
    if side == other_side:
        return False
    if limit is None or other_limit is None:
        return True
    buy, sell = (limit, other_limit) if side == "buy" else (other_limit, limit)
    return buy >= sell


class Admission:
    def __init__(self, book: Book, fills: FillEngine) -> None:
        self.book = book
        self.fills = fills

    def check(self, body: OrderBody, now: dt.datetime) -> tuple[Decimal, str]:
        """Raise ApiError as Alpaca would; return the price buying power is held at and the intent."""
        far = self.fills.far_side(body.symbol, body.side, now)
        if far is None:
            raise unprocessable(
                f"no price for {body.symbol} at {now.isoformat()}: the emulator's data starts later"
            )
        self._check_wash_trade(body)
        if body.side == "buy":
            return self._check_buy(body, far, now)
        return self._check_sell(body, far, now)

    def _check_wash_trade(self, body: OrderBody) -> None:
        for other in self.book.orders:
            if (
                other.is_open
                and other.symbol == body.symbol
                and wash_conflict(body.side, body.limit_price, other.side, other.limit_price)
            ):
                raise forbidden(
                    "potential wash trade detected. use complex orders",
                    existing_order_id=other.id,
                    reject_reason="opposite side market/stop order exists",
                )

    def _check_buy(self, body: OrderBody, far: Decimal, now: dt.datetime) -> tuple[Decimal, str]:
        price = body.limit_price or (max(body.stop_price, far) if body.stop_price else far)
        cost = body.notional if body.notional is not None else (body.qty or Decimal(0)) * price
        if body.qty is not None and body.qty != body.qty.to_integral_value():
            check_not_too_small(cost)
        held = self.book.held_qty(body.symbol)
        if held < 0 and body.qty is not None and body.qty <= -held:
            return price, "buy_to_close"  # covering a short opens nothing: no buying power needed
        self._require_buying_power(cost, now)
        return price, "buy_to_open"

    def _check_sell(self, body: OrderBody, far: Decimal, now: dt.datetime) -> tuple[Decimal, str]:
        requested = body.qty if body.qty is not None else (body.notional or Decimal(0)) / far
        available = self.book.qty_available(body.symbol)
        if requested <= available:
            return far, "sell_to_close"
        held = self.book.held_qty(body.symbol)
        if self.book.config.is_margin and held <= 0 and self.book.held_for_orders(body.symbol) == 0:
            return self._check_short(body, far, now)
        raise forbidden(
            f"insufficient qty available for order (requested: {plain(requested)}, "
            f"available: {plain(available)})",
            available=plain(available),
            existing_qty=plain(held),
            held_for_orders=plain(self.book.held_for_orders(body.symbol)),
            symbol=body.symbol,
        )

    def _require_buying_power(self, cost: Decimal, now: dt.datetime) -> None:
        available = self.book.buying_power(now)
        if cost > available:
            raise forbidden(
                "insufficient buying power",
                buying_power=str(available),
                cost_basis=str(cost.quantize(Decimal("0.01"))),
            )

    def _check_short(self, body: OrderBody, far: Decimal, now: dt.datetime) -> tuple[Decimal, str]:
        if body.qty is None or body.qty != body.qty.to_integral_value():
            raise forbidden("fractional orders cannot be sold short")
        ask = self.fills.far_side(body.symbol, "buy", now) or far
        price = max(body.limit_price or Decimal(0), (ask * SHORT_MARKUP).quantize(Decimal("0.01")))
        cost = body.qty * price
        self._require_buying_power(cost, now)
        return far, "sell_to_open"


def plain(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.000000001")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
