"""RebalanceFunction: one scheduled (or on-demand) rebalance. The logic is in the library:
rebalancer.aws.rebalance_handler (event validation, adapters, the run, metrics, alerts).

    sam local invoke RebalanceFunction -e events/scheduled.json     # with Docker
    rebalancer invoke events/scheduled.json                          # in-process, same handler
"""

from rebalancer.aws.entry import lambda_entry
from rebalancer.aws.rebalance_handler import handle_rebalance

handler = lambda_entry(handle_rebalance)
