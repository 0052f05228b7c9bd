# Rapport: `make run` and `make test` do all the set-up on a fresh machine (Python 3.11, Java 17).
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
JARS := .jars
ARGS ?=
PYTEST_ARGS ?=
BENCH_SCALES ?= 1000000 10000000
BENCH_SIMILAR ?= 10000x100000 50000x500000
BENCH_CALLS ?= 10000 100000
BENCH_LOAD_ACTIVITIES ?= 20000
BENCH_LOAD_DAYS ?= 30
SERVE_PORT ?= 10000
CLUSTER_PORT ?= 7177
CLUSTER_UI_PORT ?= 8177
SERVE_DIR := data/serve

.PHONY: help setup run test unit lint sql report dq-docs browser serve serve-stop config bench check-real-data sample clean dist

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'
	@echo "  pass options to the pipeline with ARGS=\"--as-of 2026-03-31 --set paths.landing=/data/landing\""

setup: $(VENV)/.installed $(JARS)/.fetched ## create .venv, install pinned dependencies, fetch the Delta jars

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Spark's own resolver (spark.jars.packages) trips over some machines' ~/.m2 caches; the machine's
# Maven client fetches the same jars reliably. Without Maven, jobs fall back to spark.jars.packages.
$(JARS)/.fetched: $(VENV)/.installed tools/delta-jars/pom.xml
	@if command -v mvn >/dev/null; then \
	  set -e; rm -rf $(JARS); \
	  delta=$$($(PY) -c 'import importlib.metadata as m; print(m.version("delta-spark"))'); \
	  spark=$$($(PY) -c 'import pyspark; print(".".join(pyspark.__version__.split(".")[:2]))'); \
	  echo "fetching io.delta:delta-spark_$${spark}_2.13:$${delta} into $(JARS)/"; \
	  mvn -q -B -f tools/delta-jars/pom.xml dependency:copy-dependencies \
	    -Ddelta.version=$$delta -Dspark.binary.version=$$spark \
	    -DoutputDirectory=$(CURDIR)/$(JARS) -DincludeScope=runtime \
	    -DexcludeGroupIds=org.scala-lang,org.apache.spark,org.slf4j,org.apache.logging.log4j,com.google.code.findbugs; \
	else echo "mvn not found: Delta will be resolved by Spark (spark.jars.packages)"; mkdir -p $(JARS); fi
	@touch $@

run: setup ## run the whole pipeline on conf/local.yaml (sample data only into the embedded default's empty landing zone)
	$(PY) -m jobs.pipeline --sample-if-empty $(ARGS)

test: setup browser ## run every test (unit, then integration on generated data)
	$(PY) -m pytest $(PYTEST_ARGS)

unit: setup ## run the unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: test-cluster cluster-demo test-faults
test-cluster: setup ## the cluster test: a standalone master and two workers on localhost
	$(PY) -m pytest -m cluster tests/cluster $(PYTEST_ARGS)

test-faults: setup ## the kill-anywhere sweep (every job killed with SIGKILL at many points, run again, lake compared) and runs at once
	$(PY) -m pytest -m faults $(PYTEST_ARGS)

lint: setup ## ruff over the code
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sql: setup ## a Spark SQL shell on the lake's catalog; ARGS="-e 'SELECT ...' --format csv" runs one statement
	$(PY) -m jobs.sql $(ARGS)

report: setup ## the gold tables as one self-contained HTML page, data/report/index.html (ARGS="--as-of D --deal OPP_ID --out F")
	$(PY) -m jobs.report $(ARGS)

dq-docs: setup ## every run's Great Expectations results (ops.dq_results) as data docs, data/dq-docs/index.html (ARGS="--runs N --out DIR")
	$(PY) -m jobs.dq_docs $(ARGS)

# The report's test draws it in headless chromium: install Debian's where it is missing and we are
# root with apt; anywhere else say so, and that test skips.
browser: ## install chromium for the report's browser test if missing (root with apt only)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "no chromium: the report's browser test will skip"

serve: setup ## the Spark Thrift JDBC/ODBC server on the catalog, localhost:$(SERVE_PORT), in the background
	@if [ -f $(SERVE_DIR)/pid ] && kill -0 "$$(cat $(SERVE_DIR)/pid)" 2>/dev/null; then \
	  echo "already serving: pid $$(cat $(SERVE_DIR)/pid), log $(SERVE_DIR)/log"; exit 0; fi; \
	mkdir -p $(SERVE_DIR); \
	nohup $(PY) -m jobs.serve --port $(SERVE_PORT) $(ARGS) > $(SERVE_DIR)/log 2>&1 & echo $$! > $(SERVE_DIR)/pid; \
	for _ in $$(seq 1 180); do \
	  grep -q "serving .* over JDBC" $(SERVE_DIR)/log && break; \
	  kill -0 "$$(cat $(SERVE_DIR)/pid)" 2>/dev/null || { cat $(SERVE_DIR)/log; rm -f $(SERVE_DIR)/pid; exit 1; }; \
	  sleep 1; done; \
	echo "JDBC at jdbc:hive2://localhost:$(SERVE_PORT)/default (pid $$(cat $(SERVE_DIR)/pid), log $(SERVE_DIR)/log; stop: make serve-stop)"

serve-stop: ## stop the JDBC server that make serve started
	@if [ -f $(SERVE_DIR)/pid ] && kill "$$(cat $(SERVE_DIR)/pid)" 2>/dev/null; then \
	  pid=$$(cat $(SERVE_DIR)/pid); for _ in $$(seq 1 60); do kill -0 $$pid 2>/dev/null || break; sleep 1; done; \
	  echo "stopped the JDBC server (pid $$pid)"; else echo "no JDBC server was running"; fi; \
	rm -f $(SERVE_DIR)/pid

config: setup ## print the configuration a job would run with, every default included (ARGS="--conf FILE")
	$(PY) -m jobs.config $(ARGS)

sample: setup ## (re)generate the sample landing zone: ARGS="--scale small --bad-lines"
	$(PY) -m jobs.generate_sample_data $(ARGS)

bench: setup ## landing to gold at 1M and 10M activities and a new day; similar deals at 10k x 100k and 50k x 500k; 10k and 100k calls
	$(PY) -m bench.run --scales $(BENCH_SCALES) --similar $(BENCH_SIMILAR) --calls $(BENCH_CALLS) $(ARGS)

.PHONY: bench-load
bench-load: setup ## a year, then a month of daily runs without and with weekly maintenance: run time, files, log, versions per day
	$(PY) -m bench.load --activities $(BENCH_LOAD_ACTIVITIES) --days $(BENCH_LOAD_DAYS) $(ARGS)

check-real-data: setup ## the shared real data: usrp-users mail through the .eml path, Earnings-21 calls through the pipeline (skips without it)
	$(PY) -m bench.real_mail $(ARGS)
	$(PY) -m bench.earnings_calls

dist: setup ## zip the packages for spark-submit --py-files
	@mkdir -p dist && rm -f dist/rapport.zip
	zip -qr dist/rapport.zip jobs transforms schemas expectations samples -x '*__pycache__*'
	@echo "dist/rapport.zip"

cluster-demo: dist ## the whole pipeline by spark-submit on a standalone master and two workers on 127.0.0.1, stopped at the end
	$(PY) -m deploy.cluster_demo --port $(CLUSTER_PORT) --ui-port $(CLUSTER_UI_PORT) $(ARGS)

clean: ## remove the lake, generated data, caches (keeps .venv and .jars)
	rm -rf data dist build .pytest_cache .ruff_cache bench/results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
