"""Settings map, named parameters and number resolution for the symphony reader.

A symphony's settings map may declare named parameters, used by walk-forward research:

    (defsymphony "Tuned" {:rebalance-frequency :daily, :parameters {:overbought 79 :bull-window 200}}
      (if (> (rsi "SPY" {:window 10}) :overbought) [...] [...]))

A keyword such as `:overbought` may stand wherever a number is expected (threshold, window, count,
weight). Overrides passed to the reader replace the declared defaults by name.

    >>> from rebalancer.symphony.forms import parse_forms
    >>> from rebalancer.symphony.lexer import tokenize
    >>> [form] = parse_forms(tokenize("{:asset-class \\"EQUITIES\\", :parameters {:k 2}}"))
    >>> s = read_settings(form, {"k": 3}, form.loc)
    >>> s.pairs, s.parameters
    ((('asset-class', '"EQUITIES"'),), (('k', 3.0),))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from rebalancer.errors import StrategyError
from rebalancer.symphony.forms import Atom, Form, Seq, format_number, map_pairs, print_form
from rebalancer.symphony.nodes import SourceLocation

PARAMETERS_KEY = "parameters"


def error_at(form: Form | SourceLocation, message: str, *, code: str, hint: str = "") -> StrategyError:
    """A StrategyError located at a form (or a location)."""
    loc = form if isinstance(form, SourceLocation) else form.loc
    return StrategyError(message, code=code, hint=hint, where=str(loc))


@dataclass(frozen=True)
class Settings:
    """The settings map split into printed pairs (key without ':') and effective parameters."""

    pairs: tuple[tuple[str, str], ...]
    parameters: tuple[tuple[str, float], ...]


def read_settings(form: Seq | None, overrides: Mapping[str, float], at: SourceLocation) -> Settings:
    """Read the settings map; apply `overrides` to the declared parameters (unknown name: error)."""
    pairs: list[tuple[str, str]] = []
    declared: dict[str, float] = {}
    params_loc = at
    seen: set[str] = set()
    for key_form, value in map_pairs(form) if form is not None else []:
        key = _keyword_key(key_form, "settings")
        if key in seen:
            raise error_at(
                key_form, f"duplicate settings key :{key}", code="duplicate-key", hint="keep one of them"
            )
        seen.add(key)
        if key == PARAMETERS_KEY:
            declared = _read_declared(value)
            params_loc = value.loc
        else:
            pairs.append((key, print_form(value)))
    return Settings(tuple(pairs), tuple(_apply_overrides(declared, overrides, params_loc).items()))


def _keyword_key(form: Form, where: str) -> str:
    if isinstance(form, Atom) and form.kind == "keyword":
        return form.text
    raise error_at(
        form,
        f"{where} keys must be keywords, got {form.describe()}",
        code="bad-settings",
        hint="write {:rebalance-frequency :daily}",
    )


def _read_declared(form: Form) -> dict[str, float]:
    if not (isinstance(form, Seq) and form.kind == "map"):
        raise error_at(
            form,
            f":parameters must be a map, got {form.describe()}",
            code="bad-parameters",
            hint="write :parameters {:overbought 79 :bull-window 200}",
        )
    declared: dict[str, float] = {}
    for key_form, value in map_pairs(form):
        name = _keyword_key(key_form, "parameter")
        if name in declared:
            raise error_at(
                key_form, f"duplicate parameter :{name}", code="duplicate-key", hint="keep one of them"
            )
        if not (isinstance(value, Atom) and value.kind == "number"):
            raise error_at(
                value,
                f"parameter :{name} must have a number as its default, got {value.describe()}",
                code="bad-parameters",
                hint="write :parameters {:overbought 79}",
            )
        declared[name] = float(value.text)
    return declared


def _apply_overrides(
    declared: dict[str, float], overrides: Mapping[str, float], at: SourceLocation
) -> dict[str, float]:
    effective = dict(declared)
    for raw_name, value in overrides.items():
        name = raw_name.removeprefix(":")
        if name not in declared:
            known = ", ".join(f":{n}" for n in declared) or "none"
            raise error_at(
                at,
                f"unknown parameter {name!r} in the overrides (declared: {known})",
                code="unknown-parameter",
                hint="declare it in the settings map: :parameters {:" + name + " <default>}",
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise error_at(
                at,
                f"override for parameter :{name} must be a finite number, got {value!r}",
                code="bad-parameters",
                hint='pass a plain number, e.g. {"' + name + '": 81}',
            )
        effective[name] = float(value)
    return effective


def resolve_number(form: Form, params: Mapping[str, float], what: str) -> float:
    """A number literal, or a declared parameter's effective value."""
    if isinstance(form, Atom) and form.kind == "number":
        return float(form.text)
    if isinstance(form, Atom) and form.kind == "keyword":
        if form.text in params:
            return params[form.text]
        raise error_at(
            form,
            f"unknown parameter :{form.text} used as {what}",
            code="unknown-parameter",
            hint=f"declare it in the settings map: :parameters {{:{form.text} <default>}}",
        )
    raise error_at(
        form,
        f"expected a number for {what}, got {form.describe()}",
        code="expected-number",
        hint="write a number such as 79 or 0.5, or a declared parameter such as :overbought",
    )


def resolve_positive_int(form: Form, params: Mapping[str, float], what: str, *, code: str) -> int:
    """A number that must be a positive integer (a window or a select count), after substitution."""
    value = resolve_number(form, params, what)
    if value.is_integer() and value >= 1:
        return int(value)
    via = f" (parameter :{form.text})" if isinstance(form, Atom) and form.kind == "keyword" else ""
    raise error_at(
        form,
        f"{what} must be a positive integer, got {format_number(value)}{via}",
        code=code,
        hint="use a whole number of sessions or items, at least 1",
    )
