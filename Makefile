# Host mode: one virtual environment, installed from the hashed lock, runs every step.
#   make run    set up .venv if needed, then run the whole workflow on all cores
#   make test   set up .venv if needed, then run the test suite
#   make lint   ruff, snakefmt and snakemake --lint
#   make lock   re-solve requirements.lock after editing pyproject.toml (needs uv)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written once the venv matches the lock; remade when the lock or the package metadata change.
READY := $(VENV)/.ready

.PHONY: run test lint lock clean

# The run ends on its verdict (the workflow prints it when it succeeds).
run: $(READY)
	$(BIN)/snakemake --cores all

test: $(READY)
	$(BIN)/pytest

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules seedlock/workflow tests/minimal_workflow
	$(BIN)/snakemake --lint --configfile config.yaml
	cd tests/minimal_workflow && $(CURDIR)/$(BIN)/snakemake --lint

lock:
	uv pip compile pyproject.toml requirements-build.in --all-extras --universal \
		--python-version 3.11 --generate-hashes --no-header -o requirements.lock

$(READY): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

clean:
	rm -rf results logs .snakemake
