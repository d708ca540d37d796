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
SUPPORTED_TYPES = frozenset({"market", "limit", "stop", "stop_limit"})
_PRICES = {"limit_price": frozenset({"limit", "stop_limit"}), "stop_price": frozenset({"stop", "stop_limit"})}
ALPACA_TYPES = frozenset({"market", "limit", "stop", "stop_limit", "trailing_stop"})


@dataclass(frozen=True)
class OrderBody:
    symbol: str
    side: str
    time_in_force: str
    client_order_id: str
    qty: Decimal | None
    notional: Decimal | None
    order_type: str = "market"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    order_class: str = "simple"
    stop_loss: tuple[Decimal, Decimal | None] | None = None  # an oco order's (stop_price, limit_price)


def parse_order_body(body: Mapping[str, object], *, fractionable: bool) -> OrderBody:
    """Check one POST /v2/orders body; raise ApiError (422/403) the way Alpaca would."""
    symbol = _text(body, "symbol", required=True).upper()
    side = _text(body, "side", required=True)
    if side not in {"buy", "sell"}:
        raise unprocessable(f"invalid side: {side}")
    order_type = _text(body, "type", required=False) or "market"
    if order_type not in SUPPORTED_TYPES:
        if order_type in ALPACA_TYPES:
            raise unprocessable(f"the emulator does not model {order_type} orders")
        raise unprocessable(f"invalid order type: {order_type}")
    tif = _text(body, "time_in_force", required=True)
    if tif not in SUPPORTED_TIME_IN_FORCE:
        raise unprocessable(f"the emulator supports time_in_force day or gtc only (got {tif!r})")
    if body.get("extended_hours"):
        if order_type != "limit" or tif != "day":
            raise unprocessable("extended hours order must be DAY limit orders")
        raise unprocessable("the emulator does not model extended hours")
    qty, notional = _amount(body, "qty"), _amount(body, "notional")
    order_class = _order_class(body, order_type)
    stop_loss = None
    if order_class == "oco":
        limit_price, stop_price, stop_loss = _oco_prices(body), None, _stop_loss(body)
    else:
        limit_price = _price(body, "limit_price", order_type)
        stop_price = _price(body, "stop_price", order_type)
    if notional is not None and order_type != "market":
        raise unprocessable("notional orders must be market orders")
    _check_amounts(qty, notional, tif=tif, fractionable=fractionable)
    cid = _client_order_id(body)
    return OrderBody(
        symbol, side, tif, cid, qty, notional, order_type, limit_price, stop_price, order_class, stop_loss
    )


def _order_class(body: Mapping[str, object], order_type: str) -> str:
    """simple ("" too) or oco (a take-profit limit and a stop-loss that cancel each other)."""
    order_class = _text(body, "order_class", required=False) or "simple"
    if order_class in {"bracket", "oto", "mleg"}:
        raise unprocessable(f"the emulator does not model {order_class} orders (simple and oco only)")
    if order_class not in {"simple", "oco"}:
        raise unprocessable(f"invalid order class: {order_class}")
    if order_class == "oco" and order_type != "limit":
        raise unprocessable("oco orders must be limit orders")
    return order_class


def _nested(body: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise unprocessable(f"oco orders require {key}")
    return value


def _oco_prices(body: Mapping[str, object]) -> Decimal | None:
    """The take-profit leg's limit (the order's own limit_price, when given, must agree)."""
    take_profit = _price(_nested(body, "take_profit"), "limit_price", "limit")
    own = body.get("limit_price")
    if own is not None and _price(body, "limit_price", "limit") != take_profit:
        raise unprocessable("limit_price must equal take_profit.limit_price for oco orders")
    return take_profit


def _stop_loss(body: Mapping[str, object]) -> tuple[Decimal, Decimal | None]:
    stop_loss = _nested(body, "stop_loss")
    stop = _price(stop_loss, "stop_price", "stop")
    assert stop is not None
    limit = (
        _price(stop_loss, "limit_price", "stop_limit") if stop_loss.get("limit_price") is not None else None
    )
    return stop, limit


def parse_replacement(
    order_type: str, old: OrderBody, body: Mapping[str, object], *, fractionable: bool
) -> OrderBody:
    """PATCH /v2/orders/{id}: the old order with the body's qty, limit_price, stop_price, time_in_force and
    client_order_id (each optional)."""
    tif = _text(body, "time_in_force", required=False) or old.time_in_force
    if tif not in SUPPORTED_TIME_IN_FORCE:
        raise unprocessable(f"the emulator supports time_in_force day or gtc only (got {tif!r})")
    qty = _amount(body, "qty") if body.get("qty") is not None else old.qty
    prices = {
        name: _price(body, name, order_type) if body.get(name) is not None else getattr(old, name)
        for name in _PRICES
    }
    _check_amounts(qty, old.notional if qty is None else None, tif=tif, fractionable=fractionable)
    notional = old.notional if qty is None else None
    cid = _client_order_id(body)
    return OrderBody(
        old.symbol, old.side, tif, cid, qty, notional, order_type, prices["limit_price"], prices["stop_price"]
    )


def _client_order_id(body: Mapping[str, object]) -> str:
    client_order_id = _text(body, "client_order_id", required=False) or str(uuid.uuid4())
    if len(client_order_id) > 128:
        raise unprocessable("client_order_id must be no more than 128 characters")
    return client_order_id


def _price(body: Mapping[str, object], name: str, order_type: str) -> Decimal | None:
    """A limit or stop price: required by the types that use it (refused on others), positive, whole cents
    at or above $1 (4 decimals below)."""
    price = _amount(body, name)
    if order_type not in _PRICES[name]:
        if price is not None and order_type == "market":
            raise unprocessable(f"{name} is not allowed on market orders")
        return None
    if price is None:
        raise unprocessable(f"{name} is required for {order_type} orders")
    if price <= 0:
        raise unprocessable(f"{name} must be > 0")
    places = Decimal("0.01") if price >= 1 else Decimal("0.0001")
    if price != price.quantize(places):
        raise unprocessable(
            f"invalid {name} {price}. sub-penny increment does not fulfill minimum pricing criteria"
        )
    return price


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


__all__ = ["ApiError", "OrderBody", "check_not_too_small", "parse_order_body", "parse_replacement"]
