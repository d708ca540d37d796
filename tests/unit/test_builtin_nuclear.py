"""Every branch of strategies/nuclear.clj, forced by a crafted price history.

Branch table (conditions on the last session -> holdings):
- overbought cascades: RSI10 > 79 on SPY, IOO, TQQQ, VTV, XLF (first true wins), then each later
  index > 81 -> UVXY, none -> UVXY 75% / BTAL 25%; VOX > 79 -> XLF > 81 ? UVXY : mix
- oversold: RSI10(TQQQ) < 30 -> TQQQ; RSI10(SPY) < 30 -> UPRO
- bull (SPY > SMA200): top 3 nuclear names by mar90, 1/3 each (the inverse-volatility node has one
  child, the filter, whose picks share equally: Composer's recorded holdings, 9 of 9 days)
- bear: Bear1 and Bear2 weighted by 1/sdr14 of their own return streams (table BEAR below)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from builtin_check import assert_last_session, builtin
from builtin_craft import Craft, moving_average_return, stdev_return

UVXY = {"UVXY": 1.0}
MIX = {"UVXY": 0.75, "BTAL": 0.25}
CASCADE = ["SPY", "IOO", "TQQQ", "VTV", "XLF"]
HOT, WARM = 85.0, 80.0  # RSI above 81; RSI between 79 and 81


def _craft() -> Craft:
    return Craft(builtin("nuclear").symbols)


def _gt(symbol: str, threshold: float, outcome: bool, window: int = 10) -> str:
    return f"rsi({symbol},{window}) > {threshold:g}={outcome}"


def _overbought_rows() -> list[tuple[str, dict[str, float], dict[str, float], list[str]]]:
    rows = []
    for level, start in enumerate(CASCADE):
        before = [_gt(s, 79, False) for s in CASCADE[:level]]
        entry = [*before, _gt(start, 79, True)]
        rows.append((f"{start}>81", {start: HOT}, UVXY, [*entry, _gt(start, 81, True)]))
        rows.append((f"{start}>79 only", {start: WARM}, MIX, [*entry, _gt(start, 81, False)]))
        for later in CASCADE[level + 1 :]:
            path = [*entry, _gt(start, 81, False), _gt(later, 81, True)]
            rows.append((f"{start}>79,{later}>81", {start: WARM, later: HOT}, UVXY, path))
    vox_path = [*(_gt(s, 79, False) for s in CASCADE), _gt("VOX", 79, True), _gt("XLF", 81, False)]
    rows.append(("VOX>79 tests XLF", {"VOX": HOT}, MIX, vox_path))
    rows.append(("TQQQ<30", {"TQQQ": 25.0}, {"TQQQ": 1.0}, ["rsi(TQQQ,10) < 30=True"]))
    rows.append(
        ("SPY<30", {"SPY": 25.0}, {"UPRO": 1.0}, ["rsi(TQQQ,10) < 30=False", "rsi(SPY,10) < 30=True"])
    )
    rows.append(("TQQQ<30 before SPY<30", {"SPY": 25.0, "TQQQ": 25.0}, {"TQQQ": 1.0}, []))
    return rows


@pytest.mark.parametrize(
    ("rsis", "expected", "path"),
    [pytest.param(rsis, expected, path, id=name) for name, rsis, expected, path in _overbought_rows()],
)
def test_overbought_and_oversold_steps(rsis: dict[str, float], expected: dict[str, float], path: list[str]):
    craft = _craft()
    for symbol, value in rsis.items():
        craft.rsi(symbol, value)
    assert_last_session(builtin("nuclear"), craft.history(), expected, path)


def _inverse_vol(prices: dict[str, np.ndarray], window: int) -> dict[str, float]:
    inverse = {s: 1.0 / stdev_return(p, window) for s, p in prices.items()}
    total = sum(inverse.values())
    return {s: v / total for s, v in inverse.items()}


def test_bull_holds_top_three_by_90_day_return_in_equal_shares():
    # (weight-inverse-volatility 90 [(filter ... (select-top 3) ...)]) has one child, the filter: Composer
    # held the three picks at 1/3 each on 9 of 9 recorded days (2026-01-20: BWXT 0.334, LEU 0.333,
    # OKLO 0.333), never in proportion to 1/sdr90. The three picks here have different volatilities.
    craft = _craft()
    craft.level("SMR", 0.8, days=120, amp=0.01)
    craft.level("LEU", 0.75, days=120, amp=0.006)
    craft.level("EXC", 0.7, days=120, amp=0.003)
    history = craft.history()
    prices = {s: craft.prices(s) for s in ("SMR", "LEU", "EXC")}
    assert moving_average_return(craft.prices("OKLO"), 90) < min(
        moving_average_return(p, 90) for p in prices.values()
    )
    trace = assert_last_session(
        builtin("nuclear"),
        history,
        {"SMR": 1 / 3, "LEU": 1 / 3, "EXC": 1 / 3},
        ["current-price(SPY) > moving-average-price(SPY,200)=True", "group Bull: nuclear energy top 3"],
    )
    assert any(line.endswith("=['SMR', 'LEU', 'EXC']") for line in trace)
    vols = _inverse_vol(prices, 90)
    assert max(vols.values()) - min(vols.values()) > 0.1  # inverse volatility would have differed


def test_bull_ties_are_broken_by_name():
    # Six identical paths: equal 90-day returns and volatilities -> the first three names, equal weight.
    third = 1 / 3
    assert_last_session(builtin("nuclear"), _craft().history(), {"BWXT": third, "EXC": third, "LEU": third})


def _bear(craft: Craft) -> None:
    """SPY well below its SMA200 after a long decline, then calm (RSI between 30 and 79)."""
    craft.trend("SPY", -0.004, 150).level("SPY", 0.5, days=30)
    craft.level("PSQ", 0.45, days=80)


def _qqq_down(craft: Craft) -> None:
    craft.trend("QQQ", -0.004, 100)  # cumret(QQQ, 60) near -21%


def _tqqq_below_sma20(craft: Craft) -> None:
    craft.returns("TQQQ", [-0.12] + [0.01, -0.01] * 7)  # a drop 15 sessions ago, then flat


def _tlt(rsi: float) -> Callable[[Craft], None]:
    return lambda craft: craft.level("TLT", rsi, days=80)


def _ief(rsi: float) -> Callable[[Craft], None]:
    return lambda craft: craft.level("IEF", rsi, days=80)


def _psq_oversold(craft: Craft) -> None:
    craft.level("PSQ", 0.2, days=80)


TLT_UP, TLT_DOWN = _tlt(0.6), _tlt(0.35)
# id -> (shapes on top of the bear market, Bear1 holding, Bear2 holding, trace lines in order)
BEAR = {
    "PSQ oversold": ([_psq_oversold], "SQQQ", "SQQQ", ["group Bear1", "rsi(PSQ,10) < 35=True"]),
    "QQQ crash, TLT strong": ([_qqq_down, TLT_UP], "TQQQ", "TQQQ", ["cumulative-return(QQQ,60) < -10=True"]),
    "QQQ crash, TLT weak": ([_qqq_down, TLT_DOWN], "PSQ", "SQQQ", ["rsi(TLT,20) > rsi(PSQ,20)=False"]),
    "TQQQ above SMA20, TLT strong": ([TLT_UP], "TQQQ", "TQQQ", ["cumulative-return(QQQ,60) < -10=False"]),
    "TQQQ above SMA20, TLT weak": ([TLT_DOWN], "SQQQ", "SQQQ", []),
    "IEF strong": (
        [_tqqq_below_sma20, _ief(0.75), TLT_UP],
        "SQQQ",
        "QQQ",
        ["rsi(IEF,10) > rsi(PSQ,20)=True"],
    ),
    "IEF weak, TLT strong": ([_tqqq_below_sma20, _ief(0.3), TLT_UP], "QQQ", "QQQ", []),
    "IEF weak, TLT weak": ([_tqqq_below_sma20, _ief(0.3), TLT_DOWN], "SQQQ", "SQQQ", []),
    "QQQ crash, TQQQ below SMA20": ([_qqq_down, _tqqq_below_sma20, TLT_UP], "TQQQ", "QQQ", ["group Bear2"]),
}


@pytest.mark.parametrize(("shapes", "bear1", "bear2", "path"), list(BEAR.values()), ids=list(BEAR))
def test_bear_groups_weighted_by_inverse_volatility_of_their_streams(shapes, bear1, bear2, path):
    craft = _craft()
    _bear(craft)
    craft.level("IEF", 0.45, days=80)
    for shape in shapes:
        shape(craft)
    history = craft.history()
    if bear1 == bear2:
        expected = {bear1: 1.0}
    else:
        # Each group held the same asset for the whole window, so its stream is that asset's returns.
        expected = _inverse_vol({bear1: craft.prices(bear1), bear2: craft.prices(bear2)}, 14)
    full_path = ["current-price(SPY) > moving-average-price(SPY,200)=False", "group Bear", *path]
    assert_last_session(builtin("nuclear"), history, expected, full_path)


def test_strategy_symbols_are_derived_from_the_tree():
    symphony = builtin("nuclear")
    assert symphony.signals == {"SPY", "IOO", "TQQQ", "VTV", "XLF", "VOX", "PSQ", "QQQ", "TLT", "IEF"}
    assert symphony.holdings == {
        "UVXY", "BTAL", "TQQQ", "UPRO", "SMR", "BWXT", "LEU", "EXC", "NLR", "OKLO", "SQQQ", "PSQ", "QQQ",
    }  # fmt: skip
