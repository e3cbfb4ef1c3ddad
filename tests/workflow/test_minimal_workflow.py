"""A second workflow, with nothing of the machine-learning experiment, served by the toolchain:
tests/minimal_workflow has two steps (greeting writes text from a Python script; packed
compresses it with zlib in a shell command) and includes seedlock's rule files from the
installed package. It gets checksums, a probe, references, verify and a tampered output named
with its step, like the experiment does."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, run_seedlock, run_snakemake

pytestmark = pytest.mark.workflow

MINIMAL = REPO / "tests" / "minimal_workflow"


seedlock = run_seedlock


def copy_minimal(destination: Path) -> Path:
    """The minimal workflow as its own checkout: its files, and the hashed lock of the virtual
    environment it runs in (host mode), which verify checks the installed packages against."""
    ignore = shutil.ignore_patterns("__pycache__", ".snakemake", "results", "logs", "references")
    shutil.copytree(MINIMAL, destination, ignore=ignore)
    shutil.copy2(REPO / "requirements.lock", destination / "requirements.lock")
    return destination


@pytest.fixture(scope="module")
def blessed(tmp_path_factory) -> Path:
    """The minimal workflow run, probed, blessed and run again."""
    workdir = copy_minimal(tmp_path_factory.mktemp("minimal") / "workflow")
    run_snakemake(workdir, "--cores", "2")  # no references yet: UNVERIFIED, exit 0
    assert "no references for this config" in (workdir / "logs/verify/verify.log").read_text()
    probe = seedlock(workdir, "probe", "--cores", "2")
    assert probe.returncode == 0, probe.stdout + probe.stderr
    blessing = seedlock(workdir, "bless")
    assert blessing.returncode == 0, blessing.stderr
    assert "greeting: 2 added" in blessing.stdout and "packed: 2 added" in blessing.stdout
    run_snakemake(workdir, "--cores", "2")
    return workdir


def test_the_workflow_is_two_steps_and_knows_nothing_of_the_experiment():
    rule_files = sorted(path.name for path in (MINIMAL / "rules").glob("*.smk"))
    assert rule_files == ["common.smk", "greeting.smk", "packed.smk"]
    assert not (MINIMAL / "seedlock").exists() and not (MINIMAL / "experiment").exists()
    sources = [MINIMAL / "Snakefile", *MINIMAL.glob("*/*.smk"), *MINIMAL.glob("*/*.py")]
    sources += [*MINIMAL.glob("*.yaml"), *MINIMAL.glob("*/*.yaml")]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    for word in ("experiment", "dataset", "model", "sklearn"):
        assert word not in text


def test_the_readme_shows_the_minimal_workflow_s_includes():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use seedlock in another workflow", 1)[1].split("\n## ", 1)[0]
    shown = [line for line in section.splitlines() if line.startswith(("include:", "import "))]
    snakefile = (MINIMAL / "Snakefile").read_text(encoding="utf-8").splitlines()
    assert len(shown) == 5
    assert all(line in snakefile for line in shown), shown


def test_the_steps_and_their_relation_come_from_the_rules(blessed):
    run = json.loads((blessed / "results/run_record/run.json").read_text())
    assert run["steps"] == {"greeting": [], "packed": ["greeting"]}


def test_the_probe_finds_every_output_deterministic(blessed):
    report = json.loads((blessed / "results/probe/report.json").read_text())
    assert report["status"] == "DETERMINISTIC"
    assert report["counts"] == {"DETERMINISTIC": 4, "NONDETERMINISTIC": 0, "THREAD_DEPENDENT": 0}


def test_references_are_checked_by_sha256sum_and_the_rerun_matches_them(blessed):
    (config,) = (blessed / "references").iterdir()
    (profile,) = config.iterdir()
    check = subprocess.run(
        ["sha256sum", "--check", "--strict", str(profile / "checksums.sha256")],
        cwd=blessed,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines() == [
        "results/greeting/en.txt: OK",
        "results/greeting/fr.txt: OK",
        "results/packed/en.zlib: OK",
        "results/packed/fr.zlib: OK",
    ]
    verdict = (blessed / "results/verify/verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: PASS")
    assert "outputs: 4 MATCH, 0 EQUIVALENT, 0 DIFFERENT, 0 MISSING, 0 UNEXPECTED" in verdict
    assert (blessed / "results/packed/en.zlib").read_bytes()[:1] == b"\x78"  # a zlib stream


def test_the_toolchain_comes_from_the_installed_package(blessed):
    fingerprint = json.loads((blessed / "results/environment/base.json").read_text())
    assert fingerprint["modules"]["seedlock"].startswith("{toolchain}/")
    cli = seedlock(blessed, "verify")
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.startswith("seedlock verify: PASS")


def test_a_tampered_text_is_named_with_its_step_and_blamed_for_the_binary(blessed, tmp_path):
    workdir = tmp_path / "copy"
    shutil.copytree(blessed, workdir)
    (workdir / "results/greeting/en.txt").write_text("hello (en): 1 2 3\n")
    completed = run_snakemake(workdir, "--cores", "2", check=False)  # packed reruns on it
    assert completed.returncode != 0
    log = (workdir / "logs/verify/verify.log").read_text()
    assert "first diverged step: greeting; downstream consequences in: packed" in log
    assert "DIFFERENT  results/greeting/en.txt  [greeting]" in log
    assert (
        "DIFFERENT  results/packed/en.zlib  [packed, consequence of results/greeting/en.txt]" in log
    )
    assert "results/greeting/fr.txt" not in log


def test_without_the_bookkeeping_env_the_workflow_stops_with_one_line(tmp_path):
    workdir = copy_minimal(tmp_path / "workflow")
    (workdir / "envs/base.yaml").unlink()
    completed = run_snakemake(workdir, "-n", check=False)
    assert completed.returncode != 0
    errors = [line for line in completed.stderr.splitlines() if line.startswith("seedlock:")]
    assert errors == [
        "seedlock: error: envs/base.yaml: missing; seedlock's checksum and verify rules run in "
        "it: an env with python, pyyaml and jsonschema, locked like every env (seedlock lock base)"
    ], completed.stderr
    assert "Traceback" not in completed.stderr
