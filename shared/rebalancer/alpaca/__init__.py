"""The Alpaca adapters: the Broker port over alpaca-py (broker.py), market data (market_data.py), the
hardened HTTP layer (http.py), the shared rate limiter and credentials. The only code that talks to Alpaca."""
