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
    first = run_workflow(workdir, check=False)
    assert first.returncode != 0, "verify must fail while no references exist"
    log = (workdir / "logs/verify/verify.log").read_text()
    assert "no references exist" in log and "seedlock bless" in log
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
