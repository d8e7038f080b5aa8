# Everything runs inside .venv, created on first use from the system python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lint test test-fast site serve bench schema fuzz explore clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: $(STAMP)  ## lint this repository's postmortems
	$(BIN)/postmortem lint

test: $(STAMP)  ## type-check the package (mypy), then the whole test suite
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(STAMP)  ## the tests that are neither slow nor in a browser
	$(BIN)/pytest -m "not slow and not browser"

site: $(STAMP)  ## build the site into site/
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

serve: $(STAMP)  ## serve the site with live reload on http://127.0.0.1:8000
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

schema: $(STAMP)  ## regenerate schema/postmortem.schema.json and the plain template
	$(BIN)/postmortem schema --output schema/postmortem.schema.json
	$(BIN)/postmortem template > postmortems/_template.md

bench: $(STAMP)  ## benchmarks; they generate their own data under bench/out/
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/lint_bench.py
	$(BIN)/python bench/site_bench.py
	$(BIN)/python bench/history_bench.py
	$(BIN)/python bench/precommit_bench.py
	$(BIN)/python bench/similarity_bench.py
	$(BIN)/python bench/export_bench.py

fuzz: $(STAMP)  ## hostile inputs: lint and the site never crash or hang (make fuzz ARGS="--seed N" replays)
	$(BIN)/python fuzz/hostile.py --files 100000 $(ARGS)

explore: $(STAMP)  ## export this repository's postmortems to SQLite and open them in Datasette
	test -x $(BIN)/datasette || $(BIN)/pip install --quiet -e '.[explore]'
	$(BIN)/postmortem export --format sqlite --output site-data/postmortems.db
	$(BIN)/datasette serve site-data/postmortems.db --metadata site-data/postmortems.metadata.json --host 127.0.0.1

clean:
	rm -rf $(VENV) site site-data bench/out
