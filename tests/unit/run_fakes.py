"""A small in-memory broker, market data and fake time for the run's unit tests (not a test module)."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import exchange_calendars as xcals

from rebalancer.broker.models import (
    Account,
    AssetInfo,
    MarketClock,
    Order,
    OrderRequest,
    OrderSide,
    OrderStatus,
    Position,
    TradingDay,
)
from rebalancer.errors import BrokerError
from rebalancer.market.history import PriceHistory
from rebalancer.run.holds import account_key
from rebalancer.run.ports import Ports
from rebalancer.run.settings import ExecutionSettings, RunSettings
from rebalancer.state.base import RunKey
from rebalancer.strategies import StrategySpec
from rebalancer_tools.local.memory import FixedClock, MemoryHaltFlag, MemoryNotifier, MemoryStore

NY = ZoneInfo("America/New_York")
_CAL = xcals.get_calendar("XNYS", start="2015-01-01", end="2027-12-31")

TEST_SYMPHONY = """(defsymphony "Test" {:asset-class "EQUITIES", :rebalance-frequency :daily}
 (weight-equal
  [(if (> (current-price "SPY") (moving-average-price "SPY" {:window 20}))
     [(weight-specified 0.6 (asset "SPY") 0.4 (asset "TLT"))]
     [(weight-specified 0.5 (asset "BIL") 0.5 (asset "TLT"))])
   (asset "GLD")]))
"""


def et(day: str, hhmm: str = "09:35") -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=NY).astimezone(
        dt.UTC
    )


class FakeTime:
    """sleep() advances monotonic() instantly."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def monotonic(self) -> float:
        return self.t


class FakeMarketData:
    """Bars from `history`; live prices from `live()` (default: the last close, as on a quiet open)."""

    def __init__(
        self, history: PriceHistory, live: Callable[[], Mapping[str, Decimal]] | None = None
    ) -> None:
        self.history = history
        self.live = live
        self.calls = 0
        self.live_calls = 0

    def latest_prices(self, symbols: Collection[str]) -> dict[str, Decimal]:
        self.live_calls += 1
        if self.live is None:
            last = self.history.close[-1]
            source = {s: Decimal(repr(float(last[i]))) for i, s in enumerate(self.history.symbols)}
        else:
            source = dict(self.live())
        return {s: source[s] for s in symbols if s in source}

    def daily_history(self, symbols: Collection[str], start: dt.date, end: dt.date) -> PriceHistory:
        self.calls += 1
        return self.history.select(symbols).between(start, end)


