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


def job_counts(text):
    """Snakemake's dry-run table of jobs per rule, as {rule: count}."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("job ")) + 2
    counts = {}
    for line in lines[start:]:
        name, count = line.split()
        if name == "total":
            return counts
        counts[name] = int(count)
    raise AssertionError(f"no job table in:\n{text}")


def test_the_catalog_entry_point_runs_the_same_workflow(tmp_path):
    """workflow/Snakefile, where the workflow catalog and snakedeploy look, is the same workflow,
    run directly or imported as a module."""
    project, checkout = importing_project(tmp_path)
    imported = job_counts(run_snakemake(project, "-n", "--quiet", "rules").stdout)
    snakefile = project / "Snakefile"
    text = snakefile.read_text()
    snakefile.write_text(
        text.replace('"vendor/seedlock/Snakefile"', '"vendor/seedlock/workflow/Snakefile"')
    )
    through_entry_point = job_counts(run_snakemake(project, "-n", "--quiet", "rules").stdout)
    assert imported["seedlock_train"] == 2 and imported["seedlock_verify"] == 1
    assert through_entry_point == imported

    config = str(project / "config" / "config.yaml")
    alone = [
        job_counts(
            run_snakemake(
                tmp_path,
                "-s",
                str(checkout / name),
                "-d",
                "alone",
                "--configfile",
                config,
                "-n",
                "--quiet",
                "rules",
            ).stdout
        )
        for name in ("Snakefile", "workflow/Snakefile")
    ]
    # The same jobs; only the target rule's name differs (all, or the entry point's default).
    assert alone[0].pop("all") == alone[1].pop("default") == imported.pop("all") == 1
    assert (
        alone[0]
        == alone[1]
        == {name.removeprefix("seedlock_"): count for name, count in imported.items()}
    )
