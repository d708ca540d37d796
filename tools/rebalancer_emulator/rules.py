"""Validation of an order submission body, with Alpaca's status codes and messages.

Stateless checks live here (shape, type, time in force, fractional rules, the $1 minimum); the checks that
need the account (unique client_order_id, wash trades, buying power, available quantity) are in state.py.

    >>> req = parse_order_body({"symbol": "SPY", "notional": Decimal("10.5"), "side": "buy",
    ...                         "type": "market", "time_in_force": "day"}, fractionable=True)
    >>> req.notional, req.qty
    (Decimal('10.5'), None)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rebalancer_emulator.wire import ApiError, forbidden, unprocessable

MAX_DECIMALS = 9
SUPPORTED_TIME_IN_FORCE = frozenset({"day", "gtc"})


@dataclass(frozen=True)
class OrderBody:
    symbol: str
    side: str
    time_in_force: str
    client_order_id: str
    qty: Decimal | None
    notional: Decimal | None


def parse_order_body(body: Mapping[str, object], *, fractionable: bool) -> OrderBody:
    """Check one POST /v2/orders body; raise ApiError (422/403) the way Alpaca would."""
    symbol = _text(body, "symbol", required=True).upper()
    side = _text(body, "side", required=True)
    if side not in {"buy", "sell"}:
        raise unprocessable(f"invalid side: {side}")
    order_type = _text(body, "type", required=False) or "market"
    if order_type != "market":
        raise unprocessable(f"the emulator supports market orders only (got type {order_type!r})")
    tif = _text(body, "time_in_force", required=True)
    if tif not in SUPPORTED_TIME_IN_FORCE:
        raise unprocessable(f"the emulator supports time_in_force day or gtc only (got {tif!r})")
    if body.get("extended_hours"):
        raise unprocessable("extended hours order must be DAY limit orders")
    client_order_id = _text(body, "client_order_id", required=False) or str(uuid.uuid4())
    if len(client_order_id) > 128:
        raise unprocessable("client_order_id must be no more than 128 characters")
    qty, notional = _amount(body, "qty"), _amount(body, "notional")
    _check_amounts(qty, notional, tif=tif, fractionable=fractionable)
    return OrderBody(symbol, side, tif, client_order_id, qty, notional)


def _check_amounts(qty: Decimal | None, notional: Decimal | None, *, tif: str, fractionable: bool) -> None:
    if qty is not None and notional is not None:
        raise unprocessable("only one of qty or notional may be specified")
    if qty is None and notional is None:
        raise unprocessable("qty or notional is required")
    if qty is not None:
        if qty <= 0:
            raise unprocessable("qty must be > 0")
        if qty != qty.to_integral_value():
            if not fractionable:
                raise unprocessable("requested asset is not fractionable")
            if tif != "day":
                raise unprocessable("fractional orders must be DAY orders")
    if notional is not None:
        if not fractionable:
            raise unprocessable("requested asset is not fractionable")
        if tif != "day":
            raise unprocessable("notional orders must be DAY orders")
        check_not_too_small(notional)


def _text(body: Mapping[str, object], key: str, *, required: bool) -> str:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise unprocessable(f"{key} is required")
        return ""
    if not isinstance(value, str):
        raise unprocessable(f"{key} must be a string")
    return value


def _amount(body: Mapping[str, object], key: str) -> Decimal | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise unprocessable(f"{key} must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise unprocessable(f"invalid {key}: {value!r}") from None
    if not amount.is_finite():
        raise unprocessable(f"invalid {key}: {value!r}")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise unprocessable(f"{key} can have at most {MAX_DECIMALS} decimal places")
    return amount


def check_not_too_small(estimated_cost: Decimal) -> None:
    """Alpaca refuses orders worth less than $1."""
    if estimated_cost < 1:
        raise forbidden("cost basis must be >= 1")


__all__ = ["ApiError", "OrderBody", "check_not_too_small", "parse_order_body"]