class FakeBroker:
    """Fills market orders at `prices` (immediately, or after `fill_after_polls` open-order listings)."""

    def __init__(self, prices: dict[str, Decimal], cash: Decimal = Decimal(100_000)) -> None:
        self.prices = dict(prices)
        self.cash = cash
        self.positions: dict[str, Decimal] = {}
        self.orders: dict[str, Order] = {}
        self.by_client: dict[str, str] = {}
        self.submits: list[str] = []
        self.requests: list[OrderRequest] = []
        self.cancels: list[str] = []
        self.reject: set[str] = set()
        self.never_fill: set[str] = set()
        self.non_fractionable: set[str] = set()
        self.fill_after_polls = 0
        self.partial_once: dict[str, Decimal] = {}  # symbol -> fraction its next order fills, then stalls
        self.check_buying_power = True  # refuse a buy costing more than the cash not yet reserved
        self._polls: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.now = et("2026-01-05")

    # -- reads ------------------------------------------------------------------------------
    def get_account(self) -> Account:
        equity = self.cash + sum((q * self.prices[s] for s, q in self.positions.items()), Decimal(0))
        reserved = sum(
            (
                o.notional or (o.qty or Decimal(0)) * self.prices[o.symbol]
                for o in self.orders.values()
                if o.status.is_open and o.side == "buy"
            ),
            Decimal(0),
        )
        return Account("acct", "ACTIVE", self.cash, equity, self.cash - reserved, equity)

    def get_positions(self) -> list[Position]:
        return [
            Position(s, q, q * self.prices[s], self.prices[s], self.prices[s], q)
            for s, q in sorted(self.positions.items())
            if q != 0
        ]

    def get_asset(self, symbol: str) -> AssetInfo:
        return AssetInfo(symbol, True, symbol not in self.non_fractionable)

    def get_assets(self, symbols: Sequence[str]) -> dict[str, AssetInfo]:
        return {s: self.get_asset(s) for s in symbols}

    def get_clock(self) -> MarketClock:
        return MarketClock(self.now, True, self.now, self.now)

    def get_calendar(self, start: dt.date, end: dt.date) -> list[TradingDay]:
        sessions = _CAL.sessions_in_range(start.isoformat(), end.isoformat())
        days = []
        for session in sessions:
            opened = _CAL.session_open(session).tz_convert(NY).to_pydatetime()
            closed = _CAL.session_close(session).tz_convert(NY).to_pydatetime()
            days.append(TradingDay(session.date(), opened, closed))
        return days

    # -- orders -----------------------------------------------------------------------------
    def submit_order(self, request: OrderRequest) -> Order:
        with self._lock:
            self.submits.append(request.client_order_id)
            self.requests.append(request)
            existing = self.by_client.get(request.client_order_id)
            if existing is not None:
                return self.orders[existing]
            if request.symbol in self.reject:
                raise BrokerError("insufficient buying power", code="order-rejected", status=403)
            if request.symbol in self.non_fractionable and request.notional is not None:
                raise BrokerError("requested asset is not fractionable", code="order-rejected", status=422)
            if request.side is OrderSide.BUY and self.check_buying_power:
                # Alpaca reserves a limit buy's buying power at its limit.
                price = request.limit_price or self.prices[request.symbol]
                cost = request.notional or (request.qty or Decimal(0)) * price
                if cost > self.get_account().buying_power:
                    raise BrokerError("insufficient buying power", code="order-rejected", status=403)
            order_id = f"o{next(self._ids)}"
            order = Order(
                order_id,
                request.client_order_id,
                request.symbol,
                request.side,
                OrderStatus.NEW,
                request.qty,
                request.notional,
                Decimal(0),
                None,
                self.now,
            )
            self.orders[order_id] = order
            self.by_client[request.client_order_id] = order_id
            self._polls[order_id] = 0
            if self.fill_after_polls == 0:
                self._fill(order_id)
            return self.orders[order_id]

    def _fill(self, order_id: str) -> None:
        order = self.orders[order_id]
        if order.symbol in self.never_fill or order.status is not OrderStatus.NEW:
            return
        price = self.prices[order.symbol]
        qty = (
            order.qty
            if order.qty is not None
            else (order.notional / price).quantize(Decimal("1e-9"), ROUND_DOWN)
        )
        status = OrderStatus.FILLED
        fraction = self.partial_once.pop(order.symbol, None)
        if fraction is not None:  # part fills now; the rest never does (until canceled)
            qty = (qty * fraction).quantize(Decimal("1e-9"), ROUND_DOWN)
            status = OrderStatus.PARTIALLY_FILLED
        sign = 1 if order.side is OrderSide.BUY else -1
        self.positions[order.symbol] = self.positions.get(order.symbol, Decimal(0)) + sign * qty
        self.cash -= sign * qty * price
        self.orders[order_id] = replace(
            order, status=status, filled_qty=qty, filled_avg_price=price, filled_at=self.now
        )

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        order_id = self.by_client.get(client_order_id)
        return None if order_id is None else self.orders[order_id]

    def get_order(self, order_id: str) -> Order:
        return self.orders[order_id]

    def list_open_orders(self, symbols: Sequence[str] | None = None) -> list[Order]:
        with self._lock:
            for order_id, order in list(self.orders.items()):
                if order.status.is_open:
                    self._polls[order_id] = self._polls.get(order_id, 0) + 1
                    if self._polls[order_id] >= self.fill_after_polls:
                        self._fill(order_id)
            return [o for o in self.orders.values() if o.status.is_open]

    def cancel_order(self, order_id: str) -> None:
        self.cancels.append(order_id)
        order = self.orders[order_id]
        if order.status.is_open:
            self.orders[order_id] = replace(order, status=OrderStatus.CANCELED, canceled_at=self.now)

    def close_position(self, symbol: str) -> Order:
        raise AssertionError("the run must sell by qty with a client_order_id, never close_position")

    def add_open_order(self, client_order_id: str, symbol: str) -> Order:
        order = Order(
            f"o{next(self._ids)}",
            client_order_id,
            symbol,
            OrderSide.BUY,
            OrderStatus.NEW,
            Decimal(1),
            None,
            Decimal(0),
            None,
            self.now,
        )
        self.orders[order.order_id] = order
        self.by_client[client_order_id] = order.order_id
        self._polls[order.order_id] = -(10**9)  # never fills on its own
        return order

    def holdings_value(self) -> dict[str, Decimal]:
        return {s: q * self.prices[s] for s, q in self.positions.items() if q}


def make_settings(tmp: Path, **changes: object) -> RunSettings:
    path = tmp / "test.clj"
    path.write_text(TEST_SYMPHONY)
    base = RunSettings(
        env="paper",
        strategies=(StrategySpec("test", path, 1.0),),
        execution=ExecutionSettings(fill_timeout_s=10, poll_initial_s=0.1, poll_max_s=1.0),
        lookback_margin=5,
        config_doc={"env": "paper", "strategies": {"test": 1.0}},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def make_ports(broker: FakeBroker, history: PriceHistory, now: dt.datetime) -> tuple[Ports, FakeTime]:
    clock = FakeTime()
    ports = Ports(
        broker=broker,
        market_data=FakeMarketData(history, live=lambda: broker.prices),
        store=MemoryStore(),
        halt_flag=MemoryHaltFlag(),
        notifier=MemoryNotifier(),
        clock=FixedClock(now),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    return ports, clock


def expire_leases(store: MemoryStore, key: RunKey) -> None:
    """Let the run's leases run out (as after a crash): its run lease and the account lock."""
    store.expire_lease(key)
    store.expire_lease(account_key(key))
