# Annex: `make run` serves the site and API on http://127.0.0.1:5000; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: install run test lint clean docs

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/flask --app core migrate
	$(BIN)/flask --app core run --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check core plugins tests
	$(BIN)/ruff format --check core plugins tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

docs: install
	$(BIN)/python -m core.hookdocs
