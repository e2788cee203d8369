# Two commands for a fresh machine (only python3 and make needed):
#   make demo   set everything up, build the demo database and run the app on it
#   make test   set everything up and run the checks and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= var/demo.db

.PHONY: demo test setup lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

var/demo.jsonl: $(BIN)/.installed $(wildcard qa_toolkit/demo/*.py)
	mkdir -p var
	$(BIN)/qa-toolkit demo --out $@

$(DEMO_DB): var/demo.jsonl
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/qa-toolkit import var/demo.jsonl --db $(DEMO_DB)

demo: $(DEMO_DB)
	$(BIN)/qa-toolkit stats --db $(DEMO_DB)

lint: setup
	$(BIN)/ruff check qa_toolkit tests scripts

test: setup
	$(BIN)/ruff check qa_toolkit tests scripts
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python scripts/bench_import.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
