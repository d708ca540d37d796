"""Named parameters: declared in the settings map, usable wherever a number is expected, overridable."""

from pathlib import Path

from rebalancer.symphony.nodes import Filter, If, WeightSpecified
from rebalancer.symphony.reader import load_symphony, read_symphony
from rebalancer_tools.printer import format_symphony

FIXTURE = Path(__file__).parent.parent / "fixtures" / "symphonies" / "parameters.clj"


def parts(sym):  # type: ignore[no-untyped-def]
    outer = sym.root
    assert isinstance(outer, If)
    [inner] = outer.then
    assert isinstance(inner, If)
    [hedge] = inner.then
    [pick] = inner.otherwise
    assert isinstance(hedge, WeightSpecified)
    assert isinstance(pick, Filter)
    return outer, inner, hedge, pick


def test_defaults_are_substituted_everywhere_a_number_is_expected() -> None:
    sym = load_symphony(FIXTURE)
    outer, inner, hedge, pick = parts(sym)
    assert outer.condition.rhs.window == 200  # type: ignore[union-attr]
    assert inner.condition.rhs == 79.0
    assert hedge.weights == (0.75, 0.25)
    assert pick.count == 2
    assert sym.parameters == (("overbought", 79.0), ("bull-window", 200.0), ("top-k", 2.0), ("hedge", 25.0))
    assert sym.settings == (("rebalance-frequency", ":daily"),)


def test_overrides_replace_defaults_by_name() -> None:
    sym = load_symphony(FIXTURE, parameters={"overbought": 81, ":bull-window": 150.0, "top-k": 1})
    outer, inner, _, pick = parts(sym)
    assert outer.condition.rhs.window == 150  # type: ignore[union-attr]
    assert inner.condition.rhs == 81.0
    assert pick.count == 1
    assert dict(sym.parameters)["overbought"] == 81.0
    assert sym != load_symphony(FIXTURE)


def test_printed_form_keeps_effective_parameters_and_reads_back_equal() -> None:
    sym = load_symphony(FIXTURE, parameters={"overbought": 82.5})
    text = format_symphony(sym)
    assert ":parameters {:overbought 82.5, :bull-window 200, :top-k 2, :hedge 25}" in text
    assert '(> (rsi "SPY" {:window 10}) 82.5)' in text
    assert read_symphony(text) == sym


def test_a_parameter_may_be_declared_and_unused() -> None:
    sym = read_symphony('(defsymphony "T" {:parameters {:unused 3}} (asset "SPY"))', parameters={"unused": 4})
    assert sym.parameters == (("unused", 4.0),)
