# rebalancer developer entry points. `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MARKET_DATA ?= $(abspath ../shared/data/market)

.PHONY: demo test lint types unit bench clean venv sam-check

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,research]'
	touch $(STAMP)

# The embedded default: the Lambda stack on moto + the Alpaca emulator (rebalancer_tools.cli.demo_cmd).
demo: $(STAMP)
	$(BIN)/rebalancer demo

lint: $(STAMP)
	$(BIN)/ruff check shared tools tests bench functions
	$(BIN)/ruff format --check shared tools tests bench functions

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/pytest -n 2 --cov --cov-report=term

test: lint types unit sam-check

# --- SAM: validate --lint, build (python3.13, arm64 wheels) and report the unzipped package size.
# aws-sam-cli pins conflict with ours, so it lives in its own venv. sam build needs python3.13 on PATH:
# pyenv's 3.13 when there is one, else whatever python3.13 the PATH has.
SAM_VENV ?= .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1}
PY313_BIN := $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.*/bin))
SAM_PATH := $(if $(PY313_BIN),$(PY313_BIN):,)$(PATH)

$(SAM_STAMP):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0 cfn-lint==1.58.0
	touch $(SAM_STAMP)

sam-check: $(SAM_STAMP) $(STAMP)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint --template template.yaml
	$(SAM_ENV) $(SAM_VENV)/bin/cfn-lint infra/ci-deploy-role.yaml
	PATH="$(SAM_PATH)" $(SAM_ENV) $(SAM_VENV)/bin/sam build --template template.yaml
	$(BIN)/python -m rebalancer_tools.local.package_size template.yaml .aws-sam/build

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build *.egg-info shared/*.egg-info tools/*.egg-info
