# Two commands a newcomer needs:
#   make demo   - set up .venv, install, train the default model on first use,
#                 tag the example survey, rank the causes of detractors, write a report
#   make test   - set up .venv, install, run the test suite (and the doctests in docs/)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE := examples/kundeservice_nps_2026.csv

.PHONY: demo test lint wheel bench clean

$(BIN)/classify: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(BIN)/classify

demo: $(BIN)/classify
	$(BIN)/classify predict $(EXAMPLE)
	$(BIN)/classify drivers examples/kundeservice_nps_2026.predictions.csv --by Kanal --period month \
		--html examples/report.html --out examples/drivers.csv

test: $(BIN)/classify
	$(BIN)/python -m pytest

lint: $(BIN)/classify
	$(BIN)/ruff check classifier scripts tests conftest.py
	$(BIN)/ruff format --check classifier scripts tests conftest.py
	$(BIN)/mypy

wheel: $(BIN)/classify
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation --quiet -w dist .

bench: $(BIN)/classify
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) dist build examples/*.predictions.* examples/report.html examples/drivers.csv
