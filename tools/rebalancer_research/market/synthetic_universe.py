"""The symbols the synthetic market knows, and how each one is derived from a few market factors.

Three kinds of instrument:
- `Base`: a linear factor model on the regime-driven market return (SPY), the bond factor (TLT-like)
  and an optional tilt per regime (managed futures gain in bear markets), plus seeded idiosyncratic noise.
- `Levered`: `leverage` x its underlying's daily return less a daily fee (3x, -1x, -3x funds).
- `VolFuture`: a VIX-futures note: a fraction of the VIX index's daily change less a roll cost that
  is paid in calm markets (contango) and earned in crashes (backwardation).

Symbols starting with "_" are internal underlyings (indexes no product tracks directly here).
"""

from __future__ import annotations

from dataclasses import dataclass

# Regimes of the market factor (index into per-regime tuples).
BULL, BEAR, CRASH, RECOVERY = 0, 1, 2, 3
REGIME_NAMES = ("bull", "bear", "crash", "recovery")


@dataclass(frozen=True)
class Base:
    """r = drift + beta * market + bond * bond_factor + tilt[regime] + idio * noise."""

    beta: float
    idio: float
    drift: float = 0.0
    bond: float = 0.0
    tilt: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    price: float = 50.0


@dataclass(frozen=True)
class Levered:
    """Daily leverage of an underlying's daily return, less `fee` per year."""

    underlying: str
    leverage: float
    fee: float = 0.0095
    price: float = 40.0


@dataclass(frozen=True)
class VolFuture:
    """`multiple` x (short-term VIX futures return); `term` < 1 for mid-term futures (less decay)."""

    multiple: float
    term: float = 1.0
    price: float = 30.0


Spec = Base | Levered | VolFuture

_EQUITY_BASES: dict[str, Spec] = {
    "QQQ": Base(beta=1.2, idio=0.005, drift=0.0001, price=200.0),
    "XLK": Base(beta=1.25, idio=0.006, drift=0.0001, price=100.0),
    "SMH": Base(beta=1.6, idio=0.011, drift=0.0001, price=150.0),
    "IOO": Base(beta=0.95, idio=0.003, price=60.0),
    "VTV": Base(beta=0.85, idio=0.003, price=110.0),
    "VOOG": Base(beta=1.1, idio=0.003, drift=0.00005, price=250.0),
    "VOOV": Base(beta=0.85, idio=0.003, price=150.0),
    "QQQE": Base(beta=1.1, idio=0.004, price=70.0),
    "XLF": Base(beta=1.15, idio=0.007, price=30.0),
    "VOX": Base(beta=0.95, idio=0.007, price=90.0),
    "XLP": Base(beta=0.55, idio=0.005, price=60.0),
    "XLY": Base(beta=1.1, idio=0.006, price=140.0),
    "XLE": Base(beta=0.9, idio=0.013, price=70.0),
    "SPLV": Base(beta=0.6, idio=0.003, price=55.0),
    "NLR": Base(beta=0.8, idio=0.01, price=60.0),
    "URA": Base(beta=1.1, idio=0.017, price=25.0),
    "_FANG": Base(beta=1.4, idio=0.01, drift=0.0002, price=100.0),
    "_IWM": Base(beta=1.15, idio=0.007, price=150.0),
    "_XBI": Base(beta=1.2, idio=0.015, price=80.0),
    "_XRT": Base(beta=1.1, idio=0.009, price=60.0),
}

_STOCKS: dict[str, Spec] = {
    "SMR": Base(beta=1.5, idio=0.04, price=12.0),
    "BWXT": Base(beta=1.0, idio=0.016, drift=0.0002, price=50.0),
    "LEU": Base(beta=1.3, idio=0.035, price=30.0),
    "EXC": Base(beta=0.5, idio=0.012, price=40.0),
    "OKLO": Base(beta=1.6, idio=0.045, price=20.0),
    "CCJ": Base(beta=1.2, idio=0.022, price=25.0),
    "TSLA": Base(beta=1.6, idio=0.03, drift=0.0002, price=20.0),
    "MSFT": Base(beta=1.1, idio=0.013, drift=0.0002, price=30.0),
    "AAPL": Base(beta=1.1, idio=0.014, drift=0.0002, price=25.0),
    "NVDA": Base(beta=1.7, idio=0.025, drift=0.0004, price=5.0),
    "GOOGL": Base(beta=1.1, idio=0.015, drift=0.0001, price=30.0),
    "AMZN": Base(beta=1.2, idio=0.017, drift=0.0002, price=20.0),
}

