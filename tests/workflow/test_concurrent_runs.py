"""Two runs in one folder: only one starts jobs, the other stops with one line and writes nothing.

Snakemake's own lock is a check followed by a write, so runs started at the same instant can
both pass it; seedlock's "running" lock (seedlock/run_lock.py) stops the second at its onstart."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import hold_run_locks, tree_digests
from tests.workflow.blessed import TINY, run_workflow

pytestmark = pytest.mark.workflow


def snakemake_command() -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", TINY]


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE")}


def test_a_run_that_finds_another_running_stops_before_any_job(damaged):
    shutil.rmtree(damaged / "results" / "aggregate")
    holder = hold_run_locks(damaged)
    try:
        second = run_workflow(damaged, check=False)
        assert second.returncode == 2, second.stderr[-2000:]
        said = [line for line in second.stderr.splitlines() if line.startswith("seedlock:")]
        running = (
            f"another Snakemake run (pid {holder.pid}) is running jobs in {damaged.resolve()}; "
            "wait for it to end, then run again"
        )
        # Named as the workflow is read, then stopped at onstart, before any job.
        assert said == [
            f"seedlock: note: {running}; do not use --unlock",
            f"seedlock: error: {running}",
        ], second.stderr[-2000:]
        assert "Traceback" not in second.stderr
        assert not (damaged / "results" / "aggregate").exists()
        # It leaves no lock of Snakemake's behind for the live run to trip over.
        assert not list((damaged / ".snakemake" / "locks").glob("*.lock"))
    finally:
        holder.stdin.close()
        holder.wait()
    rerun = run_workflow(damaged)
    assert "seedlock verify: PASS" in (damaged / "results/verify/verdict.txt").read_text()
    assert (damaged / "results" / "aggregate" / "table1.csv").is_file(), rerun.stderr[-2000:]


def test_two_runs_started_at_the_same_instant_write_the_bytes_of_one(blessed, tmp_path):
    workdir = tmp_path / "workflow"
    shutil.copytree(blessed, workdir, symlinks=True)
    expected = tree_digests(blessed / "results")
    outcomes = []
    for _trial in range(2):
        for step in ("evaluate", "aggregate", "figures"):
            shutil.rmtree(workdir / "results" / step)
        runs = [
            subprocess.Popen(
                snakemake_command(),
                cwd=workdir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=clean_environment(),
            )
            for _ in range(2)
        ]
        results = [(run.wait(), run.stderr.read()) for run in runs]
        codes = sorted(code for code, _ in results)
        outcomes.append(codes)
        assert codes[0] == 0 and codes[1] != 0, results
        (_, loser) = next(result for result in results if result[0] != 0)
        # Refused by Snakemake's lock, or, when both passed it, by seedlock's; or stopped while
        # building its DAG, when the winner's start removed the old verdict under it (Snakemake
        # then names the concurrent run itself; seen under load).
        refusals = (
            "another Snakemake run",
            "Directory cannot be locked",
            "a concurrent process has deleted it",
        )
        assert any(refusal in loser for refusal in refusals), loser[-2000:]
        assert "Traceback" not in loser
        after = tree_digests(workdir / "results")
        assert {p: d for p, d in after.items() if p in expected} == expected, outcomes
    print("same-instant runs (exit codes):", outcomes)
