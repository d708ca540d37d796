"""Every branch of each KLM variant, evaluated on its own: the variant's group is taken from
strategies/klm.clj as parsed (not re-typed here) and wrapped as a one-group symphony.

Branch table for the seven variants that share the overbought chain:
- overbought: each of the 11 tests alone -> UVXY
- single-pop: RSI21(UVXY) > 65 (UVIX for Nova) -> RSI21(SPY) > 30 ? VIXM : SPXL; none in 1280/26
- pop bot: RSI(TQQQ) < 30 -> TECL, RSI(SOXL) < 30 -> SOXL, RSI(SPXL) < 30 -> SPXL,
  RSI(LABU) < 25 -> LABU (1280/26 only)
- KMLM switcher: RSI(XLK) > RSI(KMLM) -> the variant's "XLK" branch, else its "else" branch
  (XLK_ROWS, ELSE_ROWS)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from builtin_check import assert_last_session, builtin
from builtin_craft import Craft

from rebalancer.symphony.nodes import Filter, Group, Symphony, WeightEqual

CHAIN_VARIANTS = ["506/38", "1280/26", "1200/28", "520/22 Original", "410/38", "Nova", "830/21"]
OVERBOUGHT = [
    ("QQQE", 79), ("VTV", 79), ("VOX", 79), ("TECL", 79), ("VOOG", 79), ("VOOV", 79),
    ("XLP", 75), ("TQQQ", 79), ("XLY", 80), ("FAS", 80), ("SPY", 80),
]  # fmt: skip
POP_SOURCE = {"Nova": "UVIX", "1280/26": None}


def variant(name: str) -> Symphony:
    root = builtin("klm").root
    assert isinstance(root, WeightEqual)
    assert isinstance(root.children[0], Filter)
    groups = {g.name: g for g in root.children[0].children if isinstance(g, Group)}
    return Symphony(name, (), groups[name])


def check(name: str, shape: Callable[[Craft], object], expected: dict[str, float], path=()) -> list[str]:
    symphony = variant(name)
    craft = Craft(symphony.symbols)
    shape(craft)
    return assert_last_session(symphony, craft.history(), expected, path)


def test_the_ensemble_has_the_eight_variants_in_order():
    root = builtin("klm").root
    assert isinstance(root, WeightEqual)
    ensemble = root.children[0]
    assert isinstance(ensemble, Filter)
    assert (ensemble.metric.name, ensemble.metric.window, ensemble.select, ensemble.count) == (
        "stdev-return", 5, "top", 1,
    )  # fmt: skip
    names = [g.name for g in ensemble.children if isinstance(g, Group)]
    assert names == [*CHAIN_VARIANTS, "530/18 KMLM Switcher (Anansi mods)"]
    assert variant("410/38").root.children == variant("506/38").root.children


@pytest.mark.parametrize("name", CHAIN_VARIANTS)
@pytest.mark.parametrize(("symbol", "threshold"), OVERBOUGHT, ids=[s for s, _ in OVERBOUGHT])
def test_overbought_chain_sends_every_variant_to_uvxy(name: str, symbol: str, threshold: float):
    check(
        name,
        lambda c: c.rsi(symbol, threshold + 1.5),
        {"UVXY": 1.0},
        [f"rsi({symbol},10) > {threshold}=True"],
    )


@pytest.mark.parametrize("name", CHAIN_VARIANTS)
@pytest.mark.parametrize(
    ("spy_rsi21", "expected"), [(55.0, {"VIXM": 1.0}), (25.0, {"SPXL": 1.0})], ids=["VIXM", "SPXL"]
)
def test_single_pop(name: str, spy_rsi21: float, expected: dict[str, float]):
    source = POP_SOURCE.get(name, "UVXY")

    def shape(craft: Craft) -> None:
        craft.rsi("UVXY", 70.0, window=21).rsi("UVIX", 70.0, window=21)
        craft.rsi("SPY", spy_rsi21, window=21)

    if source is None:  # 1280/26 has no single-pop: the calm switcher decides (XLK ties KMLM -> else)
        check(name, shape, {"SQQQ": 1.0})
        return
    check(name, shape, expected, [f"rsi({source},21) > 65=True", f"rsi(SPY,21) > 30={spy_rsi21 > 30}"])


def test_nova_single_pop_ignores_uvxy():
    check("Nova", lambda c: c.rsi("UVXY", 70.0, window=21), {"FTLS": 1.0}, ["rsi(UVIX,21) > 65=False"])


POP_BOT = [("TQQQ", 25.0, "TECL"), ("SOXL", 25.0, "SOXL"), ("SPXL", 25.0, "SPXL")]


@pytest.mark.parametrize("name", CHAIN_VARIANTS)
@pytest.mark.parametrize(("symbol", "rsi", "holding"), POP_BOT, ids=[s for s, _, _ in POP_BOT])
def test_pop_bot(name: str, symbol: str, rsi: float, holding: str):
    check(name, lambda c: c.rsi(symbol, rsi), {holding: 1.0}, [f"rsi({symbol},10) < 30=True"])


def test_labu_pop_only_in_1280():
    check("1280/26", lambda c: c.rsi("LABU", 20.0), {"LABU": 1.0}, ["rsi(LABU,10) < 25=True"])
    assert "LABU" not in variant("1200/28").symbols


def _xlk_strong(craft: Craft) -> None:
    craft.rsi("XLK", 70.0)


def _ranks(**rsis: float) -> Callable[[Craft], None]:
    def shape(craft: Craft) -> None:
        _xlk_strong(craft)
        for symbol, value in rsis.items():
            window = 11 if symbol in ("NVDA", "MSFT") else 10
            craft.rsi(symbol, value, window)

    return shape


XLK_ROWS = [
    ("506/38", _ranks(), {"FNGU": 1.0}),
    ("410/38", _ranks(), {"FNGU": 1.0}),
    ("1280/26", _ranks(TECL=40, SOXL=45, SVIX=60), {"TECL": 0.5, "SOXL": 0.5}),
    ("1200/28", _ranks(TECL=40, SOXL=45, SVIX=60), {"TECL": 1.0}),
    ("520/22 Original", _ranks(TECL=60, SOXL=35, SVIX=45), {"SVIX": 1.0}),
    ("520/22 Original", _ranks(TECL=45, SVIX=60), {"TECL": 1.0}),
    ("Nova", _ranks(NVDA=70), {"NVDA": 1.0}),
    ("Nova", _ranks(MSFT=70), {"MSFT": 1.0}),
    ("830/21", _ranks(TECL=40, SOXL=45, SVIX=60), {"SVIX": 1.0}),
    ("830/21", _ranks(TECL=70, SOXL=45), {"TECL": 1.0}),
]


@pytest.mark.parametrize(("name", "shape", "expected"), XLK_ROWS, ids=[f"{r[0]}-{r[2]}" for r in XLK_ROWS])
def test_switcher_xlk_branch(name: str, shape, expected: dict[str, float]):
    check(name, shape, expected, ["rsi(XLK,10) > rsi(KMLM,10)=True"])


def _kmlm_strong(craft: Craft) -> None:
    craft.rsi("KMLM", 70.0)


def _calm(*symbols: str) -> Callable[[Craft], None]:
    """KMLM stronger than XLK, and `symbols` the calmest (in order) over the last sessions."""

    def shape(craft: Craft) -> None:
        _kmlm_strong(craft)
        for rank, symbol in enumerate(symbols):
            craft.level(symbol, 0.55, days=30, amp=0.0005 * (rank + 1))

    return shape


def _then(*shapes: Callable[[Craft], object]) -> Callable[[Craft], None]:
    def shape(craft: Craft) -> None:
        for s in shapes:
            s(craft)

    return shape


def _bnd_falling(craft: Craft) -> None:
    craft.trend("BND", -0.002, 30)


THIRD = 1 / 3
ELSE_ROWS = [
    ("506/38", _calm("UUP"), {"UUP": 1.0}),
    ("410/38", _calm("FTLS"), {"FTLS": 1.0}),
    ("Nova", _calm("UUP"), {"UUP": 1.0}),
    ("1280/26", _then(_kmlm_strong, lambda c: c.rsi("TLT", 65)), {"TLT": 1.0}),
    ("1200/28", _then(_kmlm_strong, lambda c: c.rsi("SQQQ", 65)), {"SQQQ": 1.0}),
    ("520/22 Original", _calm("TMV", "SVXY", "UUP"), {"TMV": THIRD, "SVXY": THIRD, "UUP": THIRD}),
    ("830/21", _kmlm_strong, {"SPLV": 1.0}),
    ("830/21", _then(_kmlm_strong, _bnd_falling, lambda c: c.rsi("TZA", 65)), {"TZA": 1.0}),
]


@pytest.mark.parametrize(("name", "shape", "expected"), ELSE_ROWS, ids=[f"{r[0]}-{r[2]}" for r in ELSE_ROWS])
def test_switcher_else_branch(name: str, shape, expected: dict[str, float]):
    check(name, shape, expected, ["rsi(XLK,10) > rsi(KMLM,10)=False"])


def test_830_bnd_trend_is_in_the_trace():
    trace = check("830/21", _then(_kmlm_strong, _bnd_falling), {"LABD": 1.0})
    assert "moving-average-return(BND,20) > 0=False" in trace
