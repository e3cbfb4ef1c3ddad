"""The probe's plan: which runs it makes and how many jobs each runs side by side."""

from seedlock.probe import plan_runs
from tests.conftest import REPO


def cores_of(run) -> int:
    return int(run.arguments[run.arguments.index("--cores") + 1])


def test_every_run_gets_the_cores_asked_for(tmp_path):
    plan = plan_runs(REPO, tmp_path, REPO / "config.yaml", ["checksums"], 3, True, None)
    runs = {run.name: run for run in plan.runs}
    assert set(runs) == {"baseline", "varied", "threads-2"}
    # Not more for the threads run, whose jobs take 2 threads each: oversubscribed, OpenMP's
    # spinning threads made it several times slower (seedlock/probe.py).
    assert (
        cores_of(runs["baseline"]) == cores_of(runs["varied"]) == cores_of(runs["threads-2"]) == 3
    )
    assert plan.threads == {"1": "baseline", "2": "threads-2"}


def test_the_threads_run_is_made_only_when_asked_for(tmp_path):
    plan = plan_runs(REPO, tmp_path, REPO / "config.yaml", ["checksums"], 2, False, None)
    assert [run.name for run in plan.runs] == ["baseline", "varied"]
    assert plan.threads == {}
