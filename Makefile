# SIPAS survey system. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app survey
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations run test bench lint clean

install: $(STAMP) translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

translations: $(STAMP)
	@for d in survey/translations/*/; do \
	  if ls $$d*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	    $(VENV)/bin/pybabel -q compile -f -d $$d || exit 1; fi; done

run: install
	export SIPAS_PUBLIC_BASE_URL=$${SIPAS_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(FLASK) sipas init && $(FLASK) sipas demo && $(FLASK) sipas welcome && \
	$(FLASK) run --host $(HOST) --port $(PORT)


test: install
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: install
	$(VENV)/bin/ruff check survey analysis tests config.py

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache
