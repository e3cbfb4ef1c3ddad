"""The workflow through a real single-node SLURM cluster (tests/slurm/start.sh), in host mode.

Skipped when no cluster answers; CI starts one before the tests.
"""

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from seedlock.trees import tree_graph
from tests.conftest import copy_workflow, run_snakemake, tree_digests
from tests.slurm.cluster import (
    ALLOCATION_SCRIPT,
    cluster_is_up,
    cluster_profile,
    submit_and_wait,
    submit_environment,
)

pytestmark = pytest.mark.slurm

TINY = "tests/config/tiny.yaml"
# Rules that run on the login node, never through sbatch.
LOCAL_RULES = {
    "aggregate",
    "run_record",
    "verify_report",
    "verify",
}


def is_local(rule: str) -> bool:
    return rule in LOCAL_RULES or rule.startswith("checksum_")


if not cluster_is_up():
    pytest.skip(
        "no SLURM cluster answers; start one with: bash tests/slurm/start.sh",
        allow_module_level=True,
    )


def step_outputs(workdir):
    return {
        path: digest
        for path, digest in tree_digests(workdir / "results").items()
        if path.split("/")[0] in tree_graph(workdir).steps
    }


def submitted_jobs(output: str) -> list[int]:
    return [int(job) for job in re.findall(r"submitted with SLURM jobid (\d+)", output)]


@pytest.fixture(scope="module")
def local_and_cluster(tmp_path_factory):
    """A local tiny run with its references blessed, then the same workflow through SLURM."""
    local = copy_workflow(tmp_path_factory.mktemp("local") / "workflow")
    run_snakemake(local, "verify_report", "--cores", "2", "--configfile", TINY)
    subprocess.run(
        [sys.executable, "-m", "seedlock", "bless"], cwd=local, check=True, capture_output=True
    )
    cluster = copy_workflow(tmp_path_factory.mktemp("cluster") / "workflow")
    shutil.copytree(local / "references", cluster / "references")
    completed = run_snakemake(cluster, "--profile", cluster_profile(cluster), "--configfile", TINY)
    return local, cluster, completed.stdout + completed.stderr


def test_cluster_outputs_equal_local_ones_and_verify_passes(local_and_cluster):
    local, cluster, _ = local_and_cluster
    assert step_outputs(cluster) == step_outputs(local)
    verdict = (cluster / "results" / "verify" / "verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: PASS")
    assert "59 MATCH" in verdict


def test_every_non_local_job_went_through_sbatch(local_and_cluster):
    _, cluster, output = local_and_cluster
    jobs = submitted_jobs(output)
    # One submission per job, except the grouped splits and evaluations (one each here): 2
    # prepare_data, 8 train, 8 cross_validate, 1 figures, 2 environment, 2 groups, 4
    # permutation_test, 4 learning_curve, 1 learning_curves.
    assert len(jobs) == len(set(jobs)) == 2 + 8 + 8 + 1 + 2 + 2 + 4 + 4 + 1
    for job in jobs:
        record = subprocess.run(
            ["scontrol", "show", "job", str(job)], capture_output=True, text=True, check=True
        ).stdout
        assert "JobState=COMPLETED" in record and "ExitCode=0:0" in record, record
    logs = cluster / ".snakemake" / "slurm_logs"
    submitted_rules = {path.name.removeprefix("rule_") for path in logs.glob("rule_*")}
    assert submitted_rules == {
        "prepare_data",
        "train",
        "cross_validate",
        "figures",
        "environment",
        "permutation_test",
        "learning_curve",
        "learning_curves",
    }
    assert sorted(path.name for path in logs.glob("group_*")) == [
        "group_tiny_evaluate_evaluate",
        "group_tiny_split_split",
    ]
    assert not {rule for rule in submitted_rules if is_local(rule)}
    # The local rules ran here, not in the queue, and left their logs.
    assert (cluster / "logs" / "verify" / "verify.log").is_file()
    # A submitted job has a Snakemake of its own: no fork server, whose preloading it would pay.
    train_log = (cluster / "logs" / "train" / "iris" / "random_forest" / "rep0.log").read_text()
    assert "started in its own interpreter: a cluster job" in train_log


def test_one_allocation_runs_the_workflow_as_on_a_laptop(local_and_cluster, tmp_path):
    local, _, _ = local_and_cluster
    workdir = copy_workflow(tmp_path / "workflow")
    shutil.copytree(local / "references", workdir / "references")
    job, state = submit_and_wait(
        ["--cpus-per-task", "2", ALLOCATION_SCRIPT, "--configfile", TINY],
        workdir,
        submit_environment(),
    )
    log = (workdir / f"slurm-seedlock-{job}.log").read_text()
    assert state == "COMPLETED", log[-3000:]
    assert step_outputs(workdir) == step_outputs(local)
    verdict = (workdir / "results" / "verify" / "verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: PASS") and "59 MATCH" in verdict
    # Snakemake ran every job on the allocated node itself, on its 2 CPUs, none through sbatch,
    # and the numerical ones forked from a warm interpreter, as on a laptop.
    assert "Provided cores: 2" in log
    assert not submitted_jobs(log) and not (workdir / ".snakemake" / "slurm_logs").exists()
    train_log = (workdir / "logs" / "train" / "iris" / "random_forest" / "rep0.log").read_text()
    assert "forked from a warm interpreter" in train_log


def test_one_allocation_without_snakemake_says_what_to_do(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    job, state = submit_and_wait([ALLOCATION_SCRIPT], workdir, submit_environment("/usr/bin:/bin"))
    log = (workdir / f"slurm-seedlock-{job}.log").read_text()
    assert state == "FAILED"
    assert log.splitlines() == [
        "seedlock: error: no snakemake on the job's PATH; activate the environment that has it "
        "(e.g. source .venv/bin/activate) in the shell you submit from, and submit again"
    ]
    assert not (workdir / "results").exists()


def test_a_failing_job_fails_the_run(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    config = {
        "seeds": {"root": 1, "replicates": 1},
        "datasets": {"iris": {"source": "sklearn"}},
        # Each value passes scikit-learn's constraints (checked with the config); the pair
        # fails only when the job fits.
        "models": {
            "bad": {
                "estimator": "sklearn.linear_model.LogisticRegression",
                "params": {"penalty": "l1"},
            }
        },
    }
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config))
    completed = run_snakemake(
        workdir,
        "--profile",
        cluster_profile(workdir, retries=0),
        "--configfile",
        "bad.yaml",
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "Error in rule train" in output
    failed = re.search(r"SLURM-job '?(\d+)'? failed|SLURM jobid (\d+)", output)
    assert failed, output[-3000:]
    assert (
        "Solver lbfgs supports only 'l2' or None penalties"
        in (workdir / "logs/train/iris/bad/rep0.log").read_text()
    )
