"""The AWS side of the stack: resource names (resources.py), lazy clients, the local moto bootstrap and
the wiring that builds the state adapters from a function's environment."""
