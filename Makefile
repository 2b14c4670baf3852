# vi-report-triage: `make run` to set up and serve, `make test` to set up and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL_DIR ?= models/default
STAMP := $(VENV)/.installed

.PHONY: setup model run test lint bench reliability notebooks clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create the virtual environment and install the project

$(MODEL_DIR)/manifest.json: | $(STAMP)
	$(BIN)/triage train --output $(MODEL_DIR)

model: $(MODEL_DIR)/manifest.json ## Train the default model from data/samples if there is none

run: model ## Set up, build the default model if needed, and start the service on 127.0.0.1:8000
	$(BIN)/triage serve

test: $(STAMP) ## Set up and run the test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check classifier training service tests bench

bench: model ## Benchmarks; figures go to bench/RESULTS.md
	$(BIN)/python -m bench

reliability: model ## Slow load and crash tests
	$(BIN)/python -m pytest -q -m slow

notebooks: model ## Run the reviewer notebooks on the default model into reports/
	$(BIN)/python -m training.notebooks --out reports

clean:
	rm -rf $(VENV) models var reports
