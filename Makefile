# Two commands for a fresh machine (only python3 and make needed):
#   make demo   set everything up, build and score the demo database, and run the app on it
#   make test   set everything up and run the checks and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= var/demo.db
# PORT=8502 make demo serves on that port (default: 8501, or the next free one)
PORT   ?=
MODEL_CARDS := $(wildcard models/*/card.json)

.PHONY: demo demo-data test setup lint bench bench-app clean

# The package and what it needs to run (enough for make demo); the test tools on top of it (make test,
# lint, bench): pytest, ruff, playwright, psycopg and the rest need not be installed to try the app
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed-dev

# The demo store, one step at a time; each step runs again only when its inputs change (stamps in var/).
# The corpus is written by the project itself (qa_toolkit/demo/).
var/demo.jsonl: $(wildcard qa_toolkit/demo/*.py) | $(BIN)/.installed
	mkdir -p var
	$(BIN)/qa-toolkit demo --out $@

# Imported afresh only when the corpus changes (reviews made in the demo database then go with it).
var/demo.imported: var/demo.jsonl | $(BIN)/.installed
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm var/demo.scored
	$(BIN)/qa-toolkit import var/demo.jsonl --db $(DEMO_DB)
	touch $@

# Reply labels, flags and scorecard results for the review queue (resumable: an interrupted run goes on).
# When the models or the default scorecard change, what they scored is scored again; reviews are kept.
var/demo.scored: var/demo.imported scorecards/default.toml $(MODEL_CARDS)
	$(BIN)/qa-toolkit score-store --db $(DEMO_DB) --rescore-stale
	touch $@

demo-data: var/demo.scored

demo: var/demo.scored
	QA_TOOLKIT_DB=$(DEMO_DB) $(BIN)/qa-toolkit app --db $(DEMO_DB) $(if $(PORT),--port $(PORT))

lint: setup
	$(BIN)/ruff check qa_toolkit tests scripts app_streamlit.py
	$(BIN)/ruff format --check qa_toolkit tests scripts app_streamlit.py

test: setup
	$(BIN)/ruff check qa_toolkit tests scripts app_streamlit.py
	$(BIN)/ruff format --check qa_toolkit tests scripts app_streamlit.py
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python scripts/bench_import.py

bench-app: setup
	$(BIN)/python scripts/bench_app.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
