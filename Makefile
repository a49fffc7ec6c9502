# Every target depends on the virtual environment through a stamp file, so a
# fresh clone needs no separate setup step.

# python3.11 when it is on PATH, else python3 (pyproject.toml requires 3.11).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXPANSION := $(BIN)/expansion

DEMO := data/raw/demo
DATA ?= $(DEMO)
MAPPING ?=
CONFIG ?=
ASOF ?=

MAPPING_OPT := $(if $(MAPPING),--mapping $(MAPPING),)
CONFIG_OPT := $(if $(CONFIG),--config $(CONFIG),)
ASOF_OPT := $(if $(ASOF),--as-of $(ASOF),)
COMMON := --data $(DATA) $(MAPPING_OPT) $(CONFIG_OPT)

export MLFLOW_DISABLE_TELEMETRY := true

.DEFAULT_GOAL := help
.PHONY: help setup data ensure-data validate features train score compare ui test lint bench clean

help: ## Show this list of targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'
	@echo ""
	@echo "  Variables: DATA=$(DATA) MAPPING=<yaml> CONFIG=<yaml> ASOF=<YYYY-MM-DD>"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=/path/to/python3.11'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the package editable with dev extras

$(DEMO)/accounts.csv: | $(STAMP)
	$(EXPANSION) generate --out $(DEMO)

data: $(STAMP) ## Generate the synthetic demo export into data/raw/demo (regenerates it)
	$(EXPANSION) generate --out $(DEMO)

# The demo export is generated only when the default DATA is used and it is absent.
ensure-data: $(STAMP) $(if $(filter $(DEMO),$(DATA)),$(DEMO)/accounts.csv,)

validate: ensure-data ## Validate DATA (with MAPPING) and write data/interim/validation_report.json
	$(EXPANSION) validate $(COMMON)

features: ensure-data ## Build point-in-time snapshots into data/processed/snapshots.parquet
	$(EXPANSION) features $(COMMON)

train: ensure-data ## Generate demo data if absent, validate, build features, train, evaluate and register
	$(EXPANSION) train $(COMMON)

score: ensure-data ## Score every active account with the champion into data/scores/<as-of>/
	$(EXPANSION) score $(COMMON) $(ASOF_OPT)

compare: $(STAMP) ## Print the experiment's runs side by side, best first
	$(EXPANSION) compare

ui: $(STAMP) ## Start the MLflow UI on http://127.0.0.1:5000
	$(BIN)/mlflow ui --host 127.0.0.1 --port 5000 --backend-store-uri "$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}"

test: $(STAMP) ## Run ruff and the test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

lint: $(STAMP) ## Run ruff check and ruff format --check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP) ## Run the benchmarks in bench/ and write bench/results/
	$(BIN)/python -m bench.run_all

clean: ## Remove generated data, models, MLflow runs and caches (keeps .venv)
	rm -rf data/raw/demo data/interim/* data/processed/* data/scores/* models/champion
	rm -rf mlruns mlflow.db bench/results .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
