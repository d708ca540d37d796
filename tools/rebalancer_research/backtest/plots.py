"""PNG charts of a backtest (matplotlib, Agg backend, imported only when plotting: the `research` extra).

>>> paths = write_charts(result, benchmark, Path("out"))  # doctest: +SKIP
>>> sorted(p.name for p in paths.values())  # doctest: +SKIP
['allocation.png', 'drawdown.png', 'equity.png', 'monthly_returns.png']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rebalancer.errors import ConfigError
from rebalancer_research.backtest.metrics import drawdown, monthly_returns
from rebalancer_research.backtest.simulate import BacktestResult
from rebalancer_research.backtest.summary import BenchmarkCurve

CHARTS: tuple[str, ...] = ("equity", "drawdown", "allocation", "monthly_returns")
MAX_ALLOCATION_SERIES = 12
_DPI = 110
_PORTFOLIO_COLOR = "#0072B2"
_BENCHMARK_COLOR = "#888888"
# Colour-blind-safe: Okabe-Ito's seven hues (the largest holdings), then Paul Tol's muted hues: eleven
# distinct colours for the MAX_ALLOCATION_SERIES - 1 named series; no two are light/dark twins.
HOLDING_COLORS: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#332288", "#882255", "#999933", "#44AA99",
)  # fmt: skip
OTHER_COLOR = "#4D4D4D"  # dark grey: many small holdings together
CASH_COLOR = "#FFFFFF"  # white with a grey hatch: clearly not a holding, and not a second grey
# Diverging and colour-blind safe (red-blue, not red-green), centred on 0.
MONTHLY_CMAP = "RdBu"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "charts need matplotlib, which is not installed",
            code="missing-research-extra",
            hint="pip install 'rebalancer[research]' (or run without --out)",
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _index(dates: np.ndarray[Any, Any]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(dates)


def _save(fig: Any, path: Path, *, tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    fig.clf()
    return path


def plot_equity(result: BacktestResult, benchmark: BenchmarkCurve | None, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.8))
    ax.plot(_index(result.dates), result.equity, color=_PORTFOLIO_COLOR, lw=1.4, label="portfolio")
    if benchmark is not None:
        ax.plot(
            _index(benchmark.dates), benchmark.equity, color=_BENCHMARK_COLOR, lw=1.1, label=benchmark.symbol
        )
    ax.set_yscale("log")
    ax.set_title("Equity (log scale)")
    ax.set_ylabel("equity ($)")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    values = np.concatenate([result.equity, benchmark.equity if benchmark is not None else []])
    span = float(values.max() / values.min())
    subs = (
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)
        if span < 10
        else (1.0, 2.0, 5.0)
        if span < 1e3
        else (1.0,)
    )
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left")
    path = _save(fig, path)
    plt.close(fig)
    return path


def plot_drawdown(result: BacktestResult, benchmark: BenchmarkCurve | None, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.6))
    dd = drawdown(result.equity) * 100
    ax.fill_between(_index(result.dates), dd, 0, color=_PORTFOLIO_COLOR, alpha=0.45, label="portfolio")
    if benchmark is not None:
        bench_dd = drawdown(benchmark.equity) * 100
        ax.plot(_index(benchmark.dates), bench_dd, color=_BENCHMARK_COLOR, lw=0.9, label=benchmark.symbol)
    ax.set_title(f"Drawdown (worst {dd.min():.1f}%)")
    ax.set_ylabel("% below peak")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    path = _save(fig, path)
    plt.close(fig)
    return path


def allocation_frame(result: BacktestResult) -> pd.DataFrame:
    """Weights held (and cash) per session, the largest series kept; averaged per week or month when
    the backtest is long, so that daily switching does not turn the chart into a barcode."""
    frame = pd.DataFrame(result.weights_held, index=_index(result.dates), columns=list(result.symbols))
    means = frame.mean()
    frame = frame[means[means > 0].sort_values(ascending=False).index]
    if len(frame.columns) > MAX_ALLOCATION_SERIES:
        keep = list(frame.columns[: MAX_ALLOCATION_SERIES - 1])
        frame = frame[keep].assign(other=frame.drop(columns=keep).sum(axis=1))
    frame["cash"] = (1.0 - frame.sum(axis=1)).clip(lower=0.0)
    period = "M" if len(frame) > 750 else "W" if len(frame) > 120 else None
    if period is not None:
        frame = frame.groupby(frame.index.to_period(period)).mean()
        frame.index = frame.index.to_timestamp()
    return frame


def allocation_colors(columns: list[str]) -> list[str]:
    """A distinct colour per named holding (largest first), dark grey for "other", white for cash."""
    named = iter(HOLDING_COLORS)
    fixed = {"other": OTHER_COLOR, "cash": CASH_COLOR}
    return [fixed[c] if c in fixed else next(named) for c in columns]


def plot_allocation(result: BacktestResult, path: Path) -> Path:
    plt = _pyplot()
    frame = allocation_frame(result)
    fig, ax = plt.subplots(figsize=(10, 4.8))
    colors = allocation_colors(list(frame.columns))
    layers = ax.stackplot(frame.index, frame.to_numpy().T * 100, labels=list(frame.columns), colors=colors)
    for name, layer in zip(frame.columns, layers, strict=True):
        if name == "cash":
            layer.set_hatch("///")
            layer.set_edgecolor("#BBBBBB")
            layer.set_linewidth(0)
    averaged = ""
    if len(frame) < len(result.dates):
        averaged = " (monthly average)" if len(result.dates) > 750 else " (weekly average)"
    ax.set_title(f"Allocation over time{averaged}")
    ax.set_ylabel("% of equity")
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    path = _save(fig, path)
    plt.close(fig)
    return path


def monthly_table(result: BacktestResult) -> pd.DataFrame:
    """Years x months (1..12) of monthly returns in percent, NaN where the backtest has no data, and a
    "year" column: the months present compounded."""
    months = monthly_returns(result.dates, result.equity)
    table = pd.DataFrame(np.nan, index=sorted({int(k[:4]) for k in months}), columns=range(1, 13))
    for key, value in months.items():
        table.loc[int(key[:4]), int(key[5:])] = value * 100
    growth = (1.0 + table / 100.0).prod(axis=1, skipna=True, min_count=1)
    table["year"] = (growth - 1.0) * 100.0
    return table


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plot_monthly_returns(result: BacktestResult, path: Path) -> Path:
    plt = _pyplot()
    table = monthly_table(result)
    months = table[list(range(1, 13))].to_numpy()
    years = table["year"].to_numpy()
    fig, (ax, year_ax) = plt.subplots(
        1,
        2,
        figsize=(10.5, max(2.6, 0.9 + 0.32 * len(table))),
        sharey=True,
        gridspec_kw={"width_ratios": [12, 1.6], "wspace": 0.04},
    )
    image = _heat(ax, months, list(_MONTHS))
    _heat(year_ax, years[:, None], ["Year"])
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    ax.set_title("Monthly returns (%)")
    year_ax.set_title("Total")
    fig.colorbar(image, ax=[ax, year_ax], fraction=0.03, pad=0.02)
    path = _save(fig, path, tight=False)
    plt.close(fig)
    return path


def _heat(ax: Any, values: np.ndarray[Any, Any], labels: list[str]) -> Any:
    """A red-blue heatmap of percentages, each cell labelled; dark cells get white text."""
    limit = max(float(np.nanmax(np.abs(values))), 1.0) if np.isfinite(values).any() else 1.0
    image = ax.imshow(values, cmap=MONTHLY_CMAP, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(labels)), labels)
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            color = "white" if abs(value) > 0.6 * limit else "black"
            ax.text(col, row, f"{value:.1f}", ha="center", va="center", fontsize=8, color=color)
    return image


def write_charts(result: BacktestResult, benchmark: BenchmarkCurve | None, folder: Path) -> dict[str, Path]:
    """Write every chart into `folder` (created if needed); returns chart name -> file."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "equity": plot_equity(result, benchmark, folder / "equity.png"),
        "drawdown": plot_drawdown(result, benchmark, folder / "drawdown.png"),
        "allocation": plot_allocation(result, folder / "allocation.png"),
        "monthly_returns": plot_monthly_returns(result, folder / "monthly_returns.png"),
    }
