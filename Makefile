# Workflows API: `make run` serves the stack locally on emulators, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format unit integration e2e token clean

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

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install
	$(PY) -m pytest tests/e2e

# Tokens for the running local stack, e.g. make token ARGS="create --org demo --grant executions:read"
token: install
	@$(PY) -m devstack.admin token $(ARGS)

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
