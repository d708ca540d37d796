"""KLM: one `stdev-return(5) select-top 1` filter over eight groups. THE test of group-filter semantics.

The original system's port always picked the first variant. Here the winner must be the group whose own
simulated daily return stream had the highest 5-session stdev, and it must change from day to day.
"""

from __future__ import annotations

import numpy as np
import pytest

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import Evaluator, evaluate, evaluate_with
from rebalancer.symphony.library import builtin_strategy_paths
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Node,
    Symphony,
    walk,
)
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.synthetic import synthetic_market

VARIANTS = ("506/38", "1280/26", "1200/28", "520/22", "410/38", "Nova", "830/21", "530/18")
SESSIONS = 160
REGIME = 20  # sessions per volatility regime


def _crafted_history() -> tuple[PriceHistory, list[str]]:
    """Eight assets; in regime k asset k is the wild one (every regime hands the crown to another)."""
    rng = np.random.default_rng(5)
    symbols = [f"V{i}" for i in range(8)]
    order = [3, 0, 6, 1, 7, 2, 5, 4]  # not in list order: the first variant must not be favoured
    vol = np.full((SESSIONS, 8), 0.004)
    for regime in range(SESSIONS // REGIME):
        vol[regime * REGIME : (regime + 1) * REGIME, order[regime]] = 0.05
    closes = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 1.0, (SESSIONS, 8)) * vol, axis=0)
    # A signal that flips each variant's branch, so groups switch holdings (stream != today's holding).
    closes = np.column_stack([closes, 100.0 + np.sin(np.arange(SESSIONS) / 3.0)])
    dates = np.arange(np.datetime64("2021-01-04"), np.datetime64("2021-01-04") + SESSIONS)
    return PriceHistory(dates, (*symbols, "SIG"), closes), symbols


def _variant(name: str, own: str, calm: str) -> Group:
    # Holds its own asset while the signal is above 100, else a calm neighbour.
    cond = Comparison(">", IndicatorRef("current-price", None, "SIG"), 100.0)
    return Group(name, (If(cond, (Asset(own),), (Asset(calm),)),))


def _klm_like(symbols: list[str]) -> Symphony:
    groups = tuple(_variant(name, symbols[i], symbols[(i + 1) % 8]) for i, name in enumerate(VARIANTS))
    return Symphony("klm-like", (), Filter(Metric("stdev-return", 5), "top", 1, groups))


def _group_stream(group: Node, history: PriceHistory) -> np.ndarray:
    """Independently: evaluate the group alone, hold day t-1's weights over day t."""
    wh = evaluate(Symphony("g", (), group), history)
    closes = history.select(wh.symbols).close
    returns = closes[1:] / closes[:-1] - 1.0
    stream = np.full(len(history), np.nan)
    stream[1:] = np.nansum(wh.weights[:-1] * returns, axis=1)
    stream[1:][~wh.valid[:-1]] = np.nan
    return stream


def _winners(evaluator: Evaluator, node: Filter) -> list[str | None]:
    sel = evaluator.selection(node)
    names = sel.names
    return [
        names[int(np.argmax(row))] if ok else None for row, ok in zip(sel.selected, sel.defined, strict=True)
    ]


def test_crafted_history_makes_different_variants_win_on_different_days():
    history, symbols = _crafted_history()
    symphony = _klm_like(symbols)
    evaluator = Evaluator(history)
    wh = evaluate_with(evaluator, symphony)
    assert isinstance(symphony.root, Filter)
    winners = _winners(evaluator, symphony.root)

    # Expected winner per day: highest 5-session sample stdev of each group's own stream.
    streams = np.column_stack([_group_stream(g, history) for g in symphony.root.children])
    for t in range(len(history)):
        window = streams[t - 4 : t + 1] if t >= 4 else np.full((5, 8), np.nan)
        if np.isnan(window).any():
            assert winners[t] is None
            continue
        expected = VARIANTS[int(np.argmax(window.std(axis=0, ddof=1)))]
        assert winners[t] == expected, f"day {t}"
        assert sum(wh.row(history.dates[t]).values()) == pytest.approx(1.0, abs=1e-9)

    decided = [w for w in winners if w is not None]
    assert len(set(decided)) >= 6  # most variants win somewhere
    assert decided.count(VARIANTS[0]) < len(decided) / 2  # not "always the first"


def test_group_is_ranked_by_its_stream_not_by_todays_holding():
    history, symbols = _crafted_history()
    symphony = _klm_like(symbols)
    evaluator = Evaluator(history)
    evaluate_with(evaluator, symphony)
    assert isinstance(symphony.root, Filter)
    sel = evaluator.selection(symphony.root)
    holding_vol = np.column_stack([evaluator.symbol_indicator("stdev-return", 5, s) for s in symbols])
    # Days where ranking today's holdings would pick another group than the streams do.
    differs = 0
    for t in np.flatnonzero(sel.defined):
        held = [symbols[i] if history.column("SIG")[t] > 100.0 else symbols[(i + 1) % 8] for i in range(8)]
        by_holding = int(np.argmax([holding_vol[t, symbols.index(h)] for h in held]))
        differs += by_holding != int(np.argmax(sel.selected[t]))
    assert differs > 0


@pytest.fixture(scope="module")
def real_klm() -> Symphony:
    path = builtin_strategy_paths()["klm"]
    if not path.is_file():
        pytest.skip("strategies/klm.clj is not in this checkout")
    return load_symphony(path)


def test_builtin_klm_picks_the_most_volatile_variant_and_the_winner_changes(real_klm):
    history = synthetic_market(sorted(real_klm.symbols), sessions=1200)
    evaluator = Evaluator(history.select(real_klm.symbols))
    evaluate_with(evaluator, real_klm)
    top = next(n for n in walk(real_klm.root) if isinstance(n, Filter) and n.metric.name == "stdev-return")
    winners = [w for w in _winners(evaluator, top) if w is not None]
    assert len(winners) > 100
    assert len(set(winners)) >= 3
    sel = evaluator.selection(top)
    for t in np.flatnonzero(sel.defined)[-50:]:
        metrics = sel.metrics[t]
        chosen = int(np.argmax(sel.selected[t]))
        assert metrics[chosen] == np.max(metrics)
    # The metric of one variant equals an independent recomputation from its own weights.
    group = top.children[2]
    stream = _group_stream(group, history.select(real_klm.symbols))
    t = len(history) - 1
    expected = np.std(stream[t - 4 : t + 1], ddof=1) * 100.0
    assert sel.metrics[t, 2] == pytest.approx(expected, rel=1e-9)
