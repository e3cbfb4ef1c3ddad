# Host mode: one virtual environment, installed from the hashed lock, runs every step.
#   make run    set up .venv if needed, then run the whole workflow on all cores
#   make test   set up .venv if needed, then run the test suite
#   make lint   ruff, snakefmt and snakemake --lint
#   make lock   re-solve requirements.lock after editing pyproject.toml (needs uv)
# Conda mode: the driver env (environment.yml, locked in conda-lock.yml) runs Snakemake, each step
# runs in its own locked env (envs/). Install the driver env and add the seedlock command to it:
#   conda-lock install -n seedlock conda-lock.yml && conda activate seedlock
#   make conda  install seedlock from this checkout into the active env (editable, --no-deps:
#               the env already has everything it imports; nothing is downloaded)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written once the venv matches the lock; remade when the lock or the package metadata change.
READY := $(VENV)/.ready

# The conda-lock the driver env pins (environment.yml), beside .venv's own, hash-checked and
# without dependencies (it runs on .venv's): tests/unit/test_driver_conda_lock.py checks that both
# read, hash, write and render every lock alike. Update both lines together.
DRIVER_CONDA_LOCK := $(VENV)/driver-conda-lock
DRIVER_CONDA_LOCK_PIN := conda-lock==3.0.4 \
	--hash=sha256:12b64e4b23f73283a81c58d846df58633076cf31301e5715fb845522eb47233d

.PHONY: run test lint lock clean conda

# The run ends on its verdict (the workflow prints it when it succeeds).
run: $(READY)
	$(BIN)/snakemake --cores all

test: $(READY) $(DRIVER_CONDA_LOCK)/.ready
	$(BIN)/pytest

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow rules seedlock/workflow tests/minimal_workflow \
		tests/module_workflow
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

$(DRIVER_CONDA_LOCK)/.ready: $(READY) environment.yml Makefile
	rm -rf $(DRIVER_CONDA_LOCK)
	echo '$(DRIVER_CONDA_LOCK_PIN)' > $(VENV)/driver-conda-lock.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps \
		--target $(DRIVER_CONDA_LOCK) -r $(VENV)/driver-conda-lock.txt
	touch $@

# Inside the active driver env: its python, not whichever comes first on PATH. The check at the
# end imports what the workflow's driver imports (Snakemake, conda-lock, the experiment's code).
conda:
	@test -n "$$CONDA_PREFIX" || { echo "make conda: no conda env is active;" \
		"run: conda-lock install -n seedlock conda-lock.yml && conda activate seedlock" >&2; exit 2; }
	"$$CONDA_PREFIX/bin/python" -m pip install --quiet --no-deps --no-build-isolation --no-index \
		--editable .
	"$$CONDA_PREFIX/bin/seedlock" check-locks

clean:
	rm -rf results logs .snakemake
