"""No order the record does not know: a submission without a clear answer is settled by later lookups.

Regression (issue 10): a POST that outlived the client's read timeout was looked up (not there yet) and
posted again; the re-post was refused (403), the leg was recorded `not placed`, and then the first POST
was processed at the broker and filled. Nothing looked again.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from run_fakes import FakeBroker, et, make_ports, make_settings

from rebalancer.alpaca.broker import AlpacaBroker
from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.broker.models import Order, OrderRequest, OrderSide
from rebalancer.errors import BrokerError
from rebalancer.run import RunStatus, run
from rebalancer_research.market.synthetic import synthetic_market

DAY = "2026-01-05"
HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)


class LateBroker(FakeBroker):
    """The first POST of `late` gets no clear answer; the broker processes it during the fill wait."""

    def __init__(self, prices: dict[str, Decimal], late: str) -> None:
        super().__init__(prices)
        self.late = late
        self.in_flight: OrderRequest | None = None

    def submit_order(self, request: OrderRequest) -> Order:
        if request.symbol == self.late and self.in_flight is None:
            self.in_flight = request
            self.submits.append(request.client_order_id)
            raise BrokerError(
                "insufficient buying power (after an unanswered attempt that may still arrive)",
                code="submit-ambiguous",
                status=403,
            )
        return super().submit_order(request)

    def list_open_orders(self, symbols: Any = None) -> list[Order]:
        if self.in_flight is not None and self.in_flight.client_order_id not in self.by_client:
            super().submit_order(self.in_flight)  # the first POST is processed now, and fills
        return super().list_open_orders(symbols)


def test_an_order_that_arrives_after_its_submission_looked_refused_is_adopted(tmp_path: Path) -> None:
    prices = {s: Decimal(repr(float(HISTORY.close[-1, i]))) for i, s in enumerate(HISTORY.symbols)}
    broker = LateBroker(prices, late="GLD")
    broker.fill_after_polls = 1
    now = et(DAY)
    ports, _ = make_ports(broker, HISTORY, now)
    result = run(make_settings(tmp_path), ports, now)
    gld = next(o for o in result.outcomes if o.symbol == "GLD")
    assert gld.order is not None
    assert gld.is_filled
    assert gld.adopted
    assert result.status is RunStatus.COMPLETED, result.report
    assert "adopted" in result.report
    recorded = json.loads(ports.store.get_record(result.run_id, "orders.json"))
    assert next(o for o in recorded if o["symbol"] == "GLD")["status"] == "filled"
    assert sum(1 for o in broker.orders.values() if o.symbol == "GLD") == 1


def test_the_adapter_does_not_call_a_refused_re_post_a_settled_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker = AlpacaBroker(AlpacaCredentials("PKTEST", "secret"))
    answers = [
        BrokerError("read timed out", code="timeout"),
        BrokerError("insufficient buying power", code="forbidden", status=403),
    ]

    def post(request: OrderRequest) -> Any:
        raise answers.pop(0)

    monkeypatch.setattr(broker, "_post", post)
    monkeypatch.setattr(broker, "get_order_by_client_id", lambda client_id: None)
    request = OrderRequest("SPY", OrderSide.BUY, "rb-x-SPY-b1", qty=Decimal(1))
    with pytest.raises(BrokerError) as err:
        broker.submit_order(request)
    assert err.value.code == "submit-ambiguous"
