# Lentera: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: run run-prod test test-fast lint install test-install system-deps test-system-deps translations assets \
        i18n-extract bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations assets

test-install: $(VENV)/.test-installed translations assets

system-deps:
	@scripts/system-deps.sh run

test-system-deps:
	@scripts/system-deps.sh test

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d app/translations -f >/dev/null
	@$(BIN)/pybabel compile -D wtforms -d app/translations -f >/dev/null

# Front-end libraries (hls.js, the chart library) come from npm and are served by the app.
assets:
	@if [ -f package.json ]; then \
	  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund --silent; fi; \
	fi

run: install system-deps
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Lentera: http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# The scale-out shape: gunicorn with several workers (set DATABASE_URL, LENTERA_STORAGE=s3, S3_* first).
run-prod: install system-deps
	$(FLASK) db upgrade
	$(BIN)/gunicorn --workers $${WORKERS:-4} --bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: $(VENV)/.test-installed
	$(BIN)/ruff check app tests bench

test: test-install test-system-deps
	$(BIN)/ruff check app tests bench
	$(BIN)/pytest -n 2 -q $(PYTEST_ARGS)

# A newcomer's minute or three: SQLite only, without the tests marked slow or browser.
test-fast: test-install
	$(BIN)/ruff check app tests bench
	LENTERA_TEST_BACKENDS=sqlite $(BIN)/pytest -n 2 -q -m "not slow and not browser" $(PYTEST_ARGS)

i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l en

# Benchmarks (bench/README.md): every bench/bench_*.py, figures written to bench/RESULTS.md.
bench: test-install
	@scripts/system-deps.sh bench
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) node_modules instance
