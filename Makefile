# planlabor – make demo | make test (each does all set-up on a fresh machine)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSSTAMP := .system-deps.stamp

.PHONY: setup system-deps test lint demo bench clean

system-deps: $(SYSSTAMP)
$(SYSSTAMP): scripts/debian-packages.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@touch $(SYSSTAMP)

$(STAMP): pyproject.toml $(SYSSTAMP)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,atlas,reports,postgres]'
	@touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check planlabor tests bench
	$(BIN)/ruff format --check planlabor tests bench
	$(BIN)/mypy planlabor

# every test on DuckDB, then the store's tests on a PostgreSQL 15 + PostGIS cluster started for
# the run (no server: the run fails, nothing is skipped). PG_TESTS: the files verified on
# PostgreSQL so far (issue 18 extends this to every test that touches the store)
PG_TESTS ?= tests/test_postgres.py tests/test_indicators.py tests/test_import.py tests/test_export.py \
	tests/test_areas.py
test: lint
	$(BIN)/python -m pytest
	bash scripts/test-postgres.sh run $(BIN)/python -m pytest --backend postgres $(PG_TESTS)

demo: setup
	$(BIN)/planlabor demo --out demo-workspace

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(SYSSTAMP) demo-workspace .pytest_cache .mypy_cache .ruff_cache
