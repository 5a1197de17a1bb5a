# SIPAS survey system. `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app survey
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations audio run test bench soak lint clean

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

# Spoken questions for the kiosk (the fallback when a tablet has no Vietnamese voice): one 16 kHz
# mono WAV per criterion, overall question, element heading and start-screen introduction, vi and
# en, made by espeak-ng from the shipped questionnaires into instance/audio/<code>/<version>/ (not
# in git: 114 files, ~13 MB; byte-identical on a rerun, only changed texts are remade; for versions
# published in the workspace run `flask --app survey kiosk audio`). Without espeak-ng it says how
# to install it and exits 0: the kiosk then uses the device's voice or shows no Nghe button.
# AUDIO_FLAGS=--strict makes that an error.
audio: $(STAMP)
	$(PY) -c 'import sys; from survey.kiosk.audio import main; sys.exit(main(sys.argv[1:]))' \
	  --out instance/audio $(AUDIO_FLAGS)

run: install audio
	export SIPAS_PUBLIC_BASE_URL=$${SIPAS_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(FLASK) sipas init && $(FLASK) sipas demo && $(FLASK) sipas watch --no-mail && \
	$(FLASK) sipas welcome && \
	$(FLASK) run --host $(HOST) --port $(PORT)


test: install
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Reliability campaign (not part of `make test`): its own PostgreSQL cluster, 10,000
# submissions from 50 retrying clients, PostgreSQL restarted twice and a worker killed.
soak: install
	$(PY) bench/soak.py

lint: install
	$(VENV)/bin/ruff check survey analysis tests config.py

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache
