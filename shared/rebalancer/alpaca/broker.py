"""The Broker port on Alpaca's Trading API, through the official alpaca-py client.

    >>> broker = AlpacaBroker(AlpacaCredentials("PK...", "..."), base_url="http://127.0.0.1:8765")
    >>> broker.get_account().equity  # doctest: +SKIP
    Decimal('100000')

Reads are retried (backoff with jitter). An order is posted once; when the outcome is ambiguous
(timeout, reset, 5xx) or the id is already taken, the order is looked up by its client_order_id and
re-posted only when the broker confirms it has no such order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rebalancer.alpaca.convert import (
    to_account,
    to_asset,
    to_clock,
    to_order,
    to_position,
    to_trading_day,
)
from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy, Timeouts, harden
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.broker.models import (
    Account,
    AssetInfo,
    MarketClock,
    Order,
    OrderRequest,
    OrderSide,
    Position,
    TradingDay,
)
from rebalancer.errors import BrokerError

AMBIGUOUS_CODES = frozenset({"timeout", "connection-failed", "server-error"})


class OrderRejected(BrokerError):
    """The broker definitively refused an order (buying power, wash trade, fractionability...)."""

    default_code = "order-rejected"


class AlpacaBroker:
    def __init__(
        self,
        credentials: AlpacaCredentials,
        *,
        base_url: str | None = None,
        paper: bool = True,
        timeouts: Timeouts | None = None,
        limiter: RateLimiter | None = None,
        policy: CallPolicy | None = None,
        submit_attempts: int = 3,
        max_parallel: int = 8,
    ) -> None:
        self._credentials = credentials
        self._base_url = base_url.rstrip("/") if base_url else None
        self._paper = paper
        self._timeouts = timeouts or Timeouts()
        self.policy = policy or CallPolicy(limiter or RateLimiter())
        self._submit_attempts = submit_attempts
        self._max_parallel = max_parallel
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The alpaca-py TradingClient, created on first use."""
        if self._client is None:
            from alpaca.trading.client import TradingClient

            client = TradingClient(
                self._credentials.key_id,
                self._credentials.secret_key,
                paper=self._paper,
                url_override=self._base_url,
            )
            harden(client, self._timeouts)
            self._client = client
        return self._client

    # -- reads --------------------------------------------------------------------------------

    def get_account(self) -> Account:
        return to_account(self.policy.read("get account", self.client.get_account))

    def get_positions(self) -> list[Position]:
        return [to_position(p) for p in self.policy.read("list positions", self.client.get_all_positions)]

    def get_asset(self, symbol: str) -> AssetInfo:
        return to_asset(self.policy.read(f"get asset {symbol}", lambda: self.client.get_asset(symbol)))

    def get_assets(self, symbols: Sequence[str]) -> dict[str, AssetInfo]:
        """Many assets at once: parallel requests, so one round trip on the critical path."""
        unique = sorted(set(symbols))
        if not unique:
            return {}
        with ThreadPoolExecutor(max_workers=min(self._max_parallel, len(unique))) as pool:
            infos = list(pool.map(self.get_asset, unique))
        return {info.symbol: info for info in infos}

    def get_clock(self) -> MarketClock:
        return to_clock(self.policy.read("get clock", self.client.get_clock))

    def get_calendar(self, start: dt.date, end: dt.date) -> list[TradingDay]:
        from alpaca.trading.requests import GetCalendarRequest

        request = GetCalendarRequest(start=start, end=end)
        days = self.policy.read("get calendar", lambda: self.client.get_calendar(request))
        return [to_trading_day(day) for day in days]

    def get_order(self, order_id: str) -> Order:
        return to_order(
            self.policy.read(f"get order {order_id}", lambda: self.client.get_order_by_id(order_id))
        )

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order with this client_order_id, or None when Alpaca has none (404)."""
        try:
            raw = self.policy.read(
                f"look up order {client_order_id}",
                lambda: self.client.get_order_by_client_id(client_order_id),
            )
        except BrokerError as err:
            if err.code == "not-found":
                return None
            raise
        return to_order(raw)

    def list_open_orders(self, symbols: Sequence[str] | None = None) -> list[Order]:
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.requests import GetOrdersRequest

        request = GetOrdersRequest(
            status=QueryOrderStatus.OPEN, limit=500, symbols=list(symbols) if symbols else None
        )
        orders = self.policy.read("list open orders", lambda: self.client.get_orders(filter=request))
        return [to_order(o) for o in orders]

    # -- writes -------------------------------------------------------------------------------

    def cancel_order(self, order_id: str) -> None:
        """Cancel one order; an order that is already gone (filled/canceled) is not an error here."""
        try:
            self.policy.once(f"cancel order {order_id}", lambda: self.client.cancel_order_by_id(order_id))
        except BrokerError as err:
            if err.status in (404, 422):
                return
            raise

    def submit_order(self, request: OrderRequest) -> Order:
        """Post a DAY order (market, or limit when collared) once; resolve every unclear outcome by
        client_order_id."""
        last_error: BrokerError | None = None
        ambiguous = False  # an earlier attempt may have reached the broker
        for _ in range(self._submit_attempts):
            try:
                return to_order(self.policy.once(f"submit {_describe(request)}", lambda: self._post(request)))
            except BrokerError as err:
                last_error = err
                if not _maybe_accepted(err) and ambiguous:
                    # The re-post was refused, but the first POST may still be processed and fill:
                    # not a settled refusal. The run looks the id up again later (never posts blindly).
                    raise BrokerError(
                        f"{err.message} (after an unanswered attempt that may still arrive)",
                        code="submit-ambiguous",
                        hint="the run looks the order up again before it reports",
                        status=err.status,
                        broker_code=err.broker_code,
                    ) from None
                if not _maybe_accepted(err):
                    raise OrderRejected(
                        err.message,
                        code="order-rejected",
                        hint=err.hint or "see Alpaca's message",
                        status=err.status,
                        broker_code=err.broker_code,
                    ) from None
            ambiguous = True
            existing = self.get_order_by_client_id(request.client_order_id)
            if existing is not None:
                return existing
            if last_error.status == 422:
                raise OrderRejected(last_error.message, status=422, broker_code=last_error.broker_code)
        assert last_error is not None
        raise BrokerError(
            f"submit {_describe(request)}: no answer after {self._submit_attempts} attempts "
            f"and no order {request.client_order_id} at the broker",
            code="submit-failed",
            hint="Alpaca did not accept the order; the next run will retry it under the same id",
            status=last_error.status,
        )

    def _post(self, request: OrderRequest) -> Any:
        from alpaca.trading.enums import OrderSide as AlpacaSide
        from alpaca.trading.enums import TimeInForce
        from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest

        fields: dict[str, Any] = {
            "symbol": request.symbol,
            "side": AlpacaSide.BUY if request.side is OrderSide.BUY else AlpacaSide.SELL,
            "time_in_force": TimeInForce.DAY,
            "qty": float(request.qty) if request.qty is not None else None,
            "notional": float(request.notional) if request.notional is not None else None,
            "client_order_id": request.client_order_id,
        }
        if request.limit_price is None:
            return self.client.submit_order(MarketOrderRequest(**fields))
        return self.client.submit_order(LimitOrderRequest(**fields, limit_price=float(request.limit_price)))


def _maybe_accepted(err: BrokerError) -> bool:
    """Could the broker have accepted the order despite this error? Then look it up before anything else."""
    if err.code in AMBIGUOUS_CODES or err.code == "rate-limited":
        return True
    # A taken client_order_id means an earlier attempt (or run) already placed it.
    return err.status == 422 and "client_order_id" in err.message


def _describe(request: OrderRequest) -> str:
    amount = f"qty {request.qty}" if request.qty is not None else f"${request.notional}"
    if request.limit_price is not None:
        amount += f" limit {request.limit_price}"
    return f"{request.side.value} {request.symbol} {amount} ({request.client_order_id})"
