# Two commands do all set-up on a fresh machine with Python 3.11 and pip:
#   make demo   - create .venv, install, generate the demo city, run the pipeline through Dagster
#   make test   - install the dev extras and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
SPARK_STAMP := $(VENV)/.spark-$(shell cksum pyproject.toml | cut -d' ' -f1)
DAGSTER_ENV := DAGSTER_HOME=$(CURDIR) UCJ_DAGSTER_STORAGE=$(CURDIR)/data/dagster UCJ_DAGSTER_LOGS=$(CURDIR)/data/dagster/logs

.PHONY: demo test test-fast eval bench bench-spark scaling ui check clean browser java

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ucj demo

test: $(SPARK_STAMP) browser java
	$(BIN)/python -m pytest

# The Spark backend's tests need pyspark (the spark extra) and Java 17 (Debian's openjdk-17-jre-headless).
# Without root or apt the Spark tests are skipped locally; under CI a missing Java fails the run.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	rm -f $(VENV)/.spark-* && touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
		|| { echo "Java could not be installed: the Spark tests will be skipped"; test -z "$$CI"; }

# Debian's chromium for the portal's browser tests (Playwright drives it; it never downloads a browser).
# Without root or apt the browser test is skipped locally; under CI a missing browser fails the run.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null) \
		|| { echo "chromium could not be installed: the browser tests will be skipped"; test -z "$$CI"; }

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

eval: $(STAMP)
	$(BIN)/ucj eval

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/run.py

# Our engine at scales 0.25, 1, 5 and 10 of Kota Madiun (issue 13): rows, candidate pairs, seconds per stage,
# peak memory, list precision/recall; the table goes into bench/results.md. Scale 10 takes a while.
scaling: $(STAMP)
	$(BIN)/python bench/scaling.py --out bench/results.md

# The linking stage on Spark local mode against DuckDB on the same cleaned tables (issue 14); the table goes
# into bench/results.md. Needs Java 17 (make java).
bench-spark: $(SPARK_STAMP) java
	$(BIN)/python bench/spark.py --out bench/results.md

# The Dagster UI on this project's instance, loopback only: http://127.0.0.1:3000
ui: $(STAMP)
	$(DAGSTER_ENV) $(BIN)/dg dev --host 127.0.0.1 --port 3000

check: $(STAMP)
	$(BIN)/ruff check pipeline assets cli portal tests bench
	$(BIN)/lint-imports
	$(DAGSTER_ENV) $(BIN)/dg check defs

clean:
	rm -rf data/warehouse/*.duckdb* data/warehouse/spill data/published/2* data/published/latest data/demo/* data/dagster/*