_DEFENSIVE: dict[str, Spec] = {
    "TLT": Base(beta=0.0, idio=0.002, drift=0.00018, bond=1.0, price=100.0),
    "IEF": Base(beta=0.0, idio=0.0012, drift=0.00008, bond=0.45, price=100.0),
    "AGG": Base(beta=0.03, idio=0.001, drift=0.00008, bond=0.3, price=100.0),
    "BND": Base(beta=0.03, idio=0.001, drift=0.00008, bond=0.3, price=75.0),
    "BSV": Base(beta=0.0, idio=0.0006, drift=0.0001, bond=0.1, price=78.0),
    "SHY": Base(beta=0.0, idio=0.0004, drift=0.0001, bond=0.07, price=82.0),
    "BIL": Base(beta=0.0, idio=0.0001, drift=0.00008, price=91.0),
    "UUP": Base(beta=-0.1, idio=0.0045, price=25.0),
    "GLD": Base(beta=0.05, idio=0.01, drift=0.0002, price=110.0),
    "SLV": Base(beta=0.25, idio=0.018, price=18.0),
    "PDBC": Base(beta=0.4, idio=0.011, price=15.0),
    # Managed futures: trend followers that profit from sustained declines.
    "KMLM": Base(beta=-0.15, idio=0.007, tilt=(0.0, 0.0015, 0.004, -0.001), price=30.0),
    "BTAL": Base(beta=-0.5, idio=0.006, price=20.0),
    "FTLS": Base(beta=0.4, idio=0.004, drift=0.0001, price=40.0),
}

_LEVERED: dict[str, Spec] = {
    "TQQQ": Levered("QQQ", 3.0),
    "SQQQ": Levered("QQQ", -3.0),
    "PSQ": Levered("QQQ", -1.0),
    "QID": Levered("QQQ", -2.0),
    "UPRO": Levered("SPY", 3.0),
    "SPXL": Levered("SPY", 3.0),
    "SPXU": Levered("SPY", -3.0),
    "SPXS": Levered("SPY", -3.0),
    "TECL": Levered("XLK", 3.0),
    "TECS": Levered("XLK", -3.0),
    "SOXL": Levered("SMH", 3.0),
    "SOXS": Levered("SMH", -3.0),
    "TMF": Levered("TLT", 3.0),
    "TMV": Levered("TLT", -3.0),
    "FNGU": Levered("_FANG", 3.0),
    "FNGO": Levered("_FANG", 2.0),
    "FAS": Levered("XLF", 3.0),
    "LABU": Levered("_XBI", 3.0),
    "LABD": Levered("_XBI", -3.0),
    "ERX": Levered("XLE", 2.0),
    "TZA": Levered("_IWM", -3.0),
    "RETL": Levered("_XRT", 3.0),
}

_VOLATILITY: dict[str, Spec] = {
    "VXX": VolFuture(1.0),
    "VIXY": VolFuture(1.0),
    "VIXM": VolFuture(1.0, term=0.45),
    "UVXY": VolFuture(1.5),
    "UVIX": VolFuture(2.0),
    "SVXY": VolFuture(-0.5),
    "SVIX": VolFuture(-1.0),
}

# SPY is the market factor itself; every other symbol derives from it.
UNIVERSE: dict[str, Spec] = {
    "SPY": Base(beta=1.0, idio=0.0, price=100.0),
    **_EQUITY_BASES,
    **_STOCKS,
    **_DEFENSIVE,
    **_LEVERED,
    **_VOLATILITY,
}

# A symbol nobody described: a generic, fairly volatile stock.
GENERIC_STOCK = Base(beta=1.0, idio=0.02, price=50.0)


def public_symbols() -> tuple[str, ...]:
    """Every tradable symbol the synthetic market knows (internal underlyings excluded), sorted."""
    return tuple(sorted(s for s in UNIVERSE if not s.startswith("_")))


def spec_of(symbol: str) -> Spec:
    return UNIVERSE.get(symbol, GENERIC_STOCK)
