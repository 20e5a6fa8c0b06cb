# Two commands on a fresh machine: `make demo`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

CUSTOMERS ?= 20000
DEMO_DATA := data/raw/truth.json
CDNOW_DATA := data/cdnow/orders.csv
SIZES ?= 100000 1000000 10000000 30000000
REPEATS ?= 2

.PHONY: install demo data cdnow build dev publish bi-client unit test lint bench clean python-utils-zip python-utils-release \
	deploy-snowflake check-snowflake-packages snowflake-smoke snowflake-build slim-ci drop-ci-schemas retry \
	snowflake-freshness snowflake-docs snowflake-emulated report report-screenshot browser

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

data: $(DEMO_DATA)

$(DEMO_DATA): | install
	$(BIN)/python -m python_utils.tools.synth --customers $(CUSTOMERS) --out data/raw

cdnow: $(CDNOW_DATA)

$(CDNOW_DATA): | install
	$(BIN)/python -m python_utils.tools.cdnow --out $(CDNOW_DATA)

# Publishing (python_utils/tools/publish.py): the BI copy in PUBLISHED. A run whose kept lines or
# customers shrink against the last published run is refused unless ALLOW_SHRINK=1 (or within
# SHRINK_TOLERANCE, a share); the manifest of each published build is kept in STATE_DIR.
PUBLISHED ?= published
STATE_DIR ?= .state
SHRINK_TOLERANCE ?= 0
PUBLISH_FLAGS = --out '$(PUBLISHED)' --shrink-tolerance $(SHRINK_TOLERANCE) \
	$(if $(filter 1 true yes,$(ALLOW_SHRINK)),--allow-shrink)
RUN := $(BIN)/python -m python_utils.tools.local_run

# The demo: install, generate data, build everything on DuckDB, publish the BI-facing tables for
# readers, say where it landed and how a BI tool connects, write the report.
demo: install data
	$(RUN) build $(PUBLISH_FLAGS) --state '$(STATE_DIR)'
	$(BIN)/python scripts/show_results.py clv.duckdb $(PUBLISHED)
	$(BIN)/python -m python_utils.tools.html_report clv.duckdb --out $(REPORT) --published $(PUBLISHED)

# One self-contained HTML file of charts from the build (python_utils/tools/html_report.py).
REPORT := reports/clv_report.html
report: install
	$(BIN)/python -m python_utils.tools.html_report clv.duckdb --out $(REPORT) --published $(PUBLISHED)

# The README's picture of the report (needs chromium).
report-screenshot: install browser
	$(BIN)/python -m python_utils.tools.html_report clv.duckdb --out $(REPORT) --published $(PUBLISHED) --screenshot report.png

# Headless Chromium for the report's browser test: Debian's package, installed when absent
# (as root with apt); otherwise that test is skipped and says why.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }; } || \
		echo "chromium not installed (apt-get install chromium): the report's browser test will be skipped"

# Build everything and publish it: `make build ORDERS=path/to/orders.csv` (a file or glob; without
# ORDERS, the demo shop). Only a complete, successful build is published.
build: install $(if $(ORDERS),,data)
	$(RUN) build $(if $(ORDERS),--orders '$(ORDERS)') $(PUBLISH_FLAGS) --state '$(STATE_DIR)'

# The analyst loop: rebuild what a change touches (SELECT, default: what changed since the last
# published build) with the published run's vars, and publish it with that run's other tables.
SELECT ?= state:modified+
dev: install
	$(RUN) dev --select '$(SELECT)' $(PUBLISH_FLAGS) --state '$(STATE_DIR)'

# Publish the last complete build again (e.g. after ALLOW_SHRINK=1 was needed).
publish: install
	$(BIN)/python -m python_utils.tools.publish "$${CLV_DUCKDB_PATH:-clv.duckdb}" $(PUBLISH_FLAGS)

PY_DIRS := $(wildcard python_utils integration_tests scripts benchmarks models)

lint: install
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	mkdir -p target
	CLV_DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models tests analyses --processes 2

# A DuckDB 1.x client in its own venv, for the test that BI drivers open the published file.
BI_CLIENT := .venv-duckdb1
bi-client: $(BI_CLIENT)/.installed

$(BI_CLIENT)/.installed: requirements-bi-client.lock
	test -x $(BI_CLIENT)/bin/python || $(PYTHON) -m venv $(BI_CLIENT)
	$(BI_CLIENT)/bin/python -m pip install --quiet -r requirements-bi-client.lock
	touch $@

