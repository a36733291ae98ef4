# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint dev bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	BILLING_HOME=$(CURDIR)/demo_home DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/billing demo --home $(CURDIR)/demo_home

test: $(STAMP)
	$(BIN)/ruff check .
	GX_ANALYTICS_ENABLED=false $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

dev: $(STAMP)
	test -d demo_home || $(MAKE) demo
	BILLING_HOME=$(CURDIR)/demo_home DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/classify.py

clean:
	rm -rf $(VENV) demo_home .dagster_home
