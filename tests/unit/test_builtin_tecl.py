"""Every branch of strategies/tecl.clj, forced by a crafted price history.

Branch table: regime (SPY vs SMA200) x RSI10 conditions on the last session -> holdings. Symbols not
named sit at RSI ~55 with identical paths (so XLK and KMLM tie: "RSI(XLK) > RSI(KMLM)" is false).
"""

from __future__ import annotations

import pytest
from builtin_check import assert_last_session, builtin
from builtin_craft import Craft

HEDGE = {"UVXY": 0.25, "BIL": 0.75}
BULL = "current-price(SPY) > moving-average-price(SPY,200)=True"
BEAR = "current-price(SPY) > moving-average-price(SPY,200)=False"
XLK_WINS, XLK_LOSES = "rsi(XLK,10) > rsi(KMLM,10)=True", "rsi(XLK,10) > rsi(KMLM,10)=False"

# (id, bear market?, {symbol: RSI or (RSI, window)}, expected weights, trace lines in order)
ROWS = [
    ("bull TQQQ>79", False, {"TQQQ": 80}, HEDGE, [BULL, "rsi(TQQQ,10) > 79=True"]),
    ("bull SPY>80", False, {"SPY": 82}, HEDGE, [BULL, "rsi(TQQQ,10) > 79=False", "rsi(SPY,10) > 80=True"]),
    ("bull XLK>KMLM, XLK>81", False, {"XLK": 85}, {"BIL": 1.0}, [XLK_WINS, "rsi(XLK,10) > 81=True"]),
    ("bull XLK>KMLM", False, {"XLK": 75}, {"TECL": 1.0}, [XLK_WINS, "rsi(XLK,10) > 81=False"]),
    ("bull XLK<29", False, {"XLK": 25}, {"TECL": 1.0}, [XLK_LOSES, "rsi(XLK,10) < 29=True"]),
    ("bull calm (XLK ties KMLM)", False, {}, {"BIL": 1.0}, [BULL, XLK_LOSES, "rsi(XLK,10) < 29=False"]),
    ("bear TQQQ<31", True, {"TQQQ": 28}, {"TECL": 1.0}, [BEAR, "rsi(TQQQ,10) < 31=True"]),
    ("bear SPXL<29", True, {"SPXL": 25}, {"SPXL": 1.0}, [BEAR, "rsi(SPXL,10) < 29=True"]),
    ("bear UVXY>84", True, {"UVXY": 88}, {"UVXY": 0.15, "BIL": 0.85}, ["rsi(UVXY,10) > 84=True"]),
    ("bear UVXY>74", True, {"UVXY": 78}, {"BIL": 1.0}, ["rsi(UVXY,10) > 74=True", "rsi(UVXY,10) > 84=False"]),
    ("bear XLK>KMLM, XLK>81", True, {"XLK": 85}, {"BIL": 1.0}, [BEAR, XLK_WINS, "rsi(XLK,10) > 81=True"]),
    ("bear XLK>KMLM", True, {"XLK": 75}, {"TECL": 1.0}, [BEAR, XLK_WINS, "rsi(XLK,10) > 81=False"]),
    ("bear XLK<29", True, {"XLK": 25}, {"TECL": 1.0}, [BEAR, XLK_LOSES, "rsi(XLK,10) < 29=True"]),
    ("bear SQQQ strongest", True, {"SQQQ": (70, 9)}, {"SQQQ": 1.0}, ["rsi(XLK,10) < 29=False"]),
    (
        "bear BSV strongest",
        True,
        {"BSV": (70, 9)},
        {"BSV": 1.0},
        ["select-top 1 by rsi(9) of [SQQQ, BSV]=['BSV']"],
    ),
    ("bear SQQQ ties BSV", True, {}, {"BSV": 1.0}, []),
]


@pytest.mark.parametrize(
    ("bear", "rsis", "expected", "path"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_every_branch(bear: bool, rsis: dict, expected: dict[str, float], path: list[str]):
    symphony = builtin("tecl")
    craft = Craft(symphony.symbols)
    if bear:
        craft.trend("SPY", -0.004, 150).level("SPY", 0.5, days=30)
    for symbol, target in rsis.items():
        value, window = target if isinstance(target, tuple) else (target, 10)
        craft.rsi(symbol, value, window)
    assert_last_session(symphony, craft.history(), expected, path)


def test_filter_ranks_by_nine_day_rsi():
    symphony = builtin("tecl")
    craft = Craft(symphony.symbols).trend("SPY", -0.004, 150).level("SPY", 0.5, days=30)
    craft.rsi("SQQQ", 65, window=9)
    trace = assert_last_session(symphony, craft.history(), {"SQQQ": 1.0})
    assert "select-top 1 by rsi(9) of [SQQQ, BSV]=['SQQQ']" in trace


def test_symbols_are_derived_from_the_tree():
    assert builtin("tecl").symbols == {
        "SPY",
        "TQQQ",
        "SPXL",
        "UVXY",
        "XLK",
        "KMLM",
        "SQQQ",
        "BSV",
        "TECL",
        "BIL",
    }
