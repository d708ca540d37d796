"""WatchdogFunction: after the run's window, alert when the session has no completed run.
Logic: rebalancer.aws.check_handlers / rebalancer.aws.watchdog.

    rebalancer invoke events/watchdog.json --function watchdog
"""

from rebalancer.aws.check_handlers import handle_watchdog
from rebalancer.aws.entry import lambda_entry

handler = lambda_entry(handle_watchdog)
