"""Account activities (fills) and portfolio history, the two reports bots reconcile against.

- `GET /v2/account/activities[/{activity_type}]`: FILL activities, newest first by default, `after`/`until`/
  `date`, `direction`, `page_size` (<= 100) and `page_token` (the last id of the previous page). Other
  activity types (dividends, transfers, fees) never happen in the emulator, so they are empty lists.
- `GET /v2/account/portfolio/history`: daily equity at each session close, `timeframe=1D` only, `period`
  (`<n>D|W|M|A`, default 1M, at most 5 years) or `start`/`end`/`date_end` (1970-2029, else 422). Equity at
  a past close is today's cash and positions with the fills after that close undone, valued at that close.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from rebalancer_emulator.clock import NEW_YORK
from rebalancer_emulator.prices import to_price
from rebalancer_emulator.records import FillRecord
from rebalancer_emulator.routing import RequestContext, Response
from rebalancer_emulator.state import PaperBroker
from rebalancer_emulator.wire import bad_request, unprocessable

ACTIVITY_TYPES = frozenset(
    {"FILL", "TRANS", "MISC", "ACATC", "ACATS", "CSD", "CSW", "DIV", "DIVCGL", "DIVCGS", "DIVFEE",
     "DIVFT", "DIVNRA", "DIVROC", "DIVTW", "DIVTXEX", "FEE", "INT", "INTNRA", "INTTW", "JNL", "JNLC",
     "JNLS", "MA", "NC", "OPASN", "OPEXP", "OPXRC", "PTC", "PTR", "REORG", "SC", "SSO", "SSP", "CFEE"}
)  # fmt: skip
_PERIOD = re.compile(r"^(\d+)([DWMA])$")
# The emulator's calendar covers 1970-2029, as the spec's calendar does; a history spans at most 5 years.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2029, 12, 31)
MAX_HISTORY = dt.timedelta(days=5 * 366)
_PERIOD_DAYS = {"D": 1, "W": 7, "M": 30, "A": 365}


class AccountReports:
    def __init__(self, broker: PaperBroker) -> None:
        self.broker = broker

    def activities(self, ctx: RequestContext) -> Response:
        wanted = ctx.params.get("activity_type") or ctx.query.get("activity_types") or "FILL"
        types = {t.strip().upper() for t in wanted.split(",") if t.strip()}
        if not types <= ACTIVITY_TYPES:
            raise unprocessable(f"invalid activity type: {wanted}")
        if "FILL" not in types:
            return Response(200, [])
        fills = self._filtered(ctx, self.broker.fill_activities())
        direction = ctx.query.get("direction", "desc")
        if direction not in {"asc", "desc"}:
            raise unprocessable(f"invalid direction: {direction}")
        order = {f.id: n for n, f in enumerate(fills)}  # fills at one instant keep the order they happened
        fills.sort(key=lambda f: (f.at, order[f.id]), reverse=direction == "desc")
        token = ctx.query.get("page_token")
        if token:
            ids = [f.id for f in fills]
            fills = fills[ids.index(token) + 1 :] if token in ids else []
        size = ctx.int_param("page_size", 100, low=1, high=100)
        return Response(200, [f.to_json() for f in fills[:size]])

    @staticmethod
    def _filtered(ctx: RequestContext, fills: list[FillRecord]) -> list[FillRecord]:
        after, until = _instant(ctx, "after"), _instant(ctx, "until")
        day = ctx.query.get("date")
        on = _day(day, "date") if day else None
        return [
            f
            for f in fills
            if (after is None or f.at > after)
            and (until is None or f.at < until)
            and (on is None or f.at.astimezone(NEW_YORK).date() == on)
        ]

    def portfolio_history(self, ctx: RequestContext) -> Response:
        timeframe = ctx.query.get("timeframe", "1D")
        if timeframe != "1D":
            raise unprocessable(f"the emulator serves timeframe 1D only, got {timeframe!r}")
        calendar = self.broker.prices.calendar
        last = calendar.last_closed(ctx.now)
        if last is None:
            return Response(200, _history([], [], Decimal(0), None))
        end_text = ctx.query.get("end") or ctx.query.get("date_end")
        end = min(_day(end_text, "end"), last.date) if end_text else last.date
        start_text = ctx.query.get("start")
        start = _day(start_text, "start") if start_text else end - _period(ctx.query.get("period", "1M"))
        start = max(start, end - MAX_HISTORY)
        sessions = calendar.sessions(start, end) if start <= end else []
        closes = [s.close for s in sessions]
        equities = [self._equity_at(s.date, s.close) for s in sessions]
        base = equities[0] if equities else self.broker.equity(ctx.now)
        base_day = sessions[0].date if sessions else None
        return Response(200, _history(closes, equities, base, base_day))

    def _equity_at(self, day: dt.date, instant: dt.datetime) -> Decimal:
        b = self.broker
        cash, held = b.cash, {s: p.qty for s, p in b.positions.items()}
        for fill in reversed(b.fills):
            if fill.at <= instant:
                break
            signed = fill.qty if fill.order.side == "buy" else -fill.qty
            cash += (signed * fill.price).quantize(Decimal("0.01"))
            held[fill.order.symbol] = held.get(fill.order.symbol, Decimal(0)) - signed
        value = Decimal(0)
        for symbol, qty in held.items():
            close = b.prices.close_on_or_before(symbol, day)
            if close is not None and qty:
                value += qty * to_price(close)
        return (cash + value).quantize(Decimal("0.01"))


def _history(
    closes: list[dt.datetime], equities: list[Decimal], base: Decimal, base_day: dt.date | None
) -> dict[str, object]:
    day_stamps = [
        int(dt.datetime.combine(c.astimezone(NEW_YORK).date(), dt.time(), NEW_YORK).timestamp())
        for c in closes
    ]
    pnl = [e - base for e in equities]
    history: dict[str, object] = {
        "timestamp": day_stamps,
        "equity": [float(e) for e in equities],
        "profit_loss": [float(p) for p in pnl],
        "profit_loss_pct": [float(p / base) if base else 0.0 for p in pnl],
        "base_value": float(base),
        "timeframe": "1D",
    }
    if base_day is not None:  # the spec's base_value_asof is a date string, never null
        history["base_value_asof"] = base_day.isoformat()
    return history


def _period(text: str) -> dt.timedelta:
    found = _PERIOD.match(text)
    if not found or int(found.group(1)) < 1:
        raise unprocessable(f"invalid period: {text!r} (e.g. 1M, 2W, 1A)")
    return dt.timedelta(days=min(int(found.group(1)) * _PERIOD_DAYS[found.group(2)], 366 * 30))


def _day(text: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise bad_request(f"invalid {name}: {text!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise unprocessable(f"{name} must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def _instant(ctx: RequestContext, name: str) -> dt.datetime | None:
    text = ctx.query.get(name)
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"invalid {name}: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=NEW_YORK)
