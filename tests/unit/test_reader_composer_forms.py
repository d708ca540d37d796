"""Forms real Composer exports use that the reader accepts: placeholders, aliases, brackets, subjects."""

from __future__ import annotations

import numpy as np
import pytest

from rebalancer.errors import StrategyError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import Evaluator, evaluate
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    WeightEqual,
    WeightSpecified,
)
from rebalancer.symphony.reader import read_symphony
from rebalancer.symphony.trace import explain
from rebalancer_tools.printer import format_symphony, symphony_to_json

A, B, C = '(asset "A")', '(asset "B")', '(asset "C")'


def read(body: str):  # type: ignore[no-untyped-def]
    return read_symphony(f'(defsymphony "T" {{:asset-class "EQUITIES"}} {body})', filename="t.clj")


def condition(text: str) -> Comparison:
    root = read(f"(if {text} [{A}] [{B}])").root
    assert isinstance(root, If)
    return root.condition


def test_nan_weights_all_placeholders_share_equally():
    root = read(f"(weight-specified ##NaN {A} ##NaN {B} ##NaN {C})").root
    assert root == WeightSpecified((1 / 3, 1 / 3, 1 / 3), (Asset("A"), Asset("B"), Asset("C")))
    vector_form = read(f"(weight-specified [##NaN ##NaN] [{A} {B}])").root
    assert isinstance(vector_form, WeightSpecified)
    assert vector_form.weights == (0.5, 0.5)


def test_nan_weights_share_what_the_given_weights_leave():
    root = read(f"(weight-specified 50 {A} ##NaN {B} ##NaN {C})").root
    assert isinstance(root, WeightSpecified)
    assert root.weights == pytest.approx((0.5, 0.25, 0.25))
    fractions = read(f"(weight-specified 0.4 {A} ##NaN {B})").root
    assert isinstance(fractions, WeightSpecified)
    assert fractions.weights == pytest.approx((0.4, 0.6))


def test_nan_weights_with_nothing_left_are_refused_with_the_location():
    with pytest.raises(StrategyError) as info:
        read(f"(weight-specified 100 {A} ##NaN {B})")
    assert info.value.code == "bad-weights"
    assert info.value.where == "t.clj:1:44"  # the weight-specified form


def test_child_lists_may_be_lists_of_nodes_or_nested_vectors():
    expected = WeightEqual((Asset("A"), Asset("B"), Asset("C")))
    assert read(f"(weight-equal [[{A} {B}] {C}])").root == expected
    assert read(f"(weight-equal ({A} {B} {C}))").root == expected
    branch = read(f'(if (> (rsi "SPY" 10) 50) ({A} {B}) [[{C}]])').root
    assert isinstance(branch, If)
    assert branch.then == (Asset("A"), Asset("B"))
    assert branch.otherwise == (Asset("C"),)


def test_indicator_aliases_windows_as_strings_and_current_price_windows():
    assert condition('(> (relative-strength-index "SPY" {:window 10}) 79)').lhs == IndicatorRef(
        "rsi", 10, "SPY"
    )
    assert condition('(> (standard-deviation-return "SPY" 5) 2)').lhs.name == "stdev-return"
    assert condition('(> (current-price "SPY" 10) 400)').lhs == IndicatorRef("current-price", None, "SPY")
    root = read(f'(filter (rsi "10") (select-top 1) [{A} {B}])').root
    assert isinstance(root, Filter)
    assert root.metric == Metric("rsi", 10)


def test_a_number_on_the_left_flips_the_comparison_and_equality_is_allowed():
    assert condition('(> 30 (rsi "SPY" 10))') == Comparison("<", IndicatorRef("rsi", 10, "SPY"), 30.0)
    assert condition('(<= 1 (rsi "SPY" 10))').op == ">="
    assert condition('(= (rsi "SPY" 10) 50)').op == "="


def test_oscillators_take_their_windows_by_name_or_in_order():
    keyed = (
        '(percentage-price-oscillator-signal "SOXL" {:short-window 12, :long-window 26, :smooth-window 9})'
    )
    assert condition(f"(< {keyed} 0)").lhs == IndicatorRef(
        "percentage-price-oscillator-signal", (12, 26, 9), "SOXL"
    )
    positional = condition('(< (moving-average-convergence-divergence "SOXL" 12 26) 0)').lhs
    assert positional.window == (12, 26)
    with pytest.raises(StrategyError) as info:
        condition('(< (percentage-price-oscillator "SOXL" {:short-window 12}) 0)')
    assert info.value.code == "missing-window"
    assert ":long-window" in info.value.message


def test_crypto_is_refused_with_file_line_and_column():
    with pytest.raises(StrategyError) as info:
        read('(weight-equal [(asset "SPY") (asset "CRYPTO::BTC//USD")])')
    assert info.value.code == "unsupported-market"
    assert info.value.where == "t.clj:1:80"  # the ticker string
    assert "crypto" in (info.value.hint or "")


