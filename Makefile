PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest certs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setuptools tells every editable install it is one ("BuildBackendWarning: Editable
# installation"): nothing to act on, so that one note is silenced
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(QUIET_EDITABLE) $(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(QUIET_EDITABLE) $(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/python -m simulator serve --ui-port 8080 $(ARGS)

certs: $(STAMP_RUN)
	$(BIN)/python -m simulator certs

lint: $(STAMP_DEV)
	$(BIN)/ruff check simulator tests bench
	$(BIN)/ruff format --check simulator tests bench
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP_DEV)
	$(BIN)/mypy simulator

pytest: $(STAMP_DEV)
	$(BIN)/pytest -q -n auto  # pytest-xdist: one worker per core

test: lint typecheck pytest

bench: $(STAMP_DEV)
	$(BIN)/python bench/http_status.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
