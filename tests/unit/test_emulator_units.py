"""Emulator building blocks without HTTP: order-body rules, clock, calendar, price model, fault script."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rebalancer.errors import ConfigError
from rebalancer.market.history import PriceHistory
from rebalancer_emulator.clock import NEW_YORK, MarketCalendar, SimClock, parse_instant
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.prices import PriceModel, to_price
from rebalancer_emulator.rules import parse_order_body
from rebalancer_emulator.wire import ApiError, dec_str

BASE = {"symbol": "SPY", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "c"}


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"qty": None}, 422, "qty or notional is required"),
        ({"notional": 5, "qty": 1}, 422, "only one of qty or notional may be specified"),
        ({"side": "short"}, 422, "invalid side: short"),
        ({"type": "limit"}, 422, "limit_price is required for limit orders"),
        (
            {"type": "limit", "limit_price": "10.005"},
            422,
            "invalid limit_price 10.005. sub-penny increment does not fulfill minimum pricing criteria",
        ),
        (
            {"type": "limit", "limit_price": 10, "qty": None, "notional": 5},
            422,
            "notional orders must be market orders",
        ),
        (
            {"type": "trailing_stop", "trail_percent": 1},
            422,
            "the emulator does not model trailing_stop orders",
        ),
        ({"type": "bogus"}, 422, "invalid order type: bogus"),
        ({"type": "stop"}, 422, "stop_price is required for stop orders"),
        ({"type": "stop_limit", "stop_price": 10}, 422, "limit_price is required for stop_limit orders"),
        ({"limit_price": 10}, 422, "limit_price is not allowed on market orders"),
        ({"time_in_force": "ioc"}, 422, "the emulator supports time_in_force day or gtc only (got 'ioc')"),
        ({"time_in_force": "gtc", "qty": Decimal("0.5")}, 422, "fractional orders must be DAY orders"),
        ({"time_in_force": "gtc", "qty": None, "notional": 5}, 422, "notional orders must be DAY orders"),
        ({"qty": 0}, 422, "qty must be > 0"),
        ({"qty": "1.0000000001"}, 422, "qty can have at most 9 decimal places"),
        ({"qty": "lots"}, 422, "invalid qty: 'lots'"),
        ({"qty": True}, 422, "qty must be a number"),
        ({"qty": "NaN"}, 422, "invalid qty: 'NaN'"),
        ({"symbol": None}, 422, "symbol is required"),
        ({"symbol": 7}, 422, "symbol must be a string"),
        ({"client_order_id": "x" * 129}, 422, "client_order_id must be no more than 128 characters"),
        ({"extended_hours": True}, 422, "extended hours order must be DAY limit orders"),
        ({"qty": None, "notional": Decimal("0.99")}, 403, "cost basis must be >= 1"),
    ],
)
def test_order_bodies_are_refused_like_alpaca(change: dict[str, object], status: int, message: str) -> None:
    body = {**BASE, "qty": 1, **change}
    with pytest.raises(ApiError) as err:
        parse_order_body({k: v for k, v in body.items() if v is not None}, fractionable=True)
    assert (err.value.status, err.value.message) == (status, message)


def test_a_valid_body_gets_a_client_order_id_when_none_is_given() -> None:
    body = parse_order_body({**BASE, "client_order_id": "", "qty": "2.5"}, fractionable=True)
    assert body.qty == Decimal("2.5")
    assert len(body.client_order_id) == 36


def test_clock_reads_naive_times_as_new_york_and_can_be_moved() -> None:
    assert not SimClock().frozen
    clock = SimClock("2024-07-01T09:30", frozen=True)
    assert clock.now() == dt.datetime(2024, 7, 1, 13, 30, tzinfo=dt.UTC)  # EDT
    assert clock.freeze() == clock.now()
    assert clock.advance(dt.timedelta(minutes=5)) == clock.now()
    assert clock.advance(30).minute == 35
    moved = clock.set(dt.datetime(2024, 7, 2, 16, tzinfo=dt.UTC))
    assert clock.now() == moved
    assert clock.unfreeze() >= moved
    assert not clock.frozen  # running again
    with pytest.raises(ConfigError):
        parse_instant("next tuesday")


def test_the_calendar_widens_itself_when_asked_about_far_dates() -> None:
    calendar = MarketCalendar(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert calendar.session(dt.date(2031, 12, 25)) is None  # Christmas
    session = calendar.session(dt.date(2031, 12, 26))
    assert session is not None
    assert session.open.astimezone(NEW_YORK).time() == dt.time(9, 30)
    assert calendar.last_closed(dt.datetime(1995, 1, 3, 22, tzinfo=dt.UTC)) is not None


def test_the_price_model_handles_missing_opens_and_the_end_of_data() -> None:
    history = PriceHistory.from_columns(
        ["2024-01-02", "2024-01-03"], {"SPY": [100.0, 110.0], "NEW": [float("nan"), 5.0]}
    )
    model = PriceModel(history, MarketCalendar(dt.date(2023, 12, 1), dt.date(2024, 2, 28)))
    at_open = dt.datetime(2024, 1, 3, 9, 30, tzinfo=NEW_YORK)
    assert model.price_at("SPY", at_open) == Decimal("100.00")  # no open: the previous close
    assert model.price_at("SPY", dt.datetime(2024, 2, 1, 12, tzinfo=NEW_YORK)) == Decimal("110.00")  # stale
    assert (
        model.price_at("NEW", dt.datetime(2024, 1, 2, 12, tzinfo=NEW_YORK)) is None
    )  # before its first price
    assert model.price_at("QQQ", at_open) is None
    assert model.previous_close("SPY", dt.datetime(2024, 1, 3, 20, tzinfo=NEW_YORK)) == Decimal("100.00")
    week_before = at_open - dt.timedelta(days=5)
    rows = model.closed_bar_rows("NEW", at_open + dt.timedelta(hours=8), week_before, at_open)
    bars = model.bars_json("NEW", rows, as_of=at_open + dt.timedelta(hours=8))
    assert [(b["t"], b["o"], b["c"]) for b in bars] == [("2024-01-03T05:00:00Z", 5.0, 5.0)]


def test_prices_keep_exchange_precision_and_decimals_print_plainly() -> None:
    assert (to_price(123.456), to_price(0.123456)) == (Decimal("123.46"), Decimal("0.1235"))
    assert (dec_str(Decimal("1E+2")), dec_str(Decimal("-0.000")), dec_str(Decimal("2.50"))) == (
        "100",
        "0",
        "2.5",
    )


def test_faults_from_json_specs() -> None:
    faults = FaultInjector()
    faults.apply({"kind": "missing_bars", "symbols": "SPY"})
    faults.apply({"kind": "stale_bars", "symbols": ["BIL", "TLT"], "sessions": 3})
    faults.apply({"kind": "partial_fills", "parts": 3})
    faults.apply({"kind": "lose_response", "endpoint": "submit_order", "how": "reset", "times": 2})
    assert faults.missing_bar_symbols == {"SPY"}
    assert faults.stale_bar_sessions == {"BIL": 3, "TLT": 3}
    assert faults.take_partial_fill() == faults.take_partial_fill()  # a default for every order
    first = faults.take_lost_response("submit_order", "trading")
    assert first is not None
    assert first.how == "reset"
    for bad in ({"kind": "latency", "speed": 3}, {"kind": "stale_bars", "symbols": 5}):
        with pytest.raises(ConfigError):
            faults.apply(bad)
    with pytest.raises(ConfigError):
        faults.lose_response(how="later")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        faults.partial_fills(parts=2, stop_after=3)


def test_config_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="fill_parts"):
        EmulatorConfig(fill_parts=0)
    with pytest.raises(ValueError, match="initial_cash"):
        EmulatorConfig(initial_cash=Decimal(-1))
    config = EmulatorConfig(untradable=frozenset({"X"}), exchanges={"AAPL": "NASDAQ"})
    assert (config.is_tradable("X"), config.exchange_of("AAPL"), config.exchange_of("SPY")) == (
        False,
        "NASDAQ",
        "ARCA",
    )