# The fast tier, about a minute: python_utils' tests, the house rules
# (integration_tests/test_house_rules.py) and dbt's unit tests, their upstream tables built from a
# 50-customer file (not `--empty`: a Python model, segmentation_centroids, is one of them, and
# a Python model given no rows has nothing to fit).
UNIT_DIR := target/unit
unit: install
	$(BIN)/pytest -q -n 2 python_utils integration_tests/test_house_rules.py
	rm -rf $(UNIT_DIR)
	$(BIN)/python -m python_utils.tools.synth --customers 50 --out $(UNIT_DIR)/raw >/dev/null
	CLV_DUCKDB_PATH=$(UNIT_DIR)/clv.duckdb $(DBT) build --select "+test_type:unit" --exclude-resource-type test \
		--target-path $(UNIT_DIR)/target --log-path $(UNIT_DIR)/logs --vars "{orders_path: '$(UNIT_DIR)/raw/orders_*.csv'}"

# Unit tests of python_utils, then real dbt builds on small generated data and on CDNOW, on two
# workers (a test file stays on one worker, so its fixtures are built once). The tests that read
# the emulated Snowflake builds run in make snowflake-emulated, which CI runs next (.ci/run).
test: install lint browser bi-client
	$(BIN)/pytest -n 2 --dist loadfile --durations=25 -m "not emulator"

bench: install
	$(BIN)/python benchmarks/run_bench.py --sizes $(SIZES) --repeats $(REPEATS)

# Snowflake (docs/snowflake.md). python_utils goes to the stage as a zip, one folder per release.
python-utils-zip: install
	$(BIN)/python -m python_utils.tools.package build/python_utils.zip --check-release dbt_project.yml

# After changing python_utils: name the new release in dbt_project.yml (then test and commit).
python-utils-release: install
	$(BIN)/python -m python_utils.tools.package --write-release dbt_project.yml

deploy-snowflake: python-utils-zip
	DBT_TARGET=snowflake $(DBT) run-operation upload_python_utils \
		--args "{zip_path: '$(CURDIR)/build/python_utils.zip', release: '$$($(BIN)/python -m python_utils.tools.package --release)'}"

check-snowflake-packages: install
	DBT_TARGET=snowflake $(DBT) run-operation check_snowflake_packages

# With an account: the package set, the grants, a deploy, and every model and test on a small
# generated shop in scratch schemas that are dropped afterwards (scripts/snowflake_smoke.py).
snowflake-smoke: python-utils-zip
	$(BIN)/python scripts/snowflake_smoke.py

# The whole DAG for the snowflake target without an account (integration_tests/snowflake_emulated.py):
# every model, data test and unit test on the emulator, after a first and a second load
# (incremental), compared with dbt-duckdb's build; prints N/N models, T/T tests and fails
# otherwise. Then the tests that read those builds (pytest -m emulator: the LTZ account, the
# killed fct_sales update, samples, procedures). CI runs it after make test (.ci/run).
EMULATED_DIR := target/snowflake-emulated
snowflake-emulated: install
	rm -rf $(EMULATED_DIR)
	$(BIN)/python -m integration_tests.snowflake_emulated $(EMULATED_DIR)
	CLV_EMULATED_DIR=$(EMULATED_DIR) $(BIN)/pytest -m emulator -n 2 integration_tests/test_snowflake.py

# Slim CI: build what changed and what depends on it, reading everything else from the run
# whose manifest is in STATE (the nightly's artifact); before any nightly, everything.
STATE ?= prod-manifest
SLIM_SELECTION = $(if $(wildcard $(STATE)/manifest.json),--select state:modified+ --defer --state $(STATE))
slim-ci: install
	$(if $(SLIM_SELECTION),,@echo "no $(STATE)/manifest.json (no nightly has run yet): building everything")
	$(DBT) build $(SLIM_SELECTION)

# A pull request's schemas (SNOWFLAKE_SCHEMA=ci_pr_<n> and its _staging, _marts, ...), when it closes.
drop-ci-schemas: install
	DBT_TARGET=snowflake $(DBT) run-operation drop_ci_schemas --args "{schema: '$$SNOWFLAKE_SCHEMA'}"

# After a failed build: run again only what failed or was skipped (dbt retry).
retry: install
	$(DBT) retry

# The nightly's look at its inputs and its documentation: source freshness (the raw orders'
# load time, or the table's last change) and the docs site, kept as artifacts.
snowflake-freshness: install
	DBT_TARGET=snowflake $(DBT) source freshness

snowflake-docs: install
	DBT_TARGET=snowflake $(DBT) docs generate

# The nightly production run (.github/workflows/nightly-snowflake.yml).
snowflake-build: deploy-snowflake
	DBT_TARGET=snowflake $(DBT) build

clean:
	rm -rf target logs clv.duckdb $(BI_CLIENT) data benchmarks/work $(PUBLISHED) $(STATE_DIR) reports
