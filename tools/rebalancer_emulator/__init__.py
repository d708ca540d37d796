"""A local Alpaca-compatible paper broker (Trading API v2 + Market Data API v2) for tests and demos.

    from rebalancer_emulator import EmulatorServer, EmulatorConfig
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(history, start_at="2024-11-29T09:35", config=config) as emu:
        ...  # point alpaca-py at emu.url; script faults with emu.faults; inspect emu.state

See docs/emulator.md for what it models, the price/fill model and the fault API.
"""

from rebalancer_emulator.clock import MarketCalendar, SimClock
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.routing import RequestLog, RequestRecord
from rebalancer_emulator.server import EmulatorServer
from rebalancer_emulator.state import PaperBroker

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "FaultInjector",
    "MarketCalendar",
    "PaperBroker",
    "RequestLog",
    "RequestRecord",
    "SimClock",
]
