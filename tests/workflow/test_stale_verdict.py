"""The verdict is recomputed, never replayed: whatever changed since the last verify (references
edited with their times kept, an extra file in a step's folder, the run's own records deleted)
makes the next run verify again, and a run that fails leaves no verdict behind."""

import os
import shutil

import pytest

from tests.workflow.blessed import reference_folder, run_workflow

pytestmark = pytest.mark.workflow

VERDICT = "results/verify/verdict.txt"


def verdict(workdir) -> str | None:
    path = workdir / VERDICT
    return path.read_text().splitlines()[0] if path.exists() else None


def test_references_edited_with_their_times_kept_are_read_again(damaged):
    manifest = reference_folder(damaged) / "checksums.sha256"
    times = os.stat(manifest)
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[2:]))  # an entry and its size line gone
    os.utime(manifest, ns=(times.st_atime_ns, times.st_mtime_ns))
    rerun = run_workflow(damaged, check=False)
    assert rerun.returncode != 0
    assert (
        "the manifest was edited" in (damaged / "logs/verify_report/verify_report.log").read_text()
    )
    assert verdict(damaged) is None


def test_an_extra_file_in_a_step_folder_is_verified(damaged):
    model = damaged / "results/train/iris/random_forest"
    shutil.copy(model / "rep0.pkl", model / "rep7.pkl")
    assert run_workflow(damaged, check=False).returncode != 0
    report = (damaged / "results/verify/report.json").read_text()
    assert '"UNEXPECTED": 1' in report and "rep7.pkl" in report
    assert verdict(damaged) is None


@pytest.mark.parametrize("record", ["results/environment/ml.json", "results/run_record/run.json"])
def test_a_deleted_record_of_the_run_is_written_again_and_verified(damaged, record):
    before = (damaged / record).read_bytes()
    (damaged / record).unlink()
    run_workflow(damaged)
    assert (damaged / record).read_bytes() == before
    assert verdict(damaged) == "seedlock verify: PASS"


def test_a_run_that_fails_leaves_no_verdict_to_repeat(damaged):
    (damaged / "results/evaluate/iris/logistic_regression/rep0.json").write_text("")
    assert run_workflow(damaged, check=False).returncode != 0
    assert verdict(damaged) is None
