"""`rebalancer symphony check FILE...`: can each symphony (a Composer export) run here?

    $ rebalancer symphony check exports/*.clj --data ../shared/data/market
    $ rebalancer symphony check my.clj --json

For each file: whether it parses, its rebalance schedule (docs/rebalancing.md), the symbols it needs
(holdings and signals), the history it needs (warm-up sessions), which data source has them and since
when (a CSV folder: --data or REBALANCER_MARKET_DATA; the synthetic market), symbols that start late or
have gaps (by name, with dates), and anything unsupported. Exit 0 only when every file is usable: it
parses, its settings are valid, and one source holds every symbol with enough history (the synthetic
market counts only when it models every symbol rather than standing in a generic stock).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebalancer.errors import RebalancerError
from rebalancer.market.history import PriceHistory
from rebalancer.strategies.schedule import schedule_from_settings
from rebalancer.symphony.evaluator import required_history
from rebalancer.symphony.library import resolve_strategy
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.coverage import data_coverage

KNOWN_SETTINGS = {"asset-class", "rebalance-frequency", "rebalance-threshold", "rebalance-corridor-width"}


@dataclass
class SourceReport:
    name: str
    usable: bool
    detail: str
    missing: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # "SYM from DATE", latest first
    gaps: list[str] = field(default_factory=list)  # "SYM: N missing sessions from DATE to DATE"
    limited_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FileReport:
    file: str
    parses: bool = False
    error: str = ""
    name: str = ""
    schedule: str = ""
    holdings: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    history_sessions: int = 0
    sources: list[SourceReport] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.parses and not self.unsupported and any(s.usable for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "sources"}
        return {**data, "usable": self.usable, "sources": [s.to_dict() for s in self.sources]}


def register_check(commands: Any) -> None:
    check = commands.add_parser("check", help="can these symphony files run here? (exit 0 only if all can)")
    check.add_argument(
        "files", nargs="+", metavar="FILE", help="symphony files (Composer exports) or built-ins"
    )
    check.add_argument(
        "--data", default=None, help="CSV folder or 'alpaca' (default: $REBALANCER_MARKET_DATA)"
    )
    check.add_argument("--json", action="store_true", help="print the reports as JSON")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    data = args.data or os.environ.get("REBALANCER_MARKET_DATA")
    reports = [check_file(item, data) for item in args.files]
    if args.json:
        json.dump([r.to_dict() for r in reports], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for report in reports:
            sys.stdout.write("\n".join(render(report)) + "\n")
        usable = sum(r.usable for r in reports)
        sys.stdout.write(f"{usable} of {len(reports)} usable\n")
    return 0 if all(r.usable for r in reports) else 1


def check_file(item: str, data_dir: str | None) -> FileReport:
    report = FileReport(item)
    try:
        path = resolve_strategy(item)
        report.file = str(path)
        symphony = load_symphony(path)
    except RebalancerError as err:
        report.error = str(err)
        return report
    report.parses = True
    report.name = symphony.name
    report.holdings = sorted(symphony.holdings)
    report.signals = sorted(symphony.signals - symphony.holdings)
    report.history_sessions = required_history(symphony)
    try:
        report.schedule = str(schedule_from_settings(symphony.settings, str(path)))
    except RebalancerError as err:
        report.unsupported.append(str(err))
    for key, value in symphony.settings:
        if key == "asset-class" and value.strip('"').upper() != "EQUITIES":
            report.unsupported.append(f":asset-class {value}: rebalancer trades US equities only")
        elif key not in KNOWN_SETTINGS:
            report.notes.append(f"setting :{key} {value} is ignored")
    symbols = sorted(symphony.symbols)
    if data_dir == "alpaca":
        report.sources.append(alpaca_source_report(symbols, report.history_sessions))
    elif data_dir:
        report.sources.append(csv_source_report(Path(data_dir), symbols, report.history_sessions))
    report.sources.append(synthetic_source_report(symbols))
    return report


def csv_source_report(folder: Path, symbols: list[str], needed: int) -> SourceReport:
    from rebalancer_research.market.csv_source import load_csv_dir

    name = f"csv {folder}"
    available = {p.stem for p in folder.glob("*.csv")} if folder.is_dir() else set()
    missing = [s for s in symbols if s not in available]
    if missing:
        return SourceReport(name, False, f"{len(missing)} of {len(symbols)} symbols missing", missing)
    try:
        history = load_csv_dir(folder, symbols)
    except RebalancerError as err:
        return SourceReport(name, False, f"unreadable: {err}")
    return coverage(name, history, needed)


def alpaca_source_report(symbols: list[str], needed: int) -> SourceReport:
    """Alpaca's market data through the disk cache (fetching what it lacks: keys needed then)."""
    from rebalancer_research.market.alpaca_cache import load_alpaca

    try:
        history = load_alpaca(symbols, start=None, end=dt.date.today() - dt.timedelta(days=1))
    except RebalancerError as err:
        return SourceReport("alpaca", False, str(err))
    return coverage("alpaca", history, needed)


def coverage(name: str, history: PriceHistory, needed: int) -> SourceReport:
    """Whether the sessions where every symbol has a price cover the warm-up; which symbol starts last
    (it limits the start), late starts and gaps inside each symbol's range."""
    found = data_coverage(history)
    detail = (
        f"{found.complete_sessions} sessions with every symbol, from {found.first_complete} to {found.last}"
    )
    if found.limited_by:
        detail += f"; {found.limited_by} limits the start"
    ok = found.complete_sessions >= needed
    if not ok:
        detail += f"; the warm-up needs {needed}"
    return SourceReport(name, ok, detail, late=found.late, gaps=found.gaps, limited_by=found.limited_by)


def synthetic_source_report(symbols: list[str]) -> SourceReport:
    from rebalancer_research.market.synthetic_universe import public_symbols

    modelled = set(public_symbols())
    generic = [s for s in symbols if s not in modelled]
    if generic:
        detail = f"models {len(symbols) - len(generic)} of {len(symbols)}; the rest are generic stand-ins"
        return SourceReport("synthetic", False, detail, missing=generic)
    return SourceReport(
        "synthetic", True, f"models all {len(symbols)} symbols (4000 sessions, not real prices)"
    )


def render(report: FileReport) -> list[str]:
    verdict = "usable" if report.usable else "NOT usable"
    lines = [f"{report.file}: {verdict}"]
    if not report.parses:
        return [*lines, f"  does not parse: {report.error}"]
    lines += [
        f"  symphony: {report.name!r}, rebalance {report.schedule or 'invalid'}",
        f"  needs {len(report.holdings)} holdings, {len(report.signals)} more signal symbols, "
        f"{report.history_sessions} sessions of history",
        f"  holdings: {' '.join(report.holdings)}",
    ]
    if report.signals:
        lines.append(f"  signals: {' '.join(report.signals)}")
    for source in report.sources:
        lines.append(f"  source {source.name}: {'ok' if source.usable else 'no'} ({source.detail})")
        if source.missing:
            lines.append(f"    missing: {' '.join(source.missing)}")
        if source.late:
            more = f" and {len(source.late) - 5} more" if len(source.late) > 5 else ""
            lines.append(f"    latest starts: {', '.join(source.late[:5])}{more}")
        lines.extend(f"    gap: {item}" for item in source.gaps)
    lines.extend(f"  unsupported: {item}" for item in report.unsupported)
    lines.extend(f"  note: {item}" for item in report.notes)
    return lines
