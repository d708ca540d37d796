"""From generic forms to the typed, validated symphony tree (nodes.py).

Every user mistake becomes a StrategyError located at the offending form. Child lists may be written
as vectors `[...]` (Composer's exports) or inline; several nodes in an if-branch or a group mean equal
weight among them, kept as a tuple of children.

    >>> from rebalancer.symphony.forms import parse_forms
    >>> from rebalancer.symphony.lexer import tokenize
    >>> forms = parse_forms(tokenize('(defsymphony "S" {} (weight-specified 75 (asset "A") 25 (asset "B")))'))
    >>> build_symphony(forms, filename="s.clj", source="").root.weights
    (0.75, 0.25)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from rebalancer.symphony.conditions import read_comparison, read_metric, read_ticker, read_window
from rebalancer.symphony.forms import Atom, Form, Seq
from rebalancer.symphony.nodes import (
    COMPARISON_OPS,
    INDICATOR_ALIASES,
    INDICATORS,
    Asset,
    Filter,
    Group,
    If,
    Node,
    SourceLocation,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)
from rebalancer.symphony.params import error_at, read_settings, resolve_number, resolve_positive_int

# Specified weights must sum to 1 (fractions) or 100 (percentages) within this relative tolerance;
# sums off by more than WEIGHT_EXACT are then rescaled so the fractions sum to 1 within 1e-9.
WEIGHT_TOLERANCE = 1e-6
WEIGHT_EXACT = 1e-12
# Composer's weight-specified exports write this symbol for a weight that was never set.
NAN_WEIGHT = "##NaN"
NODE_OPERATORS = (
    "asset",
    "group",
    "weight-equal",
    "weight-specified",
    "weight-inverse-volatility",
    "if",
    "filter",
)
_SELECTORS = {"select-top": "top", "select-bottom": "bottom"}
_DEFSYMPHONY_EXAMPLE = '(defsymphony "Name" {:rebalance-frequency :daily} (weight-equal [(asset "SPY")]))'


def build_symphony(
    forms: list[Form], *, filename: str, source: str, parameters: Mapping[str, float] | None = None
) -> Symphony:
    """Build and validate the one `(defsymphony ...)` form of a file."""
    if not forms:
        raise error_at(
            SourceLocation(filename, 1, 1),
            "empty file: no defsymphony form",
            code="empty-file",
            hint=_DEFSYMPHONY_EXAMPLE,
        )
    top = forms[0]
    if isinstance(top, Atom) and top.kind == "symbol" and top.text == "defsymphony":
        # Some public files leave out the outer brackets (converters of Composer's JSON write
        # `defsymphony "Name" {...} (weight-equal [...])`): read it as the bracketed form.
        top = Seq("list", tuple(forms), top.offset, top.source)
        forms = [top]
    if not (isinstance(top, Seq) and top.head == "defsymphony"):
        raise error_at(
            top,
            f"expected (defsymphony ...), got {top.describe()}",
            code="expected-defsymphony",
            hint=_DEFSYMPHONY_EXAMPLE,
        )
    if len(forms) > 1:
        raise error_at(
            forms[1],
            f"trailing content after the defsymphony form: {forms[1].describe()}",
            code="trailing-garbage",
            hint="a file holds exactly one (defsymphony ...); check for an extra closing bracket above",
        )
    args = top.args
    settings_form = args[1] if len(args) > 1 and isinstance(args[1], Seq) and args[1].kind == "map" else None
    body = args[2:] if settings_form is not None else args[1:]
    if not args or len(body) != 1:
        raise error_at(
            top,
            "defsymphony takes a name, a settings map and exactly one body node",
            code="arity",
            hint=_DEFSYMPHONY_EXAMPLE,
        )
    name = _string(args[0], "the symphony name")
    settings = read_settings(settings_form, parameters or {}, top.loc)
    builder = NodeBuilder(dict(settings.parameters))
    if is_child_list(body[0]):  # a body written as a child list: its nodes share equally
        nodes = builder.children(top, body, "the symphony's body")
        root = nodes[0] if len(nodes) == 1 else WeightEqual(nodes, loc=body[0].loc)
    else:
        root = builder.node(body[0])
    return Symphony(name, settings.pairs, root, settings.parameters, source=source)


def _string(form: Form, what: str) -> str:
    if isinstance(form, Atom) and form.kind == "string":
        return form.text
    raise error_at(
        form,
        f"expected a string for {what}, got {form.describe()}",
        code="expected-string",
        hint='strings are in double quotes: "Bull market"',
    )


class NodeBuilder:
    """Builds nodes, resolving named parameters from `params` (name -> effective value)."""

    def __init__(self, params: Mapping[str, float]) -> None:
        self.params = params
        self._builders: dict[str, Callable[[Seq], Node]] = {
            "asset": self.asset,
            "group": self.group,
            "weight-equal": self.weight_equal,
            "weight-specified": self.weight_specified,
            "weight-inverse-volatility": self.weight_inverse_volatility,
            "if": self.if_,
            "filter": self.filter,
        }

    def node(self, form: Form) -> Node:
        if not (isinstance(form, Seq) and form.kind == "list"):
            raise error_at(
                form,
                f'expected a node such as (asset "SPY") or (weight-equal [...]), got {form.describe()}',
                code="expected-node",
                hint="nodes are: " + ", ".join(NODE_OPERATORS),
            )
        build = self._builders.get(form.head or "")
        if build is None:
            raise _unknown_operator(form)
        return build(form)

    def children(self, form: Seq, args: tuple[Form, ...], what: str) -> tuple[Node, ...]:
        """Child lists are flattened (node_items); bare nodes are taken as they are. Empty: an error."""
        items = node_items(args)
        if not items:
            raise error_at(
                form,
                f"{what} has an empty child list",
                code="empty-children",
                hint='give it at least one child, e.g. [(asset "BIL")] to hold cash',
            )
        return tuple(self.node(item) for item in items)

    def asset(self, form: Seq) -> Asset:
        args = form.args
        if len(args) not in (1, 2):
            raise _arity(form, "asset takes a ticker and an optional display name", _ASSET_EXAMPLE)
        display: str | None = None
        if len(args) == 2 and not _is_nil(args[1]):
            display = _string(args[1], "the asset's display name")
        return Asset(read_ticker(args[0]), display, loc=form.loc)

    def group(self, form: Seq) -> Group:
        if len(form.args) < 2:
            raise _arity(form, "group takes a name and children", '(group "Bull" [(asset "SPY")])')
        name = _string(form.args[0], "the group name")
        return Group(name, self.children(form, form.args[1:], f"group {name!r}"), loc=form.loc)

    def weight_equal(self, form: Seq) -> WeightEqual:
        return WeightEqual(self.children(form, form.args, "weight-equal"), loc=form.loc)

    def weight_inverse_volatility(self, form: Seq) -> WeightInverseVolatility:
        if len(form.args) < 2:
            raise _arity(
                form,
                "weight-inverse-volatility takes a window and children",
                '(weight-inverse-volatility 90 [(asset "SPY") (asset "TLT")])',
            )
        window = read_window(form.args[0], self.params, "weight-inverse-volatility")
        children = self.children(form, form.args[1:], "weight-inverse-volatility")
        return WeightInverseVolatility(window, children, loc=form.loc)

    def weight_specified(self, form: Seq) -> WeightSpecified:
        args = form.args
        if len(args) == 2 and all(isinstance(a, Seq) and a.kind == "vector" for a in args):
            weight_forms, child_forms = args[0].items, args[1].items  # type: ignore[union-attr]
            if len(weight_forms) != len(child_forms) or not child_forms:
                raise _arity(form, "weight-specified needs one weight per child", _WEIGHTS_EXAMPLE)
        elif args and len(args) % 2 == 0:
            weight_forms, child_forms = args[0::2], args[1::2]
        else:
            raise _arity(form, "weight-specified takes weight/child pairs", _WEIGHTS_EXAMPLE)
        raw = [self._weight(w) for w in weight_forms]
        children = tuple(self.node(child) for child in child_forms)
        return WeightSpecified(normalize_weights(raw, form), children, loc=form.loc)

    def _weight(self, form: Form) -> float:
        if isinstance(form, Atom) and form.kind == "symbol" and form.text == NAN_WEIGHT:
            return math.nan  # a placeholder: normalize_weights gives it a share of the rest
        value = resolve_number(form, self.params, "a weight")
        if value < 0 or not math.isfinite(value):
            raise error_at(
                form,
                f"weights cannot be negative, got {value:g}",
                code="bad-weight",
                hint="weights are fractions summing to 1 or percentages summing to 100",
            )
        return value

    def if_(self, form: Seq) -> If:
        if len(form.args) != 3:
            raise _arity(
                form,
                "if takes a condition, a then-branch and an else-branch",
                '(if (> (rsi "SPY" {:window 10}) 79) [(asset "UVXY")] [(asset "SPY")])',
            )
        condition_form, then_form, else_form = form.args
        condition = read_comparison(condition_form, self.params, self.node)
        then = self._branch(then_form, "then")
        otherwise = self._branch(else_form, "else")
        return If(condition, then, otherwise, loc=form.loc)

    def _branch(self, form: Form, which: str) -> tuple[Node, ...]:
        if is_child_list(form):
            items = node_items((form,))
            if not items:
                raise error_at(
                    form,
                    f"empty {which}-branch",
                    code="empty-branch",
                    hint='every branch needs at least one node; use [(asset "BIL")] to hold cash',
                )
            return tuple(self.node(item) for item in items)
        return (self.node(form),)

    def filter(self, form: Seq) -> Filter:
        if len(form.args) < 3:
            raise _arity(
                form,
                "filter takes a metric, a selector and children",
                '(filter (rsi {:window 10}) (select-top 2) [(asset "SPY") (asset "QQQ")])',
            )
        metric = read_metric(form.args[0], self.params)
        select, count = self._selector(form.args[1])
        children = self.children(form, form.args[2:], "filter")
        return Filter(metric, select, count, children, loc=form.loc)  # type: ignore[arg-type]

    def _selector(self, form: Form) -> tuple[str, int]:
        head = form.head if isinstance(form, Seq) else None
        if not isinstance(form, Seq) or head not in _SELECTORS:
            raise error_at(
                form,
                f"expected (select-top k) or (select-bottom k), got {form.describe()}",
                code="expected-selector",
                hint="write (select-top 2)",
            )
        if len(form.args) != 1:
            raise _arity(form, f"{head} takes one count", f"({head} 2)")
        count = resolve_positive_int(form.args[0], self.params, f"the {head} count", code="bad-count")
        return _SELECTORS[head], count


_ASSET_EXAMPLE = '(asset "SPY" "SPDR S&P 500")'
_WEIGHTS_EXAMPLE = '(weight-specified 0.7 (asset "SPY") 0.3 (asset "TLT"))'


def is_child_list(form: Form) -> bool:
    """A vector `[...]`, or a list whose first item is itself a list `((asset "A") (asset "B"))` (both
    are sequences to Composer's reader); `()` is an empty list."""
    if not isinstance(form, Seq):
        return False
    return form.kind == "vector" or (
        form.kind == "list" and (not form.items or isinstance(form.items[0], Seq))
    )


def node_items(args: tuple[Form, ...]) -> list[Form]:
    """The node forms of child-list arguments, nested child lists flattened (`[[a b] c]` is `[a b c]`)."""
    items: list[Form] = []
    stack = list(reversed(args))
    while stack:
        arg = stack.pop()
        if is_child_list(arg):
            stack.extend(reversed(arg.items))  # type: ignore[union-attr]
        else:
            items.append(arg)
    return items


def normalize_weights(raw: list[float], form: Seq) -> tuple[float, ...]:
    """Fractions summing to 1 or percentages summing to 100 -> fractions summing to 1.

    `##NaN` placeholders (Composer's exports write them for weights never set): when every weight is a
    placeholder the children share equally; otherwise the placeholders share what the given weights
    leave (1 - sum of fractions, or 100 - sum of percentages) equally.
    """
    if any(math.isnan(w) for w in raw):
        raw = _fill_placeholders(raw, form)
    total = math.fsum(raw)
    if abs(total - 100.0) <= 100.0 * WEIGHT_TOLERANCE:
        raw = [w / 100.0 for w in raw]
        total = math.fsum(raw)
    elif abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise error_at(
            form,
            f"specified weights must sum to 1 (fractions) or 100 (percentages), got {total:g}",
            code="bad-weights",
            hint=_WEIGHTS_EXAMPLE,
        )
    if abs(total - 1.0) > WEIGHT_EXACT:
        raw = [w / total for w in raw]
    return tuple(raw)


def _fill_placeholders(raw: list[float], form: Seq) -> list[float]:
    given = [w for w in raw if not math.isnan(w)]
    missing = len(raw) - len(given)
    if not given:
        return [1.0 / missing] * missing
    total = math.fsum(given)
    scale = 100.0 if total > 1.0 + WEIGHT_TOLERANCE else 1.0
    rest = scale - total
    if rest <= scale * WEIGHT_TOLERANCE:
        raise error_at(
            form,
            f"the given weights sum to {total:g}, leaving nothing for the {missing} ##NaN weight(s)",
            code="bad-weights",
            hint="write every weight, or leave room for the ##NaN ones",
        )
    return [rest / missing if math.isnan(w) else w for w in raw]


def _is_nil(form: Form) -> bool:
    return isinstance(form, Atom) and form.kind == "symbol" and form.text == "nil"


def _arity(form: Seq, message: str, example: str) -> Exception:
    return error_at(form, f"wrong number of arguments: {message}", code="arity", hint=f"write {example}")


def _unknown_operator(form: Seq) -> Exception:
    head = form.head
    if head is None:
        return error_at(
            form,
            f"expected a node, got {form.describe()}",
            code="expected-node",
            hint="a node starts with one of: " + ", ".join(NODE_OPERATORS),
        )
    if head in INDICATORS or head in INDICATOR_ALIASES or head in COMPARISON_OPS or head in _SELECTORS:
        return error_at(
            form,
            f"({head} ...) cannot stand where a node is expected",
            code="expected-node",
            hint="nodes are: " + ", ".join(NODE_OPERATORS),
        )
    return error_at(
        form,
        f"unknown operator {head!r}",
        code="unknown-operator",
        hint="expected one of: " + ", ".join(NODE_OPERATORS),
    )
