# Two commands for a fresh machine: `make demo` (the main job) and `make test` (the whole suite).
# Each creates .venv and installs the project into it when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck venv serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/hpo-trainer demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two pytest processes, one test file each at a time (a file's module fixtures, such as its
# servers, stay in one process; every process has its own PostgreSQL database): the suite
# waits on servers, subprocesses and the database much of the time, so on 2 cores it took
# 340 s instead of 562 s (2026-12-07).
test: lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

serve: $(STAMP)
	$(BIN)/hpo serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-run