def test_share_classes_reach_the_data_source_as_dotted_symbols():
    sym = read('(if (> (rsi "BRK/B" 10) 50) [(asset "EQUITIES::BRK/B//USD")] [(asset "BIL")])')
    assert sym.symbols == {"BRK.B", "BIL"}


GROUP = f'(group "G" [(if (> (current-price "SIG") 10) [{A}] [{B}])])'
SPACED = '(group "two  spaces" [(asset "A")])'


def test_an_indicator_of_a_sub_tree_reads_its_own_simulated_series():
    sym = read(f'(if (> (cumulative-return {GROUP} {{:window 1}}) 0) [{C}] [(asset "BIL")])')
    assert sym.signals == {"A", "B", "SIG"}
    assert sym.holdings == {"C", "BIL"}
    # G holds A until SIG drops on day 2, then B: its 1-day return is A's, then B's (-12.5% on day 3).
    dates = [f"2024-01-0{d}" for d in range(2, 7)]
    history = PriceHistory.from_columns(
        dates,
        {
            "A": [10.0, 11.0, 12.0, 11.0, 10.0],
            "B": [10.0, 9.0, 8.0, 7.0, 8.0],
            "C": [5.0] * 5,
            "BIL": [1.0] * 5,
            "SIG": [11.0, 11.0, 9.0, 9.0, 9.0],
        },
    )
    wh = evaluate(sym, history)
    assert [wh.row(d) for d in dates[1:]] == [{"C": 1.0}, {"C": 1.0}, {"BIL": 1.0}, {"C": 1.0}]
    group = Evaluator(history).metric_of(
        Metric("cumulative-return", 1),
        Group(
            "G",
            (
                If(
                    Comparison(">", IndicatorRef("current-price", None, "SIG"), 10.0),
                    (Asset("A"),),
                    (Asset("B"),),
                ),
            ),
        ),
    )
    np.testing.assert_allclose(group[1:], [10.0, 100 / 11, -12.5, 100 / 7], rtol=1e-12)


def test_new_forms_print_and_read_back_to_the_same_tree():
    text = (
        f"(weight-specified 60 (if (> 30 (cumulative-return {GROUP} 1)) [{A}] [{B}]) "
        f'##NaN (if (< (percentage-price-oscillator "SOXL" 12 26) (upper-bollinger "SOXL" 20)) [{C}] [{A}]))'
    )
    sym = read(text)
    again = read_symphony(format_symphony(sym))
    assert again == sym
    spaced = read(f"(if (> (rsi {SPACED} 2) 50) [{A}] [{B}])")
    assert read_symphony(format_symphony(spaced)) == spaced
    lhs = symphony_to_json(sym)["root"]["children"][0]["condition"]["lhs"]
    assert lhs["subject"]["type"] == "group"
    assert lhs["window"] == 1


def test_a_body_written_as_a_child_list_is_its_node_or_their_equal_weighting():
    one = read_symphony(f'(defsymphony "T" {{}} [{A}])')
    assert one.root == Asset("A")
    two = read_symphony(f'(defsymphony "T" {{}} [{A} {B}])')
    assert two.root == WeightEqual((Asset("A"), Asset("B")))


def test_explain_labels_sub_tree_subjects_and_multi_window_metrics():
    sym = read(
        f"(if (> (cumulative-return {GROUP} {{:window 1}}) 0) [{C}] "
        f"[(filter (percentage-price-oscillator 2 3) (select-top 1) [{A} {B}])])"
    )
    dates = [f"2024-01-0{d}" for d in range(2, 8)]
    closes = {
        "A": [10, 11, 12, 11, 10, 9.0],
        "B": [10, 9, 8, 7, 8, 9.0],
        "C": [5.0] * 6,
        "SIG": [11, 11, 9, 9, 9, 9.0],
    }
    steps = explain(sym, PriceHistory.from_columns(dates, closes), dates[3])
    assert steps[0].description == "cumulative-return(group G,1) > 0"
    assert steps[0].outcome is False
    assert steps[1].description == "select-top 1 by percentage-price-oscillator(2/3) of [A, B]"
    assert steps[1].outcome == ["A"]


def test_a_file_without_the_outer_brackets_reads_as_the_bracketed_form():
    # As public converters of Composer's JSON write it: `defsymphony "..." {...}` then the body.
    bare = 'defsymphony "S" {:rebalance-frequency :none}\n  (weight-equal [\n    (asset "SPY")\n  ])\n'
    assert read_symphony(bare) == read_symphony(f"({bare})")
    with pytest.raises(StrategyError) as info:
        read_symphony(bare + '(asset "QQQ")')
    assert info.value.code == "arity"
