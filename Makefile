# One entry point for the common tasks. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: help demo test install install-test bench bench-web bench-web-cluster bench-batch bench-uploads bench-entstore bench-notices bench-projects bench-fdi bench-warnings bench-allocation bench-library bench-policy lint-plans clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

demo: install  ## install, build the demo store (data/demo), start the web platform on PORT (make demo PORT=8100)
	$(BIN)/commerce-brain serve --demo --port $(PORT)

test: install-test  ## install what the tests need (Python packages, PostgreSQL, Chromium) and run the whole suite
	scripts/system-packages
	$(BIN)/python -m pytest

install: $(VENV)/.installed  ## create .venv and install the platform

install-test: $(VENV)/.installed-test

bench: install-test  ## run the benchmarks under bench/
	$(BIN)/python bench/bench_indicators.py

bench-policy: install-test  ## the policy engine at 1M enterprise-years, the R&D kernel beside NumPy and OpenFisca (installs .[bench])
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/bench_policy.py

bench-web: install-test  ## cockpit and indicator page under 50 connections (wrk), SQLite and PostgreSQL
	scripts/system-packages
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 2; }
	$(BIN)/python bench/bench_web.py

bench-web-cluster: install-test  ## 500 signed-in users through nginx over 2 and 4 workers, PostgreSQL with a read replica (deploy/local-cluster.sh)
	scripts/system-packages
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 2; }
	$(BIN)/python bench/bench_web_cluster.py

bench-batch: install-test  ## 免申即享 batch for 100,000 enterprises, SQLite and PostgreSQL
	scripts/system-packages
	$(BIN)/python bench/bench_batch.py

bench-entstore: install-test  ## enterprise data imports with revisions, 100,000 enterprises, SQLite and PostgreSQL
	$(BIN)/python bench/bench_enterprise_store.py

bench-notices: install-test  ## what the 站内消息 cost an import (the eligibility watch) and the batch, 100,000 enterprises, SQLite
	$(BIN)/python bench/bench_notices.py

bench-projects: install-test  ## status and lights for 10,000 projects × 60 monthly reports (target < 1 s), and the stored path on SQLite
	$(BIN)/python bench/bench_projects.py --store sqlite:///$$(mktemp -d)/bench-projects.sqlite3

bench-fdi: install-test  ## the FDI pipeline engine for 100,000 projects (target < 1 s) and a 10,000-project file imported and stored
	$(BIN)/python bench/bench_fdi.py

bench-warnings: install-test  ## raising 20,000 warnings, again, and the /warnings page's list and counts (SQLite)
	$(BIN)/python bench/bench_warnings.py

bench-allocation: install-test  ## competitive allocation of 1,000 applications under the article-5 limits, exact (target < 2 s)
	$(BIN)/python bench/bench_allocation.py

bench-library: install-test  ## policy library search: 10,000 articles, p95 of 200 queries, SQLite and PostgreSQL (target < 50 ms)
	$(BIN)/python bench/bench_library_search.py

bench-uploads: install-test  ## /login and the cockpit while a 150 MB CSV and a zip bomb are uploaded (2 workers)
	$(BIN)/python bench/bench_uploads.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[test,cluster]"
	touch $(VENV)/.installed $@

clean:  ## remove the virtualenv, caches and generated data
	rm -rf $(VENV) data .pytest_cache build src/*.egg-info
