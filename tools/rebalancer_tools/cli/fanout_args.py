"""The fan-out options every research command shares: --jobs, --scheduler, --no-progress."""

from __future__ import annotations

import argparse

from rebalancer_research.fanout import FanOutSettings, default_workers


def add_fan_out_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_workers(),
        help="worker processes of the embedded Dask cluster (1: run in this process)",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (tcp://HOST:8786)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def fan_out_settings(args: argparse.Namespace) -> FanOutSettings:
    return FanOutSettings(scheduler=args.scheduler, workers=args.jobs, progress=not args.no_progress)
