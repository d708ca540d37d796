# rebalancer developer entry points. `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MARKET_DATA ?= $(abspath ../shared/data/market)

.PHONY: demo test lint types unit bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,research]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rebalancer signals

lint: $(STAMP)
	$(BIN)/ruff check shared tests bench functions
	$(BIN)/ruff format --check shared tests bench functions

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/pytest -n 2 --cov --cov-report=term

test: lint types unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build *.egg-info shared/*.egg-info
