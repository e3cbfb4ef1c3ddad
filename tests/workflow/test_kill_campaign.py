"""kill -9 at random moments of a run, then the plain rerun: it completes by itself (no
--unlock, no cleanup) and writes the bytes of an uninterrupted run; a deleted output is rebuilt."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedlock.writers import is_partial
from tests.conftest import tree_digests
from tests.workflow.blessed import TINY, run_workflow, seedlock

pytestmark = pytest.mark.workflow

TRIALS = 10
STEPS = ("prepare_data", "split", "train", "evaluate", "cross_validate", "aggregate", "figures")


def step_outputs(workdir) -> dict[str, str]:
    """The steps' outputs and manifests. A killed writer's temporary file may stay behind (for
    an hour it may be a live writer's); verify passes over it, and so does this comparison."""
    digests = tree_digests(workdir / "results")
    return {
        path: digest
        for path, digest in digests.items()
        if (path.split("/")[0] in STEPS or path.startswith("checksums/"))
        and not is_partial(Path(path).name)
    }


def test_kill_9_at_random_moments_then_the_plain_rerun_completes_with_the_same_bytes(
    blessed, tmp_path
):
    workdir = tmp_path / "workflow"
    shutil.copytree(blessed, workdir, symlinks=True)
    expected = step_outputs(blessed)
    rng = random.Random(2026_11_29)
    outcomes = []
    for trial in range(TRIALS):
        # Work to interrupt: the outputs of some steps, and everything downstream of them.
        for step in rng.sample(STEPS, rng.randint(1, 3)):
            shutil.rmtree(workdir / "results" / step, ignore_errors=True)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE")}
        run = subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", TINY],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
        moment = rng.uniform(2.0, 14.0)
        time.sleep(moment)
        whole_group = trial % 2 == 0  # the run and its jobs, or the driver alone
        if whole_group:
            os.killpg(run.pid, signal.SIGKILL)
        else:
            run.send_signal(signal.SIGKILL)
        run.wait()
        rerun = run_workflow(workdir, check=False)
        outcomes.append((round(moment, 1), whole_group, rerun.returncode))
        assert rerun.returncode == 0, (outcomes, rerun.stderr[-3000:])
        assert (
            (workdir / "results/verify/verdict.txt").read_text().startswith("seedlock verify: PASS")
        )
        assert step_outputs(workdir) == expected, outcomes
    print("kill -9 trials (seconds, whole group, rerun exit):", outcomes)


def test_a_deleted_output_is_rebuilt_and_status_says_the_verdict_is_stale(
    damaged, capsys, monkeypatch
):
    path = "results/train/wine/random_forest/rep1.pkl"
    original = (damaged / path).read_bytes()
    (damaged / path).unlink()
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "status")
    assert code == 0
    assert "last verify: PASS" in out
    assert f"stale: 1 outputs changed or went missing since, e.g. {path}" in out
    completed = run_workflow(damaged)
    assert "train" in completed.stderr  # the job that writes it ran again
    assert (damaged / path).read_bytes() == original
    code, out, _ = seedlock(damaged, capsys, monkeypatch, "status")
    assert "last verify: PASS" in out and "stale" not in out
