"""Plain-text tables of backtest and walk-forward documents (the CLI's `--format table`).

>>> print(backtest_table(run.document))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rebalancer_research.backtest.report_html import HEADLINE

_TEXT_FORMATS = {"pct": "{:.2%}", "money": "{:,.2f}", "num": "{:.2f}", "int": "{:,.0f}", "text": "{}"}


def _cell(value: Any, kind: str) -> str:
    return "-" if value is None else _TEXT_FORMATS[kind].format(value)


def grid(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned others, columns padded to their widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def backtest_table(doc: Mapping[str, Any]) -> str:
    bench = doc.get("benchmark")
    header = ["metric", "portfolio", *([bench["symbol"]] if bench else [])]
    rows = [header]
    for key, label, kind in HEADLINE:
        row = [label, _cell(doc["portfolio"].get(key), kind)]
        if bench:
            row.append(_cell(bench.get(key), kind) if key in bench else "")
        rows.append(row)
    worst = doc["portfolio"]["worst_day"]
    if worst:
        rows.append(["Worst day", f"{worst['return']:.2%} {worst['date']}", *([""] if bench else [])])
    parts = [grid(rows)]
    strategies = doc.get("strategies") or {}
    if strategies:
        srows = [["strategy", "allocation", "contribution", "alone: annualized", "alone: sharpe"]]
        for name, info in strategies.items():
            alone = info.get("standalone") or {}
            srows.append(
                [
                    name,
                    _cell(info.get("allocation"), "pct"),
                    _cell(info.get("contribution"), "pct"),
                    _cell(alone.get("annualized_return"), "pct"),
                    _cell(alone.get("sharpe"), "num"),
                ]
            )
        srows.append(["costs", "", _cell(doc.get("contribution_costs"), "pct"), "", ""])
        parts.append(grid(srows))
    bias = doc.get("bias")
    if bias:
        parts.append(bias_table(bias))
    return "\n\n".join(parts)


def bias_table(bias: Mapping[str, Any]) -> str:
    rows = [
        ["strategy", "look-ahead", "checked", "warm-up weight diff (after warm-up)", "unstable indicators"]
    ]
    for name, item in bias.items():
        look = item["look_ahead"]
        warm = item["warmup"]
        unstable = warm["unstable_indicators"]
        worst = sorted(unstable.items(), key=lambda kv: -kv[1]["max"])[:3]
        shown = ", ".join(f"{k} ({v['max']:.2g}; {v['after_warmup']:.2g} after warm-up)" for k, v in worst)
        rows.append(
            [
                name,
                "pass" if look["passed"] else f"FAIL ({len(look['mismatches'])})",
                str(look["checked"]),
                f"{warm['max_weight_difference']:.3g} ({_after_warmup(warm):.3g})",
                shown or "none",
            ]
        )
    return grid(rows)


def _after_warmup(warm: Mapping[str, Any]) -> float:
    return max((v["max_weight_difference_after_warmup"] for v in warm["variants"]), default=0.0)


def walkforward_table(report: Mapping[str, Any]) -> str:
    metric = report["metric"]
    rows = [["out-of-sample window", "chosen", f"IS {metric}", f"OOS {metric}", "OOS rank", "grid median"]]
    for window in report["windows"]:
        chosen = " ".join(f"{k}={v:g}" for k, v in window["chosen"].items())
        rows.append(
            [
                " .. ".join(window["out_of_sample"]),
                chosen,
                _cell(window["in_sample_metrics"][metric], "num"),
                _cell(window["out_of_sample_metrics"][metric], "num"),
                str(window["out_of_sample_rank"]),
                _cell(window["out_of_sample_grid_median"], "num"),
            ]
        )
    summary = report["summary"]
    stitched = summary["out_of_sample_stitched"]
    lines = [
        grid(rows),
        f"\nmean in-sample {metric}: {_cell(summary['in_sample_mean'], 'num')}; "
        f"mean out-of-sample {metric}: {_cell(summary['out_of_sample_mean'], 'num')}",
        "stitched out-of-sample: "
        + ", ".join(f"{k} {_cell(stitched.get(k), 'num' if k == 'sharpe' else 'pct')}" for k in stitched),
    ]
    return "\n".join(lines)
