"""The README's "Add a step" recipe, followed literally in a copy of the workflow: the new steps
are checksummed and verified, a tampered output is named with its step and blamed for what a
downstream step computed from it, and a rule without a seed stops the run with one line."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_workflow, run_seedlock, run_snakemake

pytestmark = pytest.mark.workflow

TINY = "tests/config/tiny.yaml"
# Each block of the recipe follows a marker naming where it goes.
RECIPE_BLOCK = re.compile(r"<!-- recipe: (?P<target>[^>]+?) -->\n```\w*\n(?P<body>.*?)```", re.S)
BEFORE = "Snakefile, before "


def recipe() -> list[tuple[str, str]]:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Add a step", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [(m["target"], m["body"]) for m in RECIPE_BLOCK.finditer(section)]


def follow_recipe(workdir: Path) -> None:
    for target, body in recipe():
        if target.startswith(BEFORE):
            anchor = target.removeprefix(BEFORE)
            snakefile = workdir / "Snakefile"
            text = snakefile.read_text(encoding="utf-8")
            assert anchor in text, f"the README says to insert before {anchor!r}"
            snakefile.write_text(text.replace(anchor, body + anchor, 1), encoding="utf-8")
        else:
            path = workdir / target
            assert not path.exists(), f"the recipe would overwrite {target}"
            path.write_text(body, encoding="utf-8")


def run_workflow(workdir: Path, *arguments: str, check: bool = True):
    return run_snakemake(workdir, *arguments, "--cores", "2", "--configfile", TINY, check=check)


def bless(workdir: Path) -> str:
    completed = run_seedlock(workdir, "bless")
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_recipe_has_a_rule_file_a_script_and_an_include():
    targets = [target for target, _ in recipe()]
    assert targets == [
        "rules/label_counts.smk",
        "scripts/label_counts.py",
        'Snakefile, before include: "seedlock/workflow/verify.smk"',
    ]


@pytest.fixture(scope="module")
def with_steps(tmp_path_factory) -> Path:
    """A tiny run of the workflow with the recipe's steps, blessed, then verified."""
    workdir = copy_workflow(tmp_path_factory.mktemp("recipe") / "workflow")
    follow_recipe(workdir)
    run_workflow(workdir, check=False)  # no references yet: verify fails, the outputs stay
    blessed = bless(workdir)
    assert "label_counts: 2 added" in blessed and "label_report: 1 added" in blessed
    run_workflow(workdir)
    return workdir


def test_new_steps_are_checksummed_related_and_verified(with_steps):
    workdir = with_steps
    manifest = workdir / "results/checksums/label_counts.sha256"
    paths = [line.split("  ", 1)[1] for line in manifest.read_text().splitlines() if line[0] != "#"]
    assert paths == ["results/label_counts/iris.json", "results/label_counts/wine.json"]
    for step in ("label_counts", "label_report"):
        check = subprocess.run(
            ["sha256sum", "--check", "--strict", f"results/checksums/{step}.sha256"],
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    counts = json.loads((workdir / "results/label_counts/wine.json").read_text())
    assert counts == {"0": 59, "1": 71, "2": 48}
    steps = json.loads((workdir / "results/run_record/run.json").read_text())["steps"]
    assert steps["label_counts"] == ["prepare_data"]
    assert steps["label_report"] == ["prepare_data", "label_counts"]
    assert (workdir / "results/verify/verdict.txt").read_text().startswith("seedlock verify: PASS")
    log = (workdir / "logs/label_counts/iris.log").read_text()
    assert re.search(r"job label_counts \{\"dataset\": \"iris\"\} seed=\d+ threads=1", log), log
    assert (workdir / "logs/benchmarks/label_report/label_report.tsv").is_file()


def test_tampered_output_is_the_first_divergence_and_its_consumer_a_consequence(
    with_steps, tmp_path
):
    workdir = tmp_path / "copy"
    shutil.copytree(with_steps, workdir, symlinks=True)
    tampered = workdir / "results/label_counts/iris.json"
    counts = json.loads(tampered.read_text())
    counts["0"] += 1
    tampered.write_text(json.dumps(counts))
    completed = run_workflow(workdir, check=False)  # label_report reruns on the changed input
    assert completed.returncode != 0
    log = (workdir / "logs/verify/verify.log").read_text()
    assert "first diverged step: label_counts; downstream consequences in: label_report" in log
    assert "DIFFERENT  results/label_counts/iris.json  [label_counts]" in log
    # Traced to the file its job read, not only to the step.
    assert (
        "DIFFERENT  results/label_report/labels.txt  "
        "[label_report, consequence of results/label_counts/iris.json]"
    ) in log


def test_a_rule_without_a_seed_param_stops_the_run_with_one_line(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    follow_recipe(workdir)
    rule_file = workdir / "rules/label_counts.smk"
    text = rule_file.read_text()
    rule_file.write_text(text.replace('        seed=seed_for("label_counts"),\n', "", 1))
    completed = run_snakemake(workdir, "-n", "--configfile", TINY, check=False)
    assert completed.returncode != 0
    errors = [line for line in completed.stderr.splitlines() if line.startswith("seedlock:")]
    assert errors == [
        f"seedlock: error: rule label_counts ({rule_file}, line 2): no seed param; add to its "
        'params: seed=seed_for("label_counts")'
    ], completed.stderr
    assert "Traceback" not in completed.stderr
