"""Every branch of the KLM variant 530/18 "KMLM Switcher (Anansi mods)", evaluated on its own.

Branch table: VIX chain (SPY, IOO, QQQ, VTV, XLP, XLF, RETL) -> blends; RSI70(SPY) > 63 -> the two
"overbought" groups (A: AGG vs QQQ; B: the "or" chain of QQQ RSIs -> VIXY); else the holy grail
(VOX/XLP blends, the TQQQ crash bot, bull and bear regimes, KMLM+FNGU).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from builtin_check import assert_last_session
from builtin_craft import Craft
from test_builtin_klm_variants import variant

NAME = "530/18 KMLM Switcher (Anansi mods)"
THIRD = 1 / 3
BLEND_PP = {"UVXY": 2 * THIRD, "VIXM": THIRD}
BLEND_P = {"UVXY": THIRD, "VXX": THIRD, "VIXM": THIRD}
BLEND = {"VIXY": THIRD, "VXX": THIRD, "VIXM": THIRD}
METALS = {"GLD": 0.5, "SLV": 0.25, "PDBC": 0.25}
RISK_ON = dict.fromkeys(("TQQQ", "SPXL", "SOXL", "FNGU", "ERX"), 0.2)


def _mix(*parts: dict[str, float]) -> dict[str, float]:
    """Equal weight of several allocations."""
    out: dict[str, float] = {}
    for part in parts:
        for symbol, weight in part.items():
            out[symbol] = out.get(symbol, 0.0) + weight / len(parts)
    return out


def check(shape: Callable[[Craft], object], expected: dict[str, float], path=()) -> list[str]:
    symphony = variant(NAME)
    craft = Craft(symphony.symbols)
    shape(craft)
    return assert_last_session(symphony, craft.history(), expected, path)


# (symbol, entry threshold, inner threshold, above-inner holding, below-inner holding)
VIX_CHAIN = [
    ("SPY", 80, 82.5, BLEND_PP, BLEND_P),
    ("IOO", 80, 82.5, BLEND_PP, BLEND_P),
    ("QQQ", 79, 82.5, BLEND_PP, BLEND_P),
    ("VTV", 79, 85, BLEND_P, BLEND),
    ("XLP", 77, 85, BLEND_P, BLEND),
    ("XLF", 81, 85, BLEND_P, BLEND),
    ("RETL", 82, 85, BLEND, {"BTAL": 0.5, "BIL": 0.5}),
]


@pytest.mark.parametrize("row", VIX_CHAIN, ids=[r[0] for r in VIX_CHAIN])
@pytest.mark.parametrize("above_inner", [True, False], ids=["above-inner", "below-inner"])
def test_vix_chain(row, above_inner: bool):
    symbol, entry, inner, high, low = row
    value = inner + 1 if above_inner else (entry + inner) / 2
    expected = high if above_inner else low
    path = [f"rsi({symbol},10) > {entry:g}=True", f"rsi({symbol},10) > {inner:g}={above_inner}"]
    check(lambda c: c.rsi(symbol, value), expected, path)


def _spy_strong_70(craft: Craft) -> None:
    craft.level("SPY", 0.7, days=250)  # RSI70 near 70, RSI10 below 80


def _qqq_surge(ups: int, size: float) -> Callable[[Craft], None]:
    """A steady decline, then `ups` up days of `size` (short RSIs jump, longer ones lag)."""
    return lambda craft: craft.returns("QQQ", [-0.005] * 60 + [size] * ups)


OVERBOUGHT = [
    ("AGG over QQQ, B calm", lambda c: c.rsi("AGG", 70, window=15), _mix(RISK_ON, METALS), []),
    ("AGG under QQQ, B calm", lambda c: c.rsi("AGG", 40, window=15), METALS, ["rsi(QQQ,3) > 95=False"]),
    (
        "QQQ RSI90 > 60",
        lambda c: c.level("QQQ", 0.72, days=300),
        _mix(METALS, {"VIXY": 1.0}),
        ["rsi(QQQ,90) > 60=True"],
    ),
    ("QQQ RSI5 > 90", _qqq_surge(3, 0.049), _mix(METALS, {"VIXY": 1.0}), ["rsi(QQQ,5) > 90=True"]),
    ("QQQ RSI3 > 95", _qqq_surge(2, 0.077), _mix(METALS, {"VIXY": 1.0}), ["rsi(QQQ,3) > 95=True"]),
]


@pytest.mark.parametrize(
    ("shape", "expected", "path"), [r[1:] for r in OVERBOUGHT], ids=[r[0] for r in OVERBOUGHT]
)
def test_overbought_groups(shape, expected, path):
    def both(craft: Craft) -> None:
        _spy_strong_70(craft)
        shape(craft)

    check(both, expected, ["rsi(SPY,70) > 63=True", "group Overbought", *path])


def test_overbought_b_rsi14_leg():
    # RSI14 > 80 while RSI10 stays under the chain's 79 and RSI90 under 60: a slow slide, a long
    # steady rally, then one down day (RSI10 falls faster than RSI14). Found by search with wilder_rsi.
    def shape(craft: Craft) -> None:
        _spy_strong_70(craft)
        craft.returns("QQQ", [0.01, -0.012] * 60 + [0.005] * 45 + [-0.012])

    check(shape, _mix(METALS, {"VIXY": 1.0}), ["rsi(QQQ,90) > 60=False", "rsi(QQQ,14) > 80=True"])


def _bull_dip(craft: Craft) -> None:
    """SPY above SMA200 today but its 3-day average below it (a dip and a jump back)."""
    craft.level("SPY", 0.5, days=250, amp=0.0005).returns("SPY", [-0.05, 0.0, 0.065])


def _bear_pop(craft: Craft) -> None:
    """SPY below SMA200 today but its 3-day average above it."""
    craft.level("SPY", 0.5, days=250, amp=0.0005).returns("SPY", [0.04, 0.0, -0.043])


def _bear(craft: Craft) -> None:
    craft.trend("SPY", -0.004, 150).level("SPY", 0.5, days=30)


def _tqqq_crash(*returns: float) -> Callable[[Craft], None]:
    return lambda craft: craft.returns("TQQQ", list(returns))


def _tqqq_below_sma20(craft: Craft) -> None:
    craft.returns("TQQQ", [-0.12] + [0.01, -0.01] * 7)


def _all(*shapes: Callable[[Craft], object]) -> Callable[[Craft], None]:
    def shape(craft: Craft) -> None:
        for s in shapes:
            s(craft)

    return shape


def _rsi(symbol: str, value: float, window: int = 10) -> Callable[[Craft], None]:
    return lambda craft: craft.rsi(symbol, value, window)


CRASH = _tqqq_crash(-0.05, -0.05, -0.05, -0.05, -0.05)
# A crash after a strong rally: down 14% over 6 sessions while RSI10 stays near 57.
SOFT_CRASH = _tqqq_crash(*[0.03] * 20, *[-0.025] * 6)
CALM_THREE = {"FTLS": THIRD, "SVXY": THIRD, "UUP": THIRD}  # KMLM's jump makes it the volatile one
HOLY_GRAIL = [
    ("VOX > 79", _rsi("VOX", 80), BLEND, ["rsi(VOX,10) > 79=True"]),
    ("XLP > 75", _rsi("XLP", 76), BLEND, ["rsi(XLP,10) > 75=True"]),
    ("TQQQ crash and bounce", _tqqq_crash(-0.06, -0.06, -0.05, -0.05, -0.04, 0.06), BLEND_P,
     ["cumulative-return(TQQQ,6) < -12=True", "cumulative-return(TQQQ,1) > 5.5=True"]),
    ("TQQQ crash, RSI < 31", CRASH, {"TECL": 1.0}, ["rsi(TQQQ,10) < 31=True"]),
    ("TQQQ crash, SOXL < 30", _all(SOFT_CRASH, _rsi("SOXL", 25)), {"SOXL": 1.0}, ["rsi(TQQQ,10) < 31=False"]),
    ("TQQQ crash, SPXL < 30", _all(SOFT_CRASH, _rsi("SPXL", 25)), {"SPXL": 1.0}, ["rsi(SOXL,10) < 30=False"]),
    ("TQQQ crash, calm", _all(SOFT_CRASH, _rsi("KMLM", 70)), CALM_THREE,
     ["rsi(SPXL,10) < 30=False", "group KMLM+FNGU"]),
    ("bull, SMA3 < SMA200", _all(_bull_dip, _rsi("TMF", 70), _rsi("SPXL", 65)), {"TMF": 0.5, "SPXL": 0.5},
     ["current-price(SPY) > moving-average-price(SPY,200)=True",
      "moving-average-price(SPY,3) < moving-average-price(SPY,200)=True"]),
    ("bear, SMA3 > SMA200", _all(_bear_pop, _rsi("SPXU", 70), _rsi("TMV", 65)), {"SPXU": 0.5, "TMV": 0.5},
     ["moving-average-price(SPY,3) > moving-average-price(SPY,200)=True"]),
    ("bear, QQQ < 31", _all(_bear, _rsi("QQQ", 25)), {"TECL": 1.0}, ["rsi(QQQ,10) < 31=True"]),
    ("bear, SPY < 30", _all(_bear, _rsi("SPY", 25)), {"UPRO": 1.0}, ["rsi(SPY,10) < 30=True"]),
    ("bear, QQQ down 60d", _all(_bear, lambda c: c.trend("QQQ", -0.006, 120).level("QQQ", 0.5, days=25)),
     {"BIL": 1.0}, ["cumulative-return(QQQ,60) < -12=True"]),
    ("bear, TQQQ up, PSQ < 32.5", _all(_bear, _rsi("PSQ", 28)), {"PSQ": 1.0}, ["rsi(PSQ,10) < 32.5=True"]),
    ("bear, TQQQ up, PSQ calm", _all(_bear, _rsi("KMLM", 70)), CALM_THREE,
     ["rsi(PSQ,10) < 32.5=False"]),
    ("bear, TQQQ down, IEF strong", _all(_bear, _tqqq_below_sma20, _rsi("IEF", 70)), {"PSQ": 1.0},
     ["rsi(IEF,10) > rsi(PSQ,20)=True"]),
    ("bear, TQQQ down, IEF weak", _all(_bear, _tqqq_below_sma20, _rsi("IEF", 40)), {"QID": 1.0},
     ["rsi(IEF,10) > rsi(PSQ,20)=False"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("shape", "expected", "path"), [r[1:] for r in HOLY_GRAIL], ids=[r[0] for r in HOLY_GRAIL]
)
def test_holy_grail(shape, expected, path):
    check(shape, expected, ["rsi(SPY,70) > 63=False", "group Holy grail", *path])


KMLM_FNGU = [
    ("XLK strong, TECL lowest", _all(_rsi("XLK", 70), _rsi("TECL", 40)), {"TECL": 1.0}),
    ("XLK strong, SVXY lowest", _all(_rsi("XLK", 70), _rsi("SVXY", 40)), {"SVXY": 1.0}),
    ("XLK strong, FNGU group lowest",
     _all(_rsi("XLK", 70), _rsi("TECL", 70), _rsi("SVXY", 70),
          lambda c: c.level("XLE", 0.7, days=40).level("FNGU", 0.3, days=40)),
     {"FNGU": 0.5, "XLE": 0.5}),
    ("KMLM strong: calmest three",
     _all(_rsi("KMLM", 70), lambda c: c.level("UUP", 0.55, days=30, amp=0.0005)),
     {"FTLS": THIRD, "SVXY": THIRD, "UUP": THIRD}),
]  # fmt: skip


@pytest.mark.parametrize(("shape", "expected"), [r[1:] for r in KMLM_FNGU], ids=[r[0] for r in KMLM_FNGU])
def test_kmlm_fngu(shape, expected):
    # Bull with SMA3 above SMA200 leads to KMLM+FNGU.
    check(
        shape,
        expected,
        ["moving-average-price(SPY,3) < moving-average-price(SPY,200)=False", "group KMLM+FNGU"],
    )
