"""Price collars: the limit each collared order carries, its quantity, the journal and the config."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.broker.models import OrderRequest, OrderSide
from rebalancer.config import check_config
from rebalancer.run.collars import limit_price, tick, with_collar
from rebalancer.run.result import Leg

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def _leg(side: OrderSide, price: str, *, qty: str | None = None, notional: str | None = None) -> Leg:
    return Leg(
        "cid",
        "SPY",
        side,
        None if qty is None else Decimal(qty),
        None if notional is None else Decimal(notional),
        Decimal(price),
    )


def test_a_buy_is_limited_above_and_a_sell_below_the_live_price() -> None:
    assert limit_price(BUY, Decimal("100"), Decimal("0.01")) == Decimal("101.00")
    assert limit_price(SELL, Decimal("100"), Decimal("0.01")) == Decimal("99.00")


def test_the_limit_stays_inside_the_collar_on_the_cent() -> None:
    # 14.29 x 1.01 = 14.4329: a buy rounds down to 14.43, a sell (14.1471) up to 14.15.
    assert limit_price(BUY, Decimal("14.29"), Decimal("0.01")) == Decimal("14.43")
    assert limit_price(SELL, Decimal("14.29"), Decimal("0.01")) == Decimal("14.15")


def test_below_a_dollar_the_limit_has_four_decimals() -> None:
    assert limit_price(BUY, Decimal("0.5123"), Decimal("0.01")) == Decimal("0.5174")
    assert limit_price(SELL, Decimal("0.5123"), Decimal("0.01")) == Decimal("0.5072")


def test_a_collar_narrower_than_the_tick_still_leaves_the_order_marketable() -> None:
    # 1.005 x 1.001 rounds down to 1.00, below the live price: the limit is the next tick up instead.
    assert limit_price(BUY, Decimal("1.005"), Decimal("0.001")) == Decimal("1.01")
    assert limit_price(SELL, Decimal("1.005"), Decimal("0.001")) == Decimal("1.00")


@given(
    live=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=4),
    collar=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.1"), places=3),
)
def test_every_limit_is_marketable_on_the_tick_and_at_most_a_tick_beyond_the_collar(
    live: Decimal, collar: Decimal
) -> None:
    buy, sell = limit_price(BUY, live, collar), limit_price(SELL, live, collar)
    for limit in (buy, sell):
        assert limit == limit.quantize(tick(limit))
    assert live <= buy <= max(live * (1 + collar), live + tick(live))
    assert min(live * (1 - collar), live - tick(live)) <= sell <= live
    assert sell > 0


def test_a_notional_buy_becomes_a_quantity_worth_at_least_the_notional() -> None:
    collared = with_collar(_leg(BUY, "40.01", notional="9799.99"), Decimal("0.01"))
    assert collared.notional is None
    assert collared.qty is not None
    assert collared.qty == Decimal("244.938515372")  # 9799.99 / 40.01 = 244.9385153711..., rounded up
    assert collared.qty * Decimal("40.01") >= Decimal("9799.99")
    assert collared.limit_price == Decimal("40.41")


def test_a_quantity_order_keeps_its_quantity() -> None:
    collared = with_collar(_leg(SELL, "91.01", qty="538.402373365"), Decimal("0.02"))
    assert collared.qty == Decimal("538.402373365")
    assert collared.limit_price == Decimal("89.19")


def test_without_a_collar_or_a_price_the_leg_stays_a_market_order() -> None:
    leg = _leg(BUY, "0", notional="100")
    assert with_collar(leg, Decimal("0.01")) is leg
    assert with_collar(_leg(BUY, "10", notional="100"), None).limit_price is None


def test_the_journal_keeps_the_limit_so_a_resume_resends_the_same_order() -> None:
    collared = with_collar(_leg(BUY, "40.01", notional="9799.99"), Decimal("0.01"))
    again = Leg.from_dict(collared.to_dict())
    assert again == collared
    assert again.request().limit_price == Decimal("40.41")
    # A journal written before collars existed reads as market orders.
    old = {k: v for k, v in _leg(BUY, "10", notional="100").to_dict().items() if k != "limit_price"}
    assert Leg.from_dict(old).limit_price is None


def test_a_limit_order_request_needs_a_quantity_and_a_positive_price() -> None:
    with pytest.raises(ValueError, match="limit order"):
        OrderRequest("SPY", BUY, "cid", notional=Decimal(100), limit_price=Decimal(10))
    with pytest.raises(ValueError, match="limit order"):
        OrderRequest("SPY", BUY, "cid", qty=Decimal(1), limit_price=Decimal(0))


def _problems(tmp_path: Path, execution: str) -> dict[str, str]:
    path = tmp_path / "c.yaml"
    path.write_text(f"env: paper\nexecution:\n{execution}", encoding="utf-8")
    return {p.path: p.message for p in check_config(path, env={}, verify_strategies=False)}


def test_the_config_refuses_a_collar_the_cash_buffer_cannot_pay_for(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "  price_collar: 0.03\n")
    assert list(problems) == ["execution.price_collar"]
    assert "larger than cash_buffer 0.02" in problems["execution.price_collar"]
    assert not problems["execution.price_collar"].startswith("Value error")
    assert _problems(tmp_path, "  price_collar: 0.03\n  cash_buffer: 0.03\n") == {}
    assert list(_problems(tmp_path, "  price_collar: 0\n")) == ["execution.price_collar"]
