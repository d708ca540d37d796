"""What `sweep` and `screen` write: one JSON document, a CSV table (one row per candidate, best first) and a
chart: the metric's distribution, the best candidates' equity curves and, for a two-parameter grid, a
heatmap of the metric over the grid (matplotlib, imported only here).

    >>> paths = write_ranking(ranking, Path("out/sweep"))  # doctest: +SKIP
    >>> sorted(p.name for p in paths.values())             # doctest: +SKIP
    ['ranking.csv', 'ranking.png', 'sweep.json']
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from rebalancer.errors import ConfigError
from rebalancer_research.backtest.ranking import Ranking, table_rows

BEST_CURVES = 5
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _json_safe(value: Any) -> Any:
    """NaN and infinities become null: the document must be valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_ranking(ranking: Ranking, folder: Path) -> dict[str, Path]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            f"cannot create the output folder {folder}: {err.strerror}",
            code="bad-output",
            hint="pass --out a folder you can write to",
            where=str(folder),
        ) from err
    document = folder / f"{ranking.kind}.json"
    document.write_text(json.dumps(_json_safe(ranking.document), indent=2, allow_nan=False))
    table = folder / "ranking.csv"
    rows = table_rows(ranking)
    with table.open("w", newline="") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return {"json": document, "csv": table, "chart": plot_ranking(ranking, folder / "ranking.png")}


def plot_ranking(ranking: Ranking, path: Path) -> Path:
    from rebalancer_research.backtest.plots import _pyplot

    plt = _pyplot()
    heat = len(ranking.grid) == 2
    fig, axes = plt.subplots(1, 3 if heat else 2, figsize=(15 if heat else 11, 4.2))
    _distribution(axes[0], ranking)
    _best_curves(axes[1], ranking)
    if heat:
        _heatmap(fig, axes[2], ranking)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _values(ranking: Ranking) -> list[float]:
    values = [c.metrics.get(ranking.metric) for c in ranking.candidates]
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def _distribution(ax: Any, ranking: Ranking) -> None:
    values = _values(ranking)
    if values:
        ax.hist(values, bins=min(30, max(5, len(values) // 4)), color=_PALETTE[0], edgecolor="white")
    ax.set_title(f"{ranking.metric} over {len(ranking.candidates)} candidates")
    ax.set_xlabel(ranking.metric)
    ax.set_ylabel("candidates")


def _best_curves(ax: Any, ranking: Ranking) -> None:
    import pandas as pd

    for colour, candidate in zip(_PALETTE, ranking.candidates[:BEST_CURVES], strict=False):
        ax.plot(
            pd.DatetimeIndex(candidate.dates), candidate.equity, lw=1.2, color=colour, label=candidate.label
        )
    ax.set_title(f"best {min(BEST_CURVES, len(ranking.candidates))} by {ranking.metric}")
    ax.set_ylabel("equity (log scale)")
    ax.set_yscale("log")
    if ranking.candidates:
        ax.legend(fontsize=7, loc="upper left")


def _heatmap(fig: Any, ax: Any, ranking: Ranking) -> None:
    first, second = list(ranking.grid)
    rows, cols = ranking.grid[first], ranking.grid[second]
    values = np.full((len(rows), len(cols)), np.nan)
    for candidate in ranking.candidates:
        value = candidate.metrics.get(ranking.metric)
        if value is not None:
            values[rows.index(candidate.params[first]), cols.index(candidate.params[second])] = value
    image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(cols)), [f"{v:g}" for v in cols])
    ax.set_yticks(range(len(rows)), [f"{v:g}" for v in rows])
    if values.size <= 100:  # label the cells while they are large enough to read
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=8, color="white")
    ax.set_xlabel(second)
    ax.set_ylabel(first)
    ax.set_title(f"{ranking.metric} over the grid")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
