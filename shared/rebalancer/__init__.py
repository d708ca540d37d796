"""rebalancer: a serverless multi-strategy portfolio rebalancer for Alpaca accounts."""

__version__ = "0.1.0"
