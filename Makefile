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

# every test on DuckDB, then every test that touches the store on a PostgreSQL 15 + PostGIS
# cluster started for the run (no server: the run fails, nothing is skipped). Which tests run
# there is decided in tests/conftest.py (markers nostore/duckdb_only/postgres_only; modules not
# yet verified on PostgreSQL: PG_PENDING, shrinking to nothing under issue 18)
test: lint
	$(BIN)/python -m pytest
	bash scripts/test-postgres.sh run $(BIN)/python -m pytest --backend postgres

demo: setup
	$(BIN)/planlabor demo --out demo-workspace

# every bench, then one summary table (bench/summary.py); the peers of the bench extra first
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(SYSSTAMP) demo-workspace .pytest_cache .mypy_cache .ruff_cache
