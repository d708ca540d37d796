"""The KLM ensemble: the whole strategy holds the one variant whose own simulated daily return stream
had the highest 5-session standard deviation. Each row makes one variant's holding the volatile one
over the last sessions while the rankings inside every variant stay put, and checks that this
variant wins (the original Python port always picked the first variant: this is its regression test).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from builtin_check import assert_last_session, builtin
from builtin_craft import Craft

ENSEMBLE = "select-top 1 by stdev-return(5) of [506/38, 1280/26, 1200/28, 520/22 Original, 410/38, Nova, "
ENSEMBLE += "830/21, 530/18 KMLM Switcher (Anansi mods)]"
VARIANTS = ENSEMBLE[ENSEMBLE.index("[") + 1 : -1].split(", ")


def _swing(symbol: str, up: float, down: float, days: int = 30) -> Callable[[Craft], None]:
    """Big alternating daily moves (a volatile holding) over the last `days`."""
    return lambda craft: craft.returns(symbol, [up, -down] * (days // 2))


def _xlk_over_kmlm(craft: Craft) -> None:
    craft.level("XLK", 0.7, days=60)  # RSI(XLK) > RSI(KMLM) on every recent session


def _level(symbol: str, rsi: float, amp: float = 0.003) -> Callable[[Craft], None]:
    return lambda craft: craft.level(symbol, rsi, days=60, amp=amp)


# (id, shapes, winning group, expected weights)
ROWS = [
    ("FNGU: 410/38 ties 506/38, first by name", [_swing("FNGU", 0.08, 0.07)], "410/38", {"FNGU": 1.0}),
    ("SOXL lowest RSI: 1200/28", [_level("TECL", 0.7), _level("SVIX", 0.7), _swing("SOXL", 0.08, 0.08)],
     "1200/28", {"SOXL": 1.0}),
    ("TECL lowest of TECL/SVIX: 520/22",
     [_level("SOXL", 0.36, amp=0.001), _level("SVIX", 0.8), _swing("TECL", 0.09, 0.07)],
     "520/22 Original", {"TECL": 1.0}),
    ("SVIX highest RSI: 830/21", [_level("TECL", 0.4), _level("SOXL", 0.4), _swing("SVIX", 0.10, 0.06)],
     "830/21", {"SVIX": 1.0}),
    ("NVDA highest RSI11: Nova", [_swing("NVDA", 0.10, 0.06)], "Nova", {"NVDA": 1.0}),
    ("LABU pop: 1280/26", [lambda c: c.returns("LABU", [-0.02, -0.08] * 10)], "1280/26", {"LABU": 1.0}),
    ("SVXY lowest RSI: 530/18", [_level("TECL", 0.7), _swing("SVXY", 0.06, 0.08)],
     "530/18 KMLM Switcher (Anansi mods)", {"SVXY": 1.0}),
]  # fmt: skip


@pytest.mark.parametrize(("shapes", "winner", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_each_variant_can_win_the_ensemble(shapes, winner: str, expected: dict[str, float]):
    symphony = builtin("klm")
    craft = Craft(symphony.symbols)
    _xlk_over_kmlm(craft)
    for shape in shapes:
        shape(craft)
    trace = assert_last_session(
        symphony, craft.history(), expected, [f"{ENSEMBLE}=['{winner}']", f"group {winner}"]
    )
    # Only the winner's decisions follow the ensemble step.
    assert [line for line in trace if line.removeprefix("group ") in VARIANTS] == [f"group {winner}"]


def test_symbols_are_derived_from_the_tree():
    symphony = builtin("klm")
    assert {"SPY", "QQQE", "UVIX", "LABU", "RETL", "BND", "AGG"} <= symphony.signals
    assert {"FNGO", "NVDA", "VXX", "SPLV", "LABU", "UVXY"} <= symphony.holdings
    assert len(symphony.symbols) == 58
