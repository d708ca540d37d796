"""Round-trip: read_symphony(format_symphony(x)) == x for generated trees and every built-in strategy."""

import math
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.symphony.nodes import (
    INDICATOR_PARAMS,
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Node,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
    Window,
    walk,
)
from rebalancer.symphony.reader import load_symphony, read_symphony
from rebalancer_tools.printer import format_symphony, symphony_to_json

REPO = Path(__file__).resolve().parents[2]
STRATEGIES = Path(os.environ.get("REBALANCER_STRATEGIES_DIR", REPO / "strategies"))

tickers = st.one_of(st.from_regex(r"[A-Z][A-Z0-9]{0,4}", fullmatch=True), st.sampled_from(["BRK/B", "BF.B"]))
names = st.text(max_size=12)
windows = st.integers(min_value=1, max_value=500)
thresholds = st.floats(allow_nan=False, allow_infinity=False)
indicator_names = st.sampled_from(sorted(INDICATOR_PARAMS))


def _window(draw: st.DrawFn, name: str) -> Window:
    keys = INDICATOR_PARAMS[name]
    if not keys:
        return None
    values = tuple(draw(windows) for _ in keys)
    return values[0] if len(values) == 1 else values


@st.composite
def indicator_refs(draw: st.DrawFn) -> IndicatorRef:
    name = draw(indicator_names)
    return IndicatorRef(name, _window(draw, name), draw(tickers).replace("/", "."))


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    name = draw(indicator_names)
    return Metric(name, _window(draw, name))


comparisons = st.builds(
    Comparison,
    st.sampled_from([">", "<", ">=", "<=", "="]),
    indicator_refs(),
    st.one_of(thresholds, indicator_refs()),
)
assets = st.builds(Asset, tickers.map(lambda t: t.replace("/", ".")), st.one_of(st.none(), names))


@st.composite
def specified(draw: st.DrawFn, kids: st.SearchStrategy[tuple[Node, ...]]) -> WeightSpecified:
    children = draw(kids)
    raw = draw(st.lists(st.floats(0.01, 100.0), min_size=len(children), max_size=len(children)))
    total = math.fsum(raw)
    return WeightSpecified(tuple(w / total for w in raw), children)


def containers(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    kids = st.lists(children, min_size=1, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Group, names, kids),
        st.builds(WeightEqual, kids),
        specified(kids),
        st.builds(WeightInverseVolatility, windows, kids),
        st.builds(If, comparisons, kids, kids),
        st.builds(Filter, metrics(), st.sampled_from(["top", "bottom"]), st.integers(1, 5), kids),
    )


trees = st.recursive(assets, containers, max_leaves=25)
setting_keys = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(lambda k: k != "parameters")
setting_values = st.sampled_from(['"EQUITIES"', ":daily", "0.05", "[1 2.5]", "{:a nil}", "nil", "-3"])
symphonies = st.builds(
    Symphony,
    names,
    st.lists(st.tuples(setting_keys, setting_values), max_size=3, unique_by=lambda kv: kv[0]).map(tuple),
    trees,
    st.lists(st.tuples(setting_keys, thresholds), max_size=3, unique_by=lambda kv: kv[0]).map(tuple),
)


def display_names(sym: Symphony) -> list[str | None]:
    return [n.display_name for n in walk(sym.root) if isinstance(n, Asset)]


@settings(max_examples=300, deadline=None)
@given(symphonies)
def test_generated_symphonies_round_trip(sym: Symphony) -> None:
    text = format_symphony(sym)
    again = read_symphony(text)
    assert again == sym
    assert display_names(again) == display_names(sym)
    assert format_symphony(again) == text
    assert symphony_to_json(again) == symphony_to_json(sym)


def builtin_files() -> list[Path]:
    return sorted(STRATEGIES.glob("*.clj")) if STRATEGIES.is_dir() else []


@pytest.mark.skipif(not builtin_files(), reason=f"no strategy files in {STRATEGIES} yet")
@pytest.mark.parametrize("path", builtin_files(), ids=lambda p: p.stem)
def test_builtin_strategies_round_trip(path: Path) -> None:
    sym = load_symphony(path)
    assert read_symphony(format_symphony(sym)) == sym
    assert sym.holdings <= sym.symbols


def large_export(groups: int) -> str:
    """A Composer-style export with 4 nodes per group (group, if, two assets) plus the root."""
    parts = [
        f'(group "G{i}" [(if (> (rsi "S{i}" {{:window {1 + i % 30}}}) {50 + i % 40}) '
        f'[(asset "EQUITIES::A{i}" "Asset {i}")] [(asset "B{i}" nil)])])'
        for i in range(groups)
    ]
    return '(defsymphony "Large" {:asset-class "EQUITIES"}\n (weight-equal [\n' + ",\n".join(parts) + "]))"


def test_large_export_reads_fast_and_completely() -> None:
    text = large_export(1250)
    started = time.perf_counter()
    sym = read_symphony(text)
    elapsed = time.perf_counter() - started
    nodes = sum(1 for _ in walk(sym.root))
    assert nodes == 5001
    assert len(sym.holdings) == 2500
    assert len(sym.signals) == 1250
    # Measured, not asserted (see bench/bench_reader.py): a few tens of milliseconds on one core.
    print(f"read {len(text)} chars / {nodes} nodes in {elapsed * 1000:.1f} ms")
