"""Local and operator tooling: the `rebalancer` command (cli/), the moto stack and in-process handler
invocation (local/), replay and the symphony printer. Not shipped to Lambda."""
