"""Trading API v2 routes: account, positions, assets, clock, calendar, orders, activities, history.

Shapes follow what alpaca-py 0.44 parses and the official OpenAPI spec (TECH-NOTES A2/A3).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal, InvalidOperation

from rebalancer_emulator.clock import NEW_YORK
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.records import OrderRecord
from rebalancer_emulator.reports import AccountReports
from rebalancer_emulator.routing import RequestContext, Response, Route
from rebalancer_emulator.rules import OrderBody, parse_order_body, parse_replacement
from rebalancer_emulator.state import PaperBroker
from rebalancer_emulator.wire import (
    ApiError,
    bad_request,
    dec_str,
    not_found,
    ny_stamp,
    stable_id,
    unprocessable,
)

# The spec's bounds for GET /v2/calendar (dates outside them are a 422, not a dropped connection).
CALENDAR_FIRST, CALENDAR_LAST = dt.date(1970, 1, 1), dt.date(2029, 12, 31)


class TradingRoutes:
    def __init__(self, broker: PaperBroker, faults: FaultInjector) -> None:
        self.broker = broker
        self.config = broker.config
        self.prices = broker.prices
        self.calendar = broker.prices.calendar
        self.faults = faults
        self.reports = AccountReports(broker)

    def routes(self) -> list[Route]:
        spec = [
            ("GET", "/v2/account", "account", self.account),
            ("GET", "/v2/positions", "positions", self.positions),
            ("DELETE", "/v2/positions", "close_all_positions", self.close_all_positions),
            ("GET", "/v2/positions/{symbol}", "position", self.position),
            ("DELETE", "/v2/positions/{symbol}", "close_position", self.close_position),
            ("GET", "/v2/assets", "assets", self.assets),
            ("GET", "/v2/assets/{symbol}", "asset", self.asset),
            ("GET", "/v2/clock", "clock", self.clock),
            ("GET", "/v2/calendar", "calendar", self.calendar_days),
            ("POST", "/v2/orders", "submit_order", self.submit_order),
            ("GET", "/v2/orders", "orders", self.list_orders),
            ("DELETE", "/v2/orders", "cancel_orders", self.cancel_orders),
            ("GET", "/v2/orders:by_client_order_id", "order_by_client_id", self.order_by_client_id),
            ("GET", "/v2/orders/{order_id}", "order", self.get_order),
            ("PATCH", "/v2/orders/{order_id}", "replace_order", self.replace_order),
            ("DELETE", "/v2/orders/{order_id}", "cancel_order", self.cancel_order),
            ("GET", "/v2/account/activities", "activities", self.reports.activities),
            ("GET", "/v2/account/activities/{activity_type}", "activities_by_type", self.reports.activities),
            ("GET", "/v2/account/portfolio/history", "portfolio_history", self.reports.portfolio_history),
        ]
        routes = [Route(method, path, name, "trading", handler) for method, path, name, handler in spec]
        # The calendar reads no account state: it is answered outside the broker's lock.
        return [
            Route(r.method, r.template, r.name, r.group, r.handler, locked=r.name != "calendar")
            for r in routes
        ]

    # -- account and positions -----------------------------------------------------------------

    def account(self, ctx: RequestContext) -> Response:
        b = self.broker
        long, short = b.market_values(ctx.now)
        equity = b.cash + long + short
        buying_power = dec_str(b.buying_power(ctx.now))
        margin = self.config.is_margin
        body = {
            "id": stable_id("account", self.config.account_number),
            "account_number": self.config.account_number,
            "status": "ACTIVE",
            "crypto_status": "INACTIVE",
            "currency": "USD",
            "cash": dec_str(b.cash),
            "buying_power": buying_power,
            "regt_buying_power": buying_power,
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": dec_str(max(b.cash, Decimal(0))) if margin else buying_power,
            "options_buying_power": "0",
            "effective_buying_power": buying_power,
            "equity": dec_str(equity),
            "last_equity": dec_str(b.last_equity),
            "portfolio_value": dec_str(equity),
            "long_market_value": dec_str(long),
            "short_market_value": dec_str(short),
            "initial_margin": dec_str(((long - short) / 2).quantize(Decimal("0.01"))) if margin else "0",
            "maintenance_margin": dec_str(((long - short) * Decimal("0.3")).quantize(Decimal("0.01")))
            if margin
            else "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "multiplier": dec_str(self.config.multiplier),
            "daytrade_count": b.daytrade_count(ctx.now),
            # FINRA's intraday margin standards replaced the PDT flag (Alpaca changelog 2026-06-03).
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "trade_suspended_by_user": False,
            "shorting_enabled": margin,
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "created_at": "2020-01-01T00:00:00Z",
            "balance_asof": ctx.now.astimezone(NEW_YORK).date().isoformat(),
        }
        return Response(200, body)

    def _position_json(self, symbol: str, now: dt.datetime) -> dict[str, object]:
        position = self.broker.positions[symbol]
        current = self.prices.price_at(symbol, now) or position.avg_entry_price
        lastday = self.prices.previous_close(symbol, now) or current
        return position.to_json(
            exchange=self.config.exchange_of(symbol),
            current=current,
            lastday=lastday,
            available=self.broker.qty_available(symbol),
        )

    def positions(self, ctx: RequestContext) -> Response:
        return Response(200, [self._position_json(s, ctx.now) for s in sorted(self.broker.positions)])

    def _position_symbol(self, key: str) -> str:
        symbol = key.upper()
        for known in self.broker.positions:
            if stable_id("asset", known) == key:
                return known
        if symbol not in self.broker.positions:
            raise not_found("position does not exist")
        return symbol

    def position(self, ctx: RequestContext) -> Response:
        return Response(200, self._position_json(self._position_symbol(ctx.params["symbol"]), ctx.now))

    def close_position(self, ctx: RequestContext) -> Response:
        symbol = ctx.params["symbol"].upper()
        qty, percentage = _opt_decimal(ctx, "qty"), _opt_decimal(ctx, "percentage")
        if qty is not None and percentage is not None:
            raise unprocessable("only one of qty or percentage may be specified")
        if percentage is not None and not 0 < percentage <= 100:
            raise unprocessable("percentage must be in (0, 100]")
        order = self.broker.close_position(symbol, ctx.now, qty=qty, percentage=percentage)
        return Response(200, order.to_json())

    def close_all_positions(self, ctx: RequestContext) -> Response:
        if ctx.query.get("cancel_orders", "").lower() == "true":
            self.broker.cancel_all(ctx.now)
        results: list[dict[str, object]] = []
        for symbol in sorted(self.broker.positions):
            try:
                order = self.broker.close_position(symbol, ctx.now)
                results.append({"symbol": symbol, "status": 200, "body": order.to_json()})
            except ApiError as err:
                results.append({"symbol": symbol, "status": err.status, "body": err.body()})
        return Response(207, results)

    # -- assets, clock, calendar --------------------------------------------------------------

    def _asset_json(self, symbol: str) -> dict[str, object]:
        fractionable = self.config.is_fractionable(symbol)
        return {
            "id": stable_id("asset", symbol),
            "class": "us_equity",
            "exchange": self.config.exchange_of(symbol),
            "symbol": symbol,
            "name": f"{symbol} (emulated)",
            "status": "active",
            "tradable": self.config.is_tradable(symbol),
            "marginable": True,
            "shortable": self.config.is_margin,
            "easy_to_borrow": self.config.is_margin,
            "fractionable": fractionable,
            "maintenance_margin_requirement": 30,
            "attributes": ["fractional_eh_enabled"] if fractionable else [],
        }

    def _asset_symbol(self, key: str) -> str:
        if self.prices.knows(key.upper()):
            return key.upper()
        for symbol in self.prices.symbols:
            if key == stable_id("asset", symbol):
                return symbol
        raise not_found("asset not found")

    def asset(self, ctx: RequestContext) -> Response:
        return Response(200, self._asset_json(self._asset_symbol(ctx.params["symbol"])))

    def assets(self, ctx: RequestContext) -> Response:
        status = ctx.query.get("status", "")
        asset_class = ctx.query.get("asset_class", "us_equity")
        if status == "inactive" or asset_class != "us_equity":
            return Response(200, [])
        return Response(200, [self._asset_json(s) for s in self.prices.symbols])

    def clock(self, ctx: RequestContext) -> Response:
        session = self.calendar.current_or_next(ctx.now)
        is_open = session.open <= ctx.now < session.close
        next_open = self.calendar.next_after(session).open if is_open else session.open
        body = {
            "timestamp": ny_stamp(ctx.now),
            "is_open": is_open,
            "next_open": ny_stamp(next_open),
            "next_close": ny_stamp(session.close),
        }
        return Response(200, body)

    def calendar_days(self, ctx: RequestContext) -> Response:
        today = ctx.now.astimezone(NEW_YORK).date()
        start = _query_date(ctx, "start") or today
        end = _query_date(ctx, "end") or start + dt.timedelta(days=365)
        for name, day in (("start", start), ("end", end)):
            if not CALENDAR_FIRST <= day <= CALENDAR_LAST:
                raise unprocessable(f"{name} must be between {CALENDAR_FIRST} and {CALENDAR_LAST}")
        sessions = self.calendar.sessions(start, end)
        if sessions:  # each session settles on the next one (T+1)
            sessions.append(self.calendar.next_after(sessions[-1]))
        body = [
            {
                "date": session.date.isoformat(),
                "open": session.open.astimezone(NEW_YORK).strftime("%H:%M"),
                "close": session.close.astimezone(NEW_YORK).strftime("%H:%M"),
                "session_open": "0400",
                "session_close": "2000",
                "settlement_date": following.date.isoformat(),
            }
            for session, following in itertools.pairwise(sessions)
        ]
        return Response(200, body)

    # -- orders -------------------------------------------------------------------------------

    def submit_order(self, ctx: RequestContext) -> Response:
        raw = ctx.json_body()
        symbol = str(raw.get("symbol") or "").upper()
        if symbol and not self.prices.knows(symbol):
            raise unprocessable(f"asset {symbol} not found")
        if symbol and not self.config.is_tradable(symbol):
            raise unprocessable(f"asset {symbol} is not tradable")
        body = parse_order_body(raw, fractionable=self.config.is_fractionable(symbol))
        rejection = self.faults.take_rejection()
        if rejection is not None:
            if rejection.status == 200:
                return Response(200, self.broker.record_rejected(body, ctx.now, rejection.message).to_json())
            raise ApiError(rejection.status, rejection.code, rejection.message)
        return Response(200, self.broker.submit(body, ctx.now).to_json())

    def replace_order(self, ctx: RequestContext) -> Response:
        old = self.broker.find(ctx.params["order_id"])
        prior = OrderBody(
            old.symbol,
            old.side,
            old.time_in_force,
            old.client_order_id,
            old.qty,
            old.notional,
            old.order_type,
            old.limit_price,
            old.stop_price,
        )
        changes = parse_replacement(
            old.order_type, prior, ctx.json_body(), fractionable=self.config.is_fractionable(old.symbol)
        )
        return Response(200, self.broker.replace(old.id, changes, ctx.now).to_json())

    def _polled(self, order: OrderRecord, now: dt.datetime) -> dict[str, object]:
        self.broker.poll(order, now)
        return order.to_json()

    def get_order(self, ctx: RequestContext) -> Response:
        return Response(200, self._polled(self.broker.find(ctx.params["order_id"]), ctx.now))

    def order_by_client_id(self, ctx: RequestContext) -> Response:
        order = self.broker.orders_by_client_id.get(ctx.query.get("client_order_id", ""))
        if order is None:
            raise not_found("order not found")
        return Response(200, self._polled(order, ctx.now))

    def list_orders(self, ctx: RequestContext) -> Response:
        status = ctx.query.get("status", "open")
        if status not in {"open", "closed", "all"}:
            raise unprocessable(f"invalid status: {status}")
        limit = ctx.int_param("limit", 50, low=1, high=500)
        symbols = {s for s in ctx.query.get("symbols", "").upper().split(",") if s}
        side = ctx.query.get("side")
        after, until = _query_instant(ctx, "after"), _query_instant(ctx, "until")
        chosen = [
            (index, o)
            for index, o in enumerate(self.broker.orders)
            if (status == "all" or o.is_open == (status == "open"))
            and (not symbols or o.symbol in symbols)
            and (side is None or o.side == side)
            and (after is None or o.submitted_at > after)
            and (until is None or o.submitted_at < until)
        ]
        ascending = ctx.query.get("direction", "desc") == "asc"
        chosen.sort(key=lambda pair: (pair[1].submitted_at, pair[0]), reverse=not ascending)
        return Response(200, [self._polled(o, ctx.now) for _, o in chosen[:limit]])

    def cancel_order(self, ctx: RequestContext) -> Response:
        self.broker.cancel(ctx.params["order_id"], ctx.now)
        return Response(204)

    def cancel_orders(self, ctx: RequestContext) -> Response:
        canceled = self.broker.cancel_all(ctx.now)
        return Response(207, [{"id": o.id, "status": 200, "body": o.to_json()} for o in canceled])


def _opt_decimal(ctx: RequestContext, name: str) -> Decimal | None:
    text = ctx.query.get(name)
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise unprocessable(f"invalid {name}: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise unprocessable(f"{name} must be > 0")
    return value


def _query_date(ctx: RequestContext, name: str) -> dt.date | None:
    text = ctx.query.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise bad_request(f"invalid {name}: {text!r}") from None


def _query_instant(ctx: RequestContext, name: str) -> dt.datetime | None:
    text = ctx.query.get(name)
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"invalid {name}: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


__all__ = ["TradingRoutes"]
