# One entry point for a fresh machine with Python 3.11: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
LINT_PATHS := src tests $(wildcard benchmarks)

.PHONY: setup browser demo test lint format bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,jupyter]"
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium + chromedriver for the HTML briefing's browser test (skipped when present).
browser:
	bash scripts/install_browser.sh

demo: setup
	$(BIN)/dso-validate data=synthetic
	$(BIN)/dso-train data=synthetic
	$(BIN)/dso-score data=synthetic

test: setup browser
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: setup
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

docs: setup
	$(BIN)/python -m dso_model.contract.docs

bench: setup
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs multirun data/cache .pytest_cache .ruff_cache
