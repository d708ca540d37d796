"""The AWS side of the stack: resource names (resources.py), lazy clients, the Lambda handlers' logic and
the wiring that builds the state adapters from a function's environment."""
