"""HealthCheckFunction: before the open (and on demand) check credentials, Alpaca, state and data;
alert on any failure. Logic: rebalancer.aws.check_handlers / rebalancer.aws.health.

    rebalancer invoke events/health.json --function health
"""

from rebalancer.aws.check_handlers import handle_health
from rebalancer.aws.entry import lambda_entry

handler = lambda_entry(handle_health)
