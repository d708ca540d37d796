# rebalancer developer entry points. `make demo` and `make test` are all a new user needs.
#
# Every install is locked and hash-checked: uv.lock (library, dev tools, and through layers/deps/requirements.txt
# the Lambda layer), requirements/*.txt (uv itself, the SAM CLI, checkov: tools whose pins clash with ours).
# `make lock` regenerates them all; nothing else resolves versions.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MARKET_DATA ?= $(abspath ../shared/data/market)

# uv lives in its own small venv, bootstrapped by pip from requirements/uv.txt (hashes required).
UV_VENV ?= .venv-uv
UV := $(abspath $(UV_VENV)/bin/uv)
UV_STAMP := $(UV_VENV)/.installed
# The machine's Pythons only (never a download); uv reads the system CA bundle like pip does.
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1
# uv sync installs into $(VENV) rather than the default .venv (same by default; lets VENV=... work).
export UV_PROJECT_ENVIRONMENT := $(VENV)
# A visible line per step, with the time of day so a slow step shows itself.
STEP = @printf '\n==> %s  %s\n' "$$(date +%H:%M:%S)" 

.PHONY: demo test lint types unit doctest mutation security checkov bench clean venv sam-build sam-check lock audit sbom

venv: $(STAMP)

$(UV_STAMP): requirements/uv.txt
	$(STEP)"uv: bootstrapping uv into $(UV_VENV) with pip (hash-checked)"
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/uv.txt
	@$(UV) --version
	touch $(UV_STAMP)

# uv sync --locked fails if uv.lock does not match pyproject.toml, and checks every download's hash.
# --compile-bytecode writes the .pyc files at install: uv does not by default, and where Python may not
# write them (PYTHONDONTWRITEBYTECODE, a read-only venv) every command compiled pandas, pydantic and
# alpaca-py again: `rebalancer signals` took 1.46 s of CPU instead of 0.60 s (bench/cli_bench.py).
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	$(STEP)"venv: installing the locked library, dev and research tools into $(VENV) (uv sync --locked)"
	$(UV) sync --locked --compile-bytecode --extra dev --extra research --python $(PYTHON)
	touch $(STAMP)

# The embedded default: the Lambda stack on moto + the Alpaca emulator (rebalancer_tools.cli.demo_cmd).
demo: $(STAMP)
	$(STEP)"demo: the Lambda stack on moto + the Alpaca emulator"
	$(BIN)/rebalancer demo

lint: $(STAMP)
	$(STEP)"lint: ruff check + ruff format --check"
	$(BIN)/ruff check shared tools tests bench functions
	$(BIN)/ruff format --check shared tools tests bench functions

types: $(STAMP)
	$(STEP)"types: mypy"
	$(BIN)/mypy

unit: $(STAMP)
	$(STEP)"unit: the whole test suite (pytest -n 2, coverage)"
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/pytest -n 2 --cov --cov-report=term

# Every docstring example in the library runs (illustrations that need a live account are marked +SKIP).
doctest: $(STAMP)
	$(STEP)"doctest: every docstring example in shared/rebalancer and tools"
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/pytest -q -p no:cacheprovider -o addopts=--strict-markers \
		--doctest-modules shared/rebalancer tools

test: lint types unit doctest sam-check security

# --- Security checks that run offline (here, in `make test`, and in CI). pip-audit needs the vulnerability
# database online, so it runs only on GitHub (`make audit`, .github/workflows/ci.yml), as does the SBOM.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
IAC := template.yaml infra/deploy-roles.yaml

$(CHECKOV_STAMP): requirements/checkov.txt $(UV_STAMP)
	$(STEP)"checkov: installing the locked checkov into $(CHECKOV_VENV) (its boto3 pin clashes with ours)"
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip sync --require-hashes --python $(CHECKOV_VENV)/bin/python requirements/checkov.txt
	touch $(CHECKOV_STAMP)

security: $(STAMP) checkov
	$(STEP)"security: bandit (Python code; settings in pyproject.toml)"
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive shared tools functions
	$(STEP)"security: detect-secrets (every tracked file against .secrets.baseline)"
	@# The baseline leaves out the is_indirect_reference filter: its regex took 4 ms a line on the corpus
	@# fixtures (4.5 min of CI). A filter only drops findings, so without it the scan is stricter (30 s).
	git ls-files -z | xargs -0 $(BIN)/detect-secrets-hook --baseline .secrets.baseline
	$(STEP)"security: cfn-lint ($(IAC))"
	$(BIN)/cfn-lint $(IAC)
	$(STEP)"security: actionlint (.github/workflows)"
	$(BIN)/actionlint

