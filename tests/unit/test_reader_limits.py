"""The symphony reader's guards on what a file can cost: a BOM is read, size and nesting are bounded with
a located error, and a weight total is printed exactly enough to see why it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalancer.errors import StrategyError
from rebalancer.symphony.forms import MAX_NESTING
from rebalancer.symphony.reader import MAX_SYMPHONY_CHARS, load_symphony, read_symphony

TECL = Path(__file__).resolve().parents[2] / "strategies" / "tecl.clj"


def _nested(levels: int) -> str:
    inner = '(asset "SPY" nil)'
    for _ in range(levels):
        inner = f"(weight-equal\n [{inner}])"
    return f'(defsymphony "deep" {{}}\n{inner})'


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tecl.clj"
    path.write_bytes(b"\xef\xbb\xbf" + TECL.read_bytes())
    assert load_symphony(path) == load_symphony(TECL)
    assert read_symphony("\ufeff" + TECL.read_text()) == read_symphony(TECL.read_text())


def test_nesting_beyond_the_limit_names_line_and_column() -> None:
    with pytest.raises(StrategyError) as err:
        read_symphony(_nested(1000), filename="deep.clj")
    assert err.value.code == "too-deep"
    # (defsymphony is one bracket; each level adds "(weight-equal" then " [" on the next line.
    assert err.value.where == f"deep.clj:{2 + MAX_NESTING // 2}:2"


def test_nesting_within_the_limit_still_reads() -> None:
    assert read_symphony(_nested(MAX_NESTING // 2 - 1)).holdings == frozenset({"SPY"})


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.clj"
    path.write_text(TECL.read_text() + ";" * (MAX_SYMPHONY_CHARS * 4))
    with pytest.raises(StrategyError) as err:
        load_symphony(path)
    assert err.value.code == "file-too-large"
    assert err.value.where == str(path)


def test_a_weight_total_just_off_100_is_printed_so_the_difference_shows() -> None:
    text = '(defsymphony "w" {} (weight-specified 70 (asset "SPY" nil) 30.0001 (asset "TLT" nil)))'
    with pytest.raises(StrategyError) as err:
        read_symphony(text)
    assert "got 100.0001" in err.value.message


@pytest.mark.parametrize(
    "tree",
    [
        '(if (> (stdev-return "SPY" {:window 1}) 2) [(asset "SPY" nil)] [(asset "TLT" nil)])',
        '(if (> (stdev-price "SPY" 1) 2) [(asset "SPY" nil)] [(asset "TLT" nil)])',
        '(weight-inverse-volatility 1 [(asset "SPY" nil) (asset "TLT" nil)])',
    ],
)
def test_a_deviation_over_one_value_is_refused(tree: str) -> None:
    with pytest.raises(StrategyError) as err:
        read_symphony(f'(defsymphony "w" {{}}\n  {tree})', filename="w.clj")
    assert err.value.code == "bad-window"
    assert "at least 2" in err.value.message
    assert err.value.where.startswith("w.clj:2:")
