"""Print a symphony back as a canonical s-expression, or as normalized JSON.

The text form reads back to an equal tree: `read_symphony(format_symphony(s)) == s`. Named parameters
are printed in the settings map with their effective values; the tree shows the resolved numbers.

    >>> from rebalancer.symphony.nodes import Asset, WeightSpecified, Symphony
    >>> tree = WeightSpecified((0.75, 0.25), (Asset("UVXY"), Asset("BTAL")))
    >>> print(format_symphony(Symphony("Hedge", (("rebalance-frequency", ":daily"),), tree)))
    (defsymphony "Hedge"
      {:rebalance-frequency :daily}
      (weight-specified
        0.75 (asset "UVXY")
        0.25 (asset "BTAL")))
"""

from __future__ import annotations

from typing import Any

from rebalancer.symphony.forms import format_number
from rebalancer.symphony.lexer import encode_string
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
)
from rebalancer.symphony.params import PARAMETERS_KEY

_INDENT = "  "


def format_symphony(symphony: Symphony) -> str:
    """The normalized, indented s-expression of a whole symphony (ends without a newline)."""
    lines = [f"(defsymphony {encode_string(symphony.name)}", _INDENT + format_settings(symphony)]
    _write(symphony.root, 1, "", lines)
    lines[-1] += ")"
    return "\n".join(lines)


def format_node(node: Node) -> str:
    """The normalized s-expression of one node (multi-line for containers)."""
    lines: list[str] = []
    _write(node, 0, "", lines)
    return "\n".join(lines)


def format_settings(symphony: Symphony) -> str:
    pairs = [f":{key} {value}" for key, value in symphony.settings]
    if symphony.parameters:
        params = ", ".join(f":{name} {format_number(value)}" for name, value in symphony.parameters)
        pairs.append(f":{PARAMETERS_KEY} {{{params}}}")
    return "{" + ", ".join(pairs) + "}"


def format_window(name: str, window: Window) -> str:
    """` {:window 10}`, ` {:short-window 12, :long-window 26}`, or "" for current-price."""
    if window is None:
        return ""
    values = (window,) if isinstance(window, int) else window
    pairs = ", ".join(f":{key} {value}" for key, value in zip(INDICATOR_PARAMS[name], values, strict=True))
    return f" {{{pairs}}}"


def format_indicator(ref: IndicatorRef) -> str:
    """One line for a ticker; a sub-tree subject keeps its own lines (names are printed exactly)."""
    subject = encode_string(ref.symbol) if ref.node is None else format_node(ref.node)
    return f"({ref.name} {subject}{format_window(ref.name, ref.window)})"


def format_metric(metric: Metric) -> str:
    return f"({metric.name}{format_window(metric.name, metric.window)})"


def format_condition(condition: Comparison) -> str:
    rhs = condition.rhs
    right = format_indicator(rhs) if isinstance(rhs, IndicatorRef) else format_number(rhs)
    return f"({condition.op} {format_indicator(condition.lhs)} {right})"


def _write(node: Node, depth: int, lead: str, lines: list[str]) -> None:
    """Append `node`'s lines at `depth`; `lead` prefixes its first line (a weight)."""
    pad = _INDENT * depth
    if isinstance(node, Asset):
        name = "" if node.display_name is None else " " + encode_string(node.display_name)
        lines.append(f"{pad}{lead}(asset {encode_string(node.symbol)}{name})")
    elif isinstance(node, WeightSpecified):
        lines.append(f"{pad}{lead}(weight-specified")
        for weight, child in zip(node.weights, node.children, strict=True):
            _write(child, depth + 1, format_number(weight) + " ", lines)
        lines[-1] += ")"
    elif isinstance(node, If):
        lines.append(f"{pad}{lead}(if {format_condition(node.condition)} [")
        _write_all(node.then, depth + 1, lines)
        lines.append(f"{pad}] [")
        _write_all(node.otherwise, depth + 1, lines)
        lines.append(f"{pad}])")
    else:
        lines.append(f"{pad}{lead}({_container_head(node)} [")
        _write_all(node.children, depth + 1, lines)
        lines.append(f"{pad}])")


def _write_all(nodes: tuple[Node, ...], depth: int, lines: list[str]) -> None:
    for child in nodes:
        _write(child, depth, "", lines)


def _container_head(node: Group | WeightEqual | WeightInverseVolatility | Filter) -> str:
    if isinstance(node, Group):
        return f"group {encode_string(node.name)}"
    if isinstance(node, WeightEqual):
        return "weight-equal"
    if isinstance(node, WeightInverseVolatility):
        return f"weight-inverse-volatility {node.window}"
    return f"filter {format_metric(node.metric)} (select-{node.select} {node.count})"


def symphony_to_json(symphony: Symphony) -> dict[str, Any]:
    """A JSON-able dict of the normalized symphony, with the symbols derived from its tree."""
    return {
        "name": symphony.name,
        "settings": dict(symphony.settings),
        "parameters": dict(symphony.parameters),
        "symbols": sorted(symphony.symbols),
        "holdings": sorted(symphony.holdings),
        "signals": sorted(symphony.signals),
        "root": node_to_json(symphony.root),
    }


def node_to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Asset):
        return {"type": "asset", "symbol": node.symbol, "display_name": node.display_name}
    if isinstance(node, If):
        return {
            "type": "if",
            "condition": _condition_json(node.condition),
            "then": [node_to_json(n) for n in node.then],
            "else": [node_to_json(n) for n in node.otherwise],
        }
    out: dict[str, Any]
    if isinstance(node, Group):
        out = {"type": "group", "name": node.name}
    elif isinstance(node, WeightEqual):
        out = {"type": "weight-equal"}
    elif isinstance(node, WeightSpecified):
        out = {"type": "weight-specified", "weights": list(node.weights)}
    elif isinstance(node, WeightInverseVolatility):
        out = {"type": "weight-inverse-volatility", "window": node.window}
    else:
        metric = {"indicator": node.metric.name, "window": node.metric.window}
        out = {"type": "filter", "metric": metric, "select": node.select, "count": node.count}
    out["children"] = [node_to_json(child) for child in node.children]
    return out


def _indicator_json(ref: IndicatorRef) -> dict[str, Any]:
    if ref.node is not None:
        return {"indicator": ref.name, "subject": node_to_json(ref.node), "window": ref.window}
    return {"indicator": ref.name, "symbol": ref.symbol, "window": ref.window}


def _condition_json(condition: Comparison) -> dict[str, Any]:
    rhs = condition.rhs
    right = _indicator_json(rhs) if isinstance(rhs, IndicatorRef) else rhs
    return {"op": condition.op, "lhs": _indicator_json(condition.lhs), "rhs": right}
