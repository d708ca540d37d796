"""The stack on loopback: moto server, resource bootstrap, handler invocation, disk stores, the emulator
session for local runs, and the Lambda package-size report."""
