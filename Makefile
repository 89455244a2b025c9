# Annex: `make run` serves the site and API on http://127.0.0.1:5000; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: install run test lint clean docs bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

run: install
	$(BIN)/flask --app core migrate
	$(BIN)/flask --app core run --port $(PORT)

test: install
	@if command -v node >/dev/null 2>&1; then node --test tests/js/; else echo "node not found: skipping tests/js (annex.js unit tests)"; fi
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/types --silent --no-audit --no-fund && node tests/types/check.mjs; else echo "npm not found: skipping tests/types (client/annex.d.ts)"; fi
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check core client plugins tests examples bench
	$(BIN)/ruff format --check core client plugins tests examples bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

docs: install
	$(BIN)/python -m core.hookdocs

# Render deploy/nginx.conf (any Python 3.9+, no venv needed); see docs/deploy.md:
#   make nginx-conf NGINX_ARGS="--server-name annex.example.com [--preset compose] …"
.PHONY: nginx-conf
nginx-conf:
	python3 deploy/render_nginx.py $(NGINX_ARGS) --output $(or $(NGINX_CONF),deploy/nginx.generated.conf)

bench: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)
