# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist: one test process per core (PYTEST_ARGS= runs the suite in one process).
PYTEST_ARGS ?= -n auto

.PHONY: run test test-postgres install system-packages lint bench worker clean reliability-report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the app on SQLite at http://127.0.0.1:5000 with the shipped questionnaires and a demo administrator.
# Links in mail and in the demo's login hint point at this server unless SURVEY_BASE_URL says otherwise.
run: export SURVEY_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/survey db upgrade
	$(BIN)/survey questionnaire load questionnaires/*.yaml
	$(BIN)/survey plan load plans/*.yaml
	$(BIN)/survey demo seed
	$(BIN)/survey run --host $(HOST) --port $(PORT)

## Run the whole test suite (SQLite; set SURVEY_TEST_DATABASE_URL for PostgreSQL).
test: install system-packages
	$(BIN)/pytest $(PYTEST_ARGS)

## The same suite against PostgreSQL.
test-postgres:
	SURVEY_TEST_DATABASE_URL=$(POSTGRES_URL) $(MAKE) test

## Chromium (browser tests) and LibreOffice Calc (export round trip), from Debian's packages.
system-packages:
	@scripts/system-packages

## Rewrite docs/reliability.md from the test suite's tables (a test fails while it is stale).
reliability-report: install
	$(BIN)/python -m tests.reliability_report

lint: install
	$(BIN)/ruff check survey tests bench config.py
	$(BIN)/mypy survey config.py tests bench

bench: install
	$(BIN)/python -m bench.run_all

## Run the background worker (mail and jobs such as Excel exports) until Ctrl-C.
worker: install
	$(BIN)/survey worker --loop

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
