"""seedlock's workflow imported by another workflow as a Snakemake module (``module seedlock:``
and ``use rule * from seedlock as seedlock_*``): the project's own config, its outputs in its own
folder, and the same checks, references and verdict as a run of seedlock's own Snakefile.

The project keeps seedlock's checkout in vendor/seedlock/ (a git submodule, say); not in a folder
named seedlock/ in the working directory, where ``python -m seedlock`` would import that folder."""

import json
import shutil

import pytest

from tests.conftest import REPO, copy_workflow, run_seedlock, run_snakemake

pytestmark = pytest.mark.workflow

IMPORTING = REPO / "tests" / "module_workflow"


def importing_project(root):
    """tests/module_workflow's Snakefile and config; a copy of the checkout in vendor/seedlock/."""
    project = root / "project"
    shutil.copytree(IMPORTING, project)
    return project, copy_workflow(project / "vendor" / "seedlock")


def test_imported_as_a_module_it_verifies_and_blesses_under_its_own_step_names(tmp_path):
    project, checkout = importing_project(tmp_path)

    first = run_snakemake(project, "--cores", "2")
    verdict = (project / "results/verify/verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: UNVERIFIED\n"), verdict
    # The importing workflow's onsuccess: calls seedlock's: the run ends on the verdict.
    assert first.stderr.rfind(verdict) > first.stderr.rfind("steps (100%) done") > 0
    # Snakemake runs the rules under the module's prefix; the steps keep their own names.
    assert "seedlock_train" in first.stderr
    record = json.loads((project / "results/run_record/run.json").read_text())
    assert {"prepare_data", "train", "evaluate", "figures"} <= set(record["steps"])
    assert record["workflow"] == "vendor/seedlock"
    assert (project / "results/checksums/train.sha256").is_file()
    # Outputs land in the importing project, none in the checkout.
    assert not (checkout / "results").exists() and not (checkout / ".snakemake").exists()

    bless = run_seedlock(project, "bless")
    assert bless.returncode == 0, bless.stderr
    (folder,) = (checkout / "references").glob("config-*/host-*")
    assert f"into vendor/seedlock/references/{folder.parent.name}/" in bless.stdout

    # Blessing changed the references, which reruns the comparison only.
    second = run_snakemake(project, "--cores", "2")
    verdict = (project / "results/verify/verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: PASS\n"), verdict
    assert second.stderr.rfind(verdict) > second.stderr.rfind("steps (100%) done") > 0
    assert "seedlock_train" not in second.stderr
    cli = run_seedlock(project, "verify")
    assert cli.returncode == 0 and cli.stdout == verdict


def test_a_bad_key_in_the_importing_config_is_one_line_naming_it(tmp_path):
    project, _ = importing_project(tmp_path)
    config = project / "config" / "config.yaml"
    config.write_text(config.read_text().replace("replicates: 2", "replicates: two"))

    run = run_snakemake(project, "--cores", "2", check=False)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if line.startswith("seedlock: error:")]
    assert len(errors) == 1, run.stderr
    assert "config/config.yaml" in errors[0] and "seeds.replicates" in errors[0], errors
    assert "Traceback" not in run.stderr
    assert not (project / "results").exists()
