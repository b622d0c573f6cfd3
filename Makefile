# Workflows API: `make run` serves the stack locally on emulators, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format unit integration e2e bench bench-fairness bench-peers fuzz token wfapi clean deploy destroy console console-deps

# Create the virtual environment and install the project; quick when already done.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project into $(VENV) (first run only; takes a minute)..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v -e "^WARNING: Location" -e "BuildBackendWarning" -e "^ *!!" -e "^ *\*\*\*" -e "Please be careful" -e "name as your package" -e "with strategy" -e "^ *$$" || true
	@$(PY) -c 'import workflows_api, bqemulator, duckdb_extension_spatial' || { echo "install failed"; exit 1; }
	@touch $(INSTALLED)

install: $(INSTALLED)

run: install
	@$(PY) -m devstack.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	@if command -v terraform >/dev/null 2>&1; then echo "terraform fmt -check -recursive infra"; terraform fmt -check -recursive infra; \
	elif [ "$$(echo "$${CI:-}" | tr A-Z a-z)" = true ] || [ "$${CI:-}" = 1 ]; then echo "ERROR: terraform is not installed and CI=true: infra/ must be checked in CI (README.md, Prerequisites)" >&2; exit 1; \
	else echo "WARNING: terraform is not installed, so 'terraform fmt -check -recursive infra' did NOT run (install Terraform 1.9+: README.md, Prerequisites)" >&2; fi

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint console-deps
	$(PY) -m pytest

# The console's npm packages (axe-core for the browser tests, esbuild and TypeScript for
# rebuilding), from its lockfile; skipped with a warning where npm is missing. The built
# console is committed (functions/workflows_api/console_assets/), so `make run` needs no Node.
CONSOLE_DEPS := console/node_modules/.package-lock.json
console-deps:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(CONSOLE_DEPS); else echo "WARNING: npm is not installed: the console's browser and build tests need Node 20+ and npm (apt-get install nodejs npm)" >&2; fi

$(CONSOLE_DEPS): console/package-lock.json
	cd console && npm ci --no-audit --no-fund

# Rebuild the console's committed assets from console/src (commit the result).
console: console-deps
	cd console && npm run build

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install
	$(PY) -m pytest tests/e2e

# Latencies and their floors, cold starts, statements per example, compile time: one run
# on a fresh local stack of its own (a few minutes). Prints figures; see docs/performance.md.
bench: install
	$(PY) -m benchmarks.bench
	$(PY) -m benchmarks.fairness

# One org's flood (200 executions) against another org's one run, with and without a
# limit, on a fresh local stack of its own: figures only (benchmarks/fairness.py).
bench-fairness: install
	$(PY) -m benchmarks.fairness $(ARGS)

# Ours beside Prefect (pinned, own venv under ~/.cache, server on SQLite; ARGS=--no-services
# without its services), interleaved, on a fresh local stack: figures only (benchmarks/peers.py).
bench-peers: install
	$(PY) -m benchmarks.peers $(ARGS)

# schemathesis against a fresh local stack with a long budget (make test runs a short one).
FUZZ_EXAMPLES ?= 1000
fuzz: install
	WFAPI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) WFAPI_FUZZ_MIN_REQUESTS=50000 $(PY) -m pytest tests/e2e/test_fuzz.py -s -p no:cacheprovider

# Tokens for the running local stack, e.g. make token ARGS="create --org demo --grant executions:read"
token: install
	@$(PY) -m devstack.admin token $(ARGS)

# Any wfapi command against the running local stack, e.g. make wfapi ARGS="principal list --org demo"
wfapi: install
	@$(PY) -m devstack.admin $(ARGS)

# Deploy to Google Cloud with Terraform (infra/README.md). Needs terraform, a project with
# billing, `gcloud auth application-default login`, and a variables file:
# cp infra/terraform.tfvars.example infra/terraform.tfvars (or TFVARS=path/to/file).
TFVARS ?= infra/terraform.tfvars

deploy: install
	@command -v terraform >/dev/null 2>&1 || { echo "terraform is not installed: see infra/README.md"; exit 1; }
	@test -f "$(TFVARS)" || { echo "$(TFVARS) not found: cp infra/terraform.tfvars.example infra/terraform.tfvars and edit it"; exit 1; }
	@$(PY) infra/gateway_spec.py --check
	terraform -chdir=infra init -input=false
	terraform -chdir=infra apply -var-file="$(abspath $(TFVARS))"

destroy:
	@command -v terraform >/dev/null 2>&1 || { echo "terraform is not installed: see infra/README.md"; exit 1; }
	@test -f "$(TFVARS)" || { echo "$(TFVARS) not found: the variables file the deployment was made with"; exit 1; }
	terraform -chdir=infra init -input=false
	terraform -chdir=infra destroy -var-file="$(abspath $(TFVARS))"

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
