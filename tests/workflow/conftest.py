"""One tiny run, blessed as its own references, shared by the tests that verify against it."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import copy_workflow, run_seedlock
from tests.workflow.blessed import run_workflow


@pytest.fixture(scope="session")
def blessed(tmp_path_factory) -> Path:
    """A tiny run whose outputs are blessed as its references. Tests must not change it: they
    damage a copy (``damaged``)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("blessed") / "workflow")
    # A config nobody blessed yet: a verdict of its own, not a failure, and how to bless.
    run_workflow(workdir)
    verdict = (workdir / "results/verify/verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: UNVERIFIED\n"), verdict
    assert "no references for this config" in verdict and "seedlock bless" in verdict
    assert "MISSING" not in verdict and "first diverged" not in verdict
    bless = run_seedlock(workdir, "bless")
    assert bless.returncode == 0, bless.stderr
    assert "prepare_data: 4 added, 0 changed, 0 removed" in bless.stdout
    run_workflow(workdir)  # verify reruns against the new references and passes
    return workdir


@pytest.fixture
def damaged(blessed, tmp_path) -> Path:
    """A throwaway copy of the blessed run, free to damage."""
    workdir = tmp_path / "copy"
    shutil.copytree(blessed, workdir, symlinks=True)
    return workdir
