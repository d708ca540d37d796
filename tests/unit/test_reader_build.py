"""The reader builds the typed tree from Composer's forms, as real exports write them."""

from pathlib import Path

import pytest

from rebalancer.errors import StrategyError
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)
from rebalancer.symphony.reader import load_symphony, read_symphony

FIXTURES = Path(__file__).parent.parent / "fixtures" / "symphonies"
RSI_SPY = IndicatorRef("rsi", 10, "SPY")


def body(text: str, settings: str = "{}"):  # type: ignore[no-untyped-def]
    return read_symphony(f'(defsymphony "T" {settings} {text})').root


def test_composer_export_fixture_reads_with_prefixes_names_and_settings() -> None:
    sym = load_symphony(FIXTURES / "composer_export.clj")
    assert sym.name == 'Export "sample" (v1)'
    assert sym.settings == (
        ("asset-class", '"EQUITIES"'),
        ("rebalance-frequency", ":daily"),
        ("rebalance-threshold", "0.05"),
    )
    assert sym.holdings == {"UVXY", "BTAL", "SMR", "BWXT", "LEU", "OKLO", "SQQQ", "BIL"}
    assert sym.signals == {"SPY"}
    root = sym.root
    assert isinstance(root, WeightEqual)
    [branch] = root.children
    assert isinstance(branch, If)
    assert branch.condition == Comparison(">", RSI_SPY, 79.0)
    [hedge] = branch.then
    assert hedge == WeightSpecified((0.75, 0.25), (Asset("UVXY"), Asset("BTAL")))
    assert isinstance(hedge.children[0], Asset)
    assert hedge.children[0].display_name == "ProShares Ultra VIX Short-Term Futures ETF"
    assert isinstance(hedge.children[1], Asset)
    assert hedge.children[1].display_name is None
    assert str(branch.loc) == f"{FIXTURES / 'composer_export.clj'}:7:4"


def test_if_branch_with_several_nodes_keeps_them_all_for_equal_weighting() -> None:
    node = body('(if (< (rsi "SPY" 10) 30) [(asset "A") (asset "B") (asset "A")] (asset "C"))')
    assert node == If(
        Comparison("<", RSI_SPY, 30.0),
        (Asset("A"), Asset("B"), Asset("A")),
        (Asset("C"),),
    )


def test_comparison_between_two_indicators_and_all_operators() -> None:
    for op in (">", "<", ">=", "<="):
        node = body(
            f'(if ({op} (current-price "QQQ") (exponential-moving-average-price "QQQ" 20)) '
            '[(asset "A")] [(asset "B")])'
        )
        assert isinstance(node, If)
        assert node.condition == Comparison(
            op,  # type: ignore[arg-type]
            IndicatorRef("current-price", None, "QQQ"),
            IndicatorRef("exponential-moving-average-price", 20, "QQQ"),
        )


@pytest.mark.parametrize(
    "indicator",
    ["rsi", "cumulative-return", "moving-average-return", "stdev-return", "stdev-price", "max-drawdown"],
)
def test_every_windowed_indicator_reads_in_both_window_styles(indicator: str) -> None:
    braces = body(f'(if (> ({indicator} "SPY" {{:window 5}}) -12.5) [(asset "A")] [(asset "B")])')
    positional = body(f'(if (> ({indicator} "SPY" 5) -12.5) [(asset "A")] [(asset "B")])')
    assert braces == positional
    assert isinstance(braces, If)
    assert braces.condition.lhs == IndicatorRef(indicator, 5, "SPY")
    assert braces.condition.rhs == -12.5


def test_weight_specified_forms_and_percent_normalization() -> None:
    inline = body('(weight-specified 0.3 (group "G" [(asset "A")]) 0.7 (asset "B"))')
    vectors = body('(weight-specified [30 70] [(group "G" [(asset "A")]) (asset "B")])')
    assert inline == vectors
    assert inline == WeightSpecified((0.3, 0.7), (Group("G", (Asset("A"),)), Asset("B")))
    single = body('(weight-specified 1 (asset "A"))')
    assert isinstance(single, WeightSpecified)
    assert single.weights == (1.0,)


