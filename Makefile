# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv when it is missing and install the pinned versions from the lock files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint bench bench-engine bench-growth lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/python requirements-test.lock pyproject.toml
	$(BIN)/python -m pip install -q -r requirements-test.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/bpu-bot db upgrade
	$(BIN)/bpu-bot serve

# The suite on SQLite and, when a server answers, on PostgreSQL (tests/run_suites.py): side by
# side for the fast run, one after the other for the slow one; both results are reported, and
# the target fails if either failed. Fast tests only, unless CI=true (as .ci/run sets it) or
# RUN_SLOW=1 (`make test-all`): then the slow end-to-end, load and storm tests run too.
test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m tests.run_suites "$(PG_TEST_URL)"

# Everything, slow tests included (what CI runs).
test-all:
	RUN_SLOW=1 $(MAKE) --no-print-directory test

test-sqlite: $(VENV)/.test-installed
	$(BIN)/pytest -q

test-postgres: $(VENV)/.test-installed
	TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -q

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# Ours against an in-memory aiogram bot and a bare endpoint (see bench/compare.py); set
# BENCH_PG_URL to a database it may wipe to measure PostgreSQL too.
bench: $(VENV)/.test-installed
	$(BIN)/python -m bench.compare

bench-engine: $(VENV)/.test-installed
	$(BIN)/python -m bench.run

bench-growth: $(VENV)/.test-installed
	$(BIN)/python -m bench.growth

# Re-pin dependencies after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml -o requirements.lock --python-version 3.11
	uv pip compile pyproject.toml --extra test -o requirements-test.lock --python-version 3.11

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