checkov: $(CHECKOV_STAMP)
	$(STEP)"security: checkov ($(IAC); suppressions sit in place, each with its reason)"
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation $(addprefix --file ,$(IAC))

# GitHub only (.github/workflows/ci.yml): pip-audit needs the internet, and its verdict changes with each new
# advisory, so an unchanged commit could turn red: it gates pull requests there, not `make test`.
audit: $(STAMP)
	$(STEP)"audit: pip-audit against the locked requirements (needs the internet)"
	$(UV) export --frozen --all-extras --no-emit-project --format requirements-txt -o $(VENV)/audit.txt --quiet
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --requirement $(VENV)/audit.txt
	$(BIN)/pip-audit --strict --require-hashes --disable-pip --requirement layers/deps/requirements.txt

sbom: $(STAMP)
	$(STEP)"sbom: CycloneDX of what ships (the Lambda layer) and of the dev environment -> sbom/"
	mkdir -p sbom
	$(BIN)/cyclonedx-py requirements --output-format JSON --output-file sbom/lambda-layer.cdx.json \
		layers/deps/requirements.txt
	$(BIN)/cyclonedx-py environment --output-format JSON --output-file sbom/dev-environment.cdx.json \
		$(VENV)/bin/python

# Re-resolve everything (needs the internet): uv.lock, then the layer's requirements, exported from the lock's
# runtime set with the lock's hashes (minus boto3 and what only it needs: the Lambda runtime provides them;
# layers/deps/Makefile installs them for python3.13 arm64), then the separate tool sets. Review the diff.
lock: $(UV_STAMP)
	$(STEP)"lock: uv.lock"
	$(UV) lock
	$(STEP)"lock: layers/deps/requirements.txt from uv.lock (runtime set; markers resolve for python3.13 arm64 at install)"
	$(UV) export --frozen --no-emit-project --prune boto3 --quiet -o layers/deps/requirements.txt
	$(STEP)"lock: requirements/{uv,sam,checkov}.txt"
	for set in uv sam checkov; do $(UV) pip compile requirements/$$set.in --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command 'make lock' -o requirements/$$set.txt || exit 1; done

# Mutation testing of the money path (portfolio/, run/client_ids.py, symphony/weights.py) with mutmut:
# prints the score per module, exit 1 when any module is under 90%. Minutes, not seconds: not part of `test`.
mutation: $(STAMP)
	$(STEP)"mutation: mutmut on the money path (installs the locked mutation extra)"
	$(UV) sync --locked --compile-bytecode --extra dev --extra research --extra mutation --python $(PYTHON)
	$(BIN)/python -m rebalancer_tools.mutation --jobs 2

# --- SAM: validate --lint, build (python3.13, arm64 wheels) and report the unzipped package size.
# aws-sam-cli pins conflict with ours, so it lives in its own venv. sam build needs python3.13 on PATH:
# pyenv's 3.13 when there is one, else whatever python3.13 the PATH has. The deps layer is built by
# layers/deps/Makefile with uv (hash-checked arm64 wheels), so UV goes into sam's environment.
SAM_VENV ?= .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} UV=$(UV)
PY313_BIN := $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13.*/bin))
SAM_PATH := $(if $(PY313_BIN),$(PY313_BIN):,)$(PATH)

$(SAM_STAMP): requirements/sam.txt $(UV_STAMP)
	$(STEP)"sam: installing the locked aws-sam-cli into $(SAM_VENV)"
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SAM_VENV)
	$(UV) pip sync --require-hashes --python $(SAM_VENV)/bin/python requirements/sam.txt
	touch $(SAM_STAMP)

# The deploy workflow builds with this target too (then sam deploy --config-env paper|live).
sam-build: $(SAM_STAMP) $(UV_STAMP)
	$(STEP)"sam: validate --lint"
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint --template template.yaml
	$(STEP)"sam: build (python3.13, arm64; the deps layer from its hashed requirements)"
	PATH="$(SAM_PATH)" $(SAM_ENV) $(SAM_VENV)/bin/sam build --template template.yaml

sam-check: sam-build $(STAMP)
	$(STEP)"sam: unzipped size per function, and what the library layer holds"
	$(BIN)/python -m rebalancer_tools.local.package_size template.yaml .aws-sam/build

bench: $(STAMP)
	$(STEP)"bench: installing the locked peers (bench extra), then the benchmarks"
	$(UV) sync --locked --compile-bytecode --extra dev --extra research --extra bench --python $(PYTHON)
	REBALANCER_MARKET_DATA=$(MARKET_DATA) $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(UV_VENV) $(SAM_VENV) $(CHECKOV_VENV) sbom .mutation .pytest_cache .mypy_cache .ruff_cache .coverage build \
		*.egg-info shared/*.egg-info tools/*.egg-info
