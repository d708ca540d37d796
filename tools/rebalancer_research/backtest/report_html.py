"""One self-contained HTML report: metrics tables and the charts embedded as base64 PNGs.

>>> html_text = render_html(summary_doc, {"equity": Path("out/equity.png")})  # doctest: +SKIP
>>> Path("out/report.html").write_text(html_text)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# (JSON key, label, format) of the headline table.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("start", "First session", "text"),
    ("end", "Last session", "text"),
    ("final_equity", "Final equity", "money"),
    ("total_return", "Total return", "pct"),
    ("annualized_return", "Annualized return", "pct"),
    ("volatility", "Volatility (annualized)", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("sortino", "Sortino", "num"),
    ("calmar", "Calmar", "num"),
    ("max_drawdown", "Maximum drawdown", "pct"),
    ("max_drawdown_length", "Max drawdown length (sessions)", "int"),
    ("longest_drawdown_length", "Longest drawdown (sessions)", "int"),
    ("turnover_annual", "Turnover (one-way, per year)", "pct"),
    ("total_costs", "Costs paid", "money"),
)
CHART_TITLES = {
    "equity": "Equity against the benchmark",
    "drawdown": "Drawdown",
    "allocation": "Allocation over time",
    "monthly_returns": "Monthly returns",
}
_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px}
body{color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .8em;border-bottom:1px solid #eee}
th{text-align:left;background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;margin:.5em 0}.muted{color:#777;font-size:.9em}
"""


def fmt(value: Any, kind: str) -> str:
    """A metric as text: percentages, money, plain numbers; a dash for undefined values."""
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "money":
        return f"${value:,.2f}"
    if kind == "num":
        return f"{value:.2f}"
    if kind == "int":
        return f"{int(value):,}"
    return html.escape(str(value))


def _headline(doc: Mapping[str, Any]) -> str:
    bench = doc.get("benchmark") or {}
    head = "<tr><th>Metric</th><th>Portfolio</th>"
    head += f"<th>{html.escape(bench['symbol'])} (buy and hold)</th></tr>" if bench else "</tr>"
    rows = [head]
    for key, label, kind in HEADLINE:
        cells = f"<td>{label}</td><td class=n>{fmt(doc['portfolio'].get(key), kind)}</td>"
        if bench:
            cells += f"<td class=n>{fmt(bench.get(key), kind) if key in bench else ''}</td>"
        rows.append(f"<tr>{cells}</tr>")
    for key, label in (("worst_day", "Worst day"), ("worst_month", "Worst month")):
        theirs = _worst(bench.get(key)) if bench else ""
        rows.append(f"<tr><td>{label}</td>{_worst(doc['portfolio'][key])}{theirs}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _worst(item: Mapping[str, Any] | None) -> str:
    if not item:
        return "<td class=n>–</td>"
    when = item.get("date") or item.get("month")
    return f"<td class=n>{fmt(item['return'], 'pct')} ({html.escape(str(when))})</td>"


def _strategies(doc: Mapping[str, Any]) -> str:
    strategies = doc.get("strategies") or {}
    if not strategies:
        return ""
    rows = [
        "<tr><th>Strategy</th><th>Allocation</th><th>Contribution</th><th>First session alone</th>"
        "<th>Alone: annualized</th><th>Alone: Sharpe</th><th>Alone: max drawdown</th></tr>"
    ]
    for name, info in strategies.items():
        alone = info.get("standalone") or {}
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td class=n>{fmt(info.get('allocation'), 'pct')}</td>"
            f"<td class=n>{fmt(info.get('contribution'), 'pct')}</td>"
            f"<td class=n>{fmt(info.get('first_session_alone'), 'text')}</td>"
            f"<td class=n>{fmt(alone.get('annualized_return'), 'pct')}</td>"
            f"<td class=n>{fmt(alone.get('sharpe'), 'num')}</td>"
            f"<td class=n>{fmt(alone.get('max_drawdown'), 'pct')}</td></tr>"
        )
    costs = doc.get("contribution_costs")
    if costs is not None:
        blank = "<td></td>"
        rows.append(f"<tr><td>costs</td>{blank}<td class=n>{fmt(costs, 'pct')}</td>{blank * 4}</tr>")
    return "<h2>Strategies</h2><table>" + "".join(rows) + "</table>"


def _exposure(doc: Mapping[str, Any]) -> str:
    exposure = doc["portfolio"].get("exposure") or {}
    ordered = sorted(exposure.items(), key=lambda kv: -kv[1]["mean_weight"])
    rows = ["<tr><th>Asset</th><th>Mean weight</th><th>Time held</th></tr>"]
    rows += [
        f"<tr><td>{html.escape(sym)}</td><td class=n>{fmt(e['mean_weight'], 'pct')}</td>"
        f"<td class=n>{fmt(e['time_held'], 'pct')}</td></tr>"
        for sym, e in ordered
    ]
    cash = doc["portfolio"].get("mean_cash_weight")
    rows.append(f"<tr><td>cash</td><td class=n>{fmt(cash, 'pct')}</td><td></td></tr>")
    return "<h2>Exposure per asset</h2><table>" + "".join(rows) + "</table>"


def _image(name: str, path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    title = html.escape(CHART_TITLES.get(name, name))
    return f'<h2>{title}</h2><img alt="{title}" src="data:image/png;base64,{data}">'


def options_text(options: Mapping[str, Any]) -> str:
    """The options as a reader would say them (never a Python repr such as `start=None`)."""
    parts = [
        f"trades at the {options.get('execution', 'close')}",
        f"slippage {options.get('slippage_bps', 0):g} bps",
        f"fees {options.get('fee_bps', 0):g} bps",
        f"rebalance {options.get('rebalance', 'daily')}",
        f"cash buffer {options.get('cash_buffer', 0) * 100:g}%",
        f"minimum order {fmt(options.get('min_order_notional'), 'money')}",
        f"initial equity {fmt(options.get('initial_equity'), 'money')}",
        f"from {options.get('start') or 'the first usable session'}",
        f"to {options.get('end') or 'the last session'}",
    ]
    return html.escape(", ".join(parts))


def _options(doc: Mapping[str, Any]) -> str:
    start = html.escape(str(doc["portfolio"]["start"]))
    return (
        f'<p class="muted">Options: {options_text(doc["options"])}. The backtest starts on {start}, the'
        " first session from which every strategy's decisions are defined and every symbol it may hold"
        " has a price (see each strategy's own first session below).</p>"
    )


def render_html(doc: Mapping[str, Any], charts: Mapping[str, Path], *, title: str = "Backtest report") -> str:
    """The report as one HTML page (no external files: images are data URIs)."""
    body = [
        f"<h1>{html.escape(title)}</h1>",
        _options(doc),
        "<h2>Summary</h2>",
        _headline(doc),
        _strategies(doc),
        *(_image(name, path) for name, path in charts.items()),
        _exposure(doc),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
