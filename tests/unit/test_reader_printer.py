"""The printer: canonical text that reads back equal, and the normalized JSON form."""

import json
from pathlib import Path

from rebalancer.symphony.nodes import Asset, Comparison, IndicatorRef
from rebalancer.symphony.reader import load_symphony, read_symphony
from rebalancer_tools.printer import format_condition, format_node, format_symphony, symphony_to_json

FIXTURES = Path(__file__).parent.parent / "fixtures" / "symphonies"

MESSY = """; as exported, with odd spacing
(defsymphony "Messy" {:rebalance-frequency :daily , :asset-class "EQUITIES"}
 (weight-equal [(if (>= (rsi "EQUITIES::SPY" 10) 79.0)
  [(weight-specified [75 25] [(asset "UVXY" nil) (asset "BTAL" "Anti-beta")])]
   [(group "G" [(asset "A") (asset "B")])])]))"""

CANONICAL = """(defsymphony "Messy"
  {:rebalance-frequency :daily, :asset-class "EQUITIES"}
  (weight-equal [
    (if (>= (rsi "SPY" {:window 10}) 79) [
      (weight-specified
        0.75 (asset "UVXY")
        0.25 (asset "BTAL" "Anti-beta"))
    ] [
      (group "G" [
        (asset "A")
        (asset "B")
      ])
    ])
  ]))"""


def test_format_is_canonical_and_reads_back_equal() -> None:
    sym = read_symphony(MESSY)
    assert format_symphony(sym) == CANONICAL
    again = read_symphony(CANONICAL)
    assert again == sym
    assert format_symphony(again) == CANONICAL


def test_fixtures_round_trip() -> None:
    for path in sorted(FIXTURES.glob("*.clj")):
        if path.name.startswith("broken"):
            continue
        sym = load_symphony(path)
        assert read_symphony(format_symphony(sym)) == sym, path


def test_format_node_and_condition() -> None:
    assert format_node(Asset("SPY", "S&P")) == '(asset "SPY" "S&P")'
    cond = Comparison("<", IndicatorRef("cumulative-return", 60, "QQQ"), -10.5)
    assert format_condition(cond) == '(< (cumulative-return "QQQ" {:window 60}) -10.5)'


def test_json_form_is_normalized_and_serializable() -> None:
    data = symphony_to_json(load_symphony(FIXTURES / "composer_export.clj"))
    json.dumps(data)
    assert data["name"] == 'Export "sample" (v1)'
    assert data["settings"]["rebalance-frequency"] == ":daily"
    assert data["signals"] == ["SPY"]
    assert "UVXY" in data["holdings"]
    root = data["root"]
    assert root["type"] == "weight-equal"
    branch = root["children"][0]
    assert branch["type"] == "if"
    assert branch["condition"] == {
        "op": ">",
        "lhs": {"indicator": "rsi", "symbol": "SPY", "window": 10},
        "rhs": 79.0,
    }
    hedge = branch["then"][0]
    assert hedge["weights"] == [0.75, 0.25]
    assert hedge["children"][0] == {
        "type": "asset",
        "symbol": "UVXY",
        "display_name": "ProShares Ultra VIX Short-Term Futures ETF",
    }
    bull = branch["else"][0]["children"][0]["then"][0]
    assert bull["type"] == "group"
    wiv = bull["children"][0]
    assert wiv["type"] == "weight-inverse-volatility"
    assert wiv["window"] == 90
    flt = wiv["children"][0]
    assert flt["metric"] == {"indicator": "moving-average-return", "window": 90}
    assert (flt["select"], flt["count"], len(flt["children"])) == ("top", 3, 4)


def test_json_condition_between_indicators() -> None:
    sym = read_symphony(
        '(defsymphony "T" {} (if (> (rsi "XLK" 10) (rsi "KMLM" 10)) [(asset "A")] [(asset "B")]))'
    )
    rhs = symphony_to_json(sym)["root"]["condition"]["rhs"]
    assert rhs == {"indicator": "rsi", "symbol": "KMLM", "window": 10}