def test_weights_slightly_off_are_rescaled_to_sum_to_one() -> None:
    node = body('(weight-specified 33.33333 (asset "A") 33.33333 (asset "B") 33.33333 (asset "C"))')
    assert isinstance(node, WeightSpecified)
    assert abs(sum(node.weights) - 1.0) < 1e-12
    assert node.weights[0] == node.weights[2]


def test_inverse_volatility_filter_and_metrics() -> None:
    positional = body(
        "(weight-inverse-volatility 90 "
        '[(filter (moving-average-return 90) (select-top 3) [(asset "A") (asset "B")])])'
    )
    braces = body(
        "(weight-inverse-volatility {:window 90} "
        '(filter (moving-average-return {:window 90}) (select-top 3) (asset "A") (asset "B")))'
    )
    assert positional == braces
    assert positional == WeightInverseVolatility(
        90, (Filter(Metric("moving-average-return", 90), "top", 3, (Asset("A"), Asset("B"))),)
    )
    bottom = body('(filter (current-price) (select-bottom 1) [(asset "A")])')
    assert bottom == Filter(Metric("current-price", None), "bottom", 1, (Asset("A"),))


def test_tickers_lose_market_prefix_and_currency_suffix_and_are_upper_cased() -> None:
    node = body('(weight-equal [(asset "EQUITIES::SPY//USD") (asset "equities::brk/b") (asset " qqq ")])')
    # Composer spells share classes with a slash; the broker and the data sources say BRK.B.
    assert node == WeightEqual((Asset("SPY"), Asset("BRK.B"), Asset("QQQ")))


def test_settings_map_is_optional_and_extra_keys_are_kept() -> None:
    bare = read_symphony('(defsymphony "T" (asset "SPY"))')
    assert bare.settings == ()
    assert bare.root == Asset("SPY")
    rich = read_symphony('(defsymphony "T" {:rebalance-threshold 0.05 :x [1 "a"] :y {:z nil}} (asset "SPY"))')
    assert rich.settings == (("rebalance-threshold", "0.05"), ("x", '[1 "a"]'), ("y", "{:z nil}"))


def test_symbols_are_derived_from_the_tree() -> None:
    sym = read_symphony(
        '(defsymphony "T" {} (if (> (rsi "XLK" 10) (rsi "KMLM" 10)) [(asset "TECL")] '
        '[(filter (rsi 9) (select-top 1) [(asset "SQQQ") (asset "BSV")])]))'
    )
    assert sym.symbols == {"XLK", "KMLM", "TECL", "SQQQ", "BSV"}
    assert sym.signals == {"XLK", "KMLM"}
    assert sym.holdings == {"TECL", "SQQQ", "BSV"}


def test_source_text_is_kept_but_not_compared() -> None:
    a = read_symphony('(defsymphony "T" {} (asset "SPY"))')
    b = read_symphony('(defsymphony "T" {}\n  (asset "SPY" "S&P 500")) ; same tree')
    assert a == b
    assert a.source != b.source


def test_load_symphony_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.clj"
    with pytest.raises(StrategyError) as err:
        load_symphony(missing)
    assert (err.value.code, err.value.where) == ("file-not-found", str(missing))
    latin = tmp_path / "latin.clj"
    latin.write_bytes(b'(defsymphony "caf\xe9" {} (asset "SPY"))')
    with pytest.raises(StrategyError) as err:
        load_symphony(latin)
    assert err.value.code == "bad-encoding"
    with pytest.raises(StrategyError) as err:
        load_symphony(tmp_path)
    assert err.value.code == "file-unreadable"
    broken = tmp_path / "broken.clj"
    broken.write_text('(defsymphony "T" {} (asset "SPY")')
    with pytest.raises(StrategyError) as err:
        load_symphony(str(broken))
    assert err.value.where == f"{broken}:1:1"
