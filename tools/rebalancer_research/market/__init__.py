"""Price sources for research and local runs: CSV folders and the seeded synthetic market."""
