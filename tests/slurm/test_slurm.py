"""The workflow through a real single-node SLURM cluster (tests/slurm/start.sh), in host mode,
and on an emulated cluster of two kinds of node (tests/slurm/task-prolog.sh).

Skipped when no cluster answers; CI starts one before the tests.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from seedlock import compute
from seedlock.trees import tree_graph
from tests.conftest import REPO, copy_workflow, run_snakemake, tree_digests
from tests.slurm.cluster import (
    ALLOCATION_SCRIPT,
    cluster_is_up,
    cluster_profile,
    emulate_node_types,
    node_type_of,
    prolog_lines,
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


# A heterogeneous cluster, emulated (tests/slurm/task-prolog.sh): two kinds of node whose
# environments set OpenBLAS's kernel and L2 size to values of their own, as some sites do per
# node type, and a submit host with yet other ones. Every kernel named runs on any x86-64-v3 CPU,
# and each computes other bits than the baseline's (shown by the first test below).
NODE_TYPES = {
    "avx-node": {"OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_L2_SIZE": "1024"},
    "sse-node": {"OPENBLAS_CORETYPE": "Nehalem", "OPENBLAS_L2_SIZE": "256"},
}
SUBMIT_HOST = {"OPENBLAS_CORETYPE": "Core2", "OPENBLAS_L2_SIZE": "512"}
# What the tiny config's compute baseline (the default) pins them to.
PINNED = {
    "OPENBLAS_CORETYPE": compute.BASELINES[compute.DEFAULT].openblas_coretype,
    "OPENBLAS_L2_SIZE": compute.OPENBLAS_L2_KIB,
}
# The kernels named are x86-64's; elsewhere the baseline is the machine's own.
x86_only = pytest.mark.skipif(not compute.is_x86(), reason="OpenBLAS's x86-64 kernels")


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
def local_run(tmp_path_factory):
    """A local tiny run with its references blessed."""
    local = copy_workflow(tmp_path_factory.mktemp("local") / "workflow")
    run_snakemake(local, "verify_report", "--cores", "2", "--configfile", TINY)
    subprocess.run(
        [sys.executable, "-m", "seedlock", "bless"], cwd=local, check=True, capture_output=True
    )
    return local


@pytest.fixture(scope="module")
def local_and_cluster(local_run, tmp_path_factory):
    """The local tiny run, then the same workflow through SLURM."""
    return through_the_cluster(local_run, tmp_path_factory.mktemp("cluster") / "workflow")


def through_the_cluster(local, folder, node_types=None, environment=None):
    """A copy of the workflow in ``folder`` with the local run's references, run through SLURM
    (its jobs on ``node_types``, submitted with ``environment``): (local, copy, Snakemake's
    output)."""
    workdir = copy_workflow(folder)
    shutil.copytree(local / "references", workdir / "references")
    if node_types is not None:
        emulate_node_types(workdir, node_types)
    completed = run_snakemake(
        workdir,
        "--profile",
        cluster_profile(workdir),
        "--configfile",
        TINY,
        environment=environment,
    )
    return local, workdir, completed.stdout + completed.stderr


def assert_local_bits_and_pass(local, cluster):
    """The cluster run's step outputs are the local run's bytes, and verify passes."""
    assert step_outputs(cluster) == step_outputs(local)
    verdict = (cluster / "results" / "verify" / "verdict.txt").read_text()
    assert verdict.startswith("seedlock verify: PASS")
    assert "59 MATCH" in verdict


def test_cluster_outputs_equal_local_ones_and_verify_passes(local_and_cluster):
    local, cluster, _ = local_and_cluster
    assert_local_bits_and_pass(local, cluster)


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


def blas_probe(folder, environment) -> dict:
    completed = subprocess.run(
        [sys.executable, "blas_probe.py", "submit-host"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


@x86_only
def test_the_emulated_node_types_reach_every_step_and_change_unpinned_bits(tmp_path):
    """The emulation is real: both steps of a job (the batch script and an srun step, as the
    SLURM executor runs them) get their node type's values, not the submit host's, and a
    process that pins nothing computes other bits on each kind of node than under the pins."""
    emulate_node_types(tmp_path, NODE_TYPES)
    shutil.copy(REPO / "tests" / "slurm" / "blas_probe.py", tmp_path)
    environment = {**submit_environment(), **SUBMIT_HOST}
    probe = f"{sys.executable} blas_probe.py"
    jobs = {}
    # Consecutive jobs land on different kinds of node, unless another job came in between.
    for _ in range(6):
        job, state = submit_and_wait(
            ["--output", "probe-%j.log", "--wrap", f"{probe} batch && srun -n1 {probe} srun"],
            tmp_path,
            environment,
        )
        log = (tmp_path / f"probe-{job}.log").read_text()
        assert state == "COMPLETED", log
        jobs.setdefault(node_type_of(int(job), NODE_TYPES), (int(job), log))
        if len(jobs) == len(NODE_TYPES):
            break
    assert set(jobs) == set(NODE_TYPES)

    # The same process on the submit host, with the variables the workflow pins.
    pins, _ = compute.plan(compute.DEFAULT, TINY)
    pinned_environment = dict(environment)
    compute.apply(pins, pinned_environment)
    pinned = blas_probe(tmp_path, pinned_environment)
    assert [kernel.lower() for kernel in pinned["kernels"]] == [PINNED["OPENBLAS_CORETYPE"].lower()]
    digests = {pinned["product_sha256"]}
    for kind, (job, log) in jobs.items():
        outer = NODE_TYPES[kind]
        steps = [
            (line["job"], line["step"], line["type"], line["set"]) for line in prolog_lines(log)
        ]
        assert steps == [(job, "batch", kind, outer), (job, "0", kind, outer)], log
        # sbatch handed the submit host's environment on; the node's replaced it.
        assert prolog_lines(log)[0]["was"] == SUBMIT_HOST
        reports = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert [report["step"] for report in reports] == ["batch", "srun"], log
        for report in reports:
            assert report["node_type"] == kind
            assert report["environment"] == outer
            assert [kernel.lower() for kernel in report["kernels"]] == [
                outer["OPENBLAS_CORETYPE"].lower()
            ]
        assert reports[0]["product_sha256"] == reports[1]["product_sha256"]
        digests.add(reports[0]["product_sha256"])
    # Unpinned, each kind of node computes bits of its own, and none the baseline's.
    assert len(digests) == 1 + len(NODE_TYPES)


@pytest.fixture(scope="module")
def on_two_node_types(local_run, tmp_path_factory):
    """The tiny workflow through SLURM, its jobs on two emulated kinds of node and submitted
    from a host with yet other outer values, compared with the local run's references."""
    return through_the_cluster(
        local_run,
        tmp_path_factory.mktemp("two-node-types") / "workflow",
        node_types=NODE_TYPES,
        environment={**os.environ, **SUBMIT_HOST},
    )


@x86_only
def test_nodes_of_two_kinds_compute_the_bits_of_the_local_run(on_two_node_types):
    local, workdir, _ = on_two_node_types
    assert_local_bits_and_pass(local, workdir)


def job_log_records(path) -> tuple[dict, list[str]]:
    """From a job's own log (seedlock/runtime.py): the OpenBLAS variables of the environment it
    computed in, and the kernel of each BLAS library it loaded."""
    text = path.read_text()
    environment = json.loads(re.search(r" environment=(\{.*\})$", text, re.M)[1])
    blas = re.search(r"compute baseline \S+; BLAS: (.*); numpy dispatch:", text)[1]
    kernels = [] if blas == "none loaded" else [entry.split()[-1] for entry in blas.split(", ")]
    return {name: environment[name] for name in PINNED}, kernels


@x86_only
def test_every_job_got_its_node_types_values_and_computed_with_the_pinned_ones(
    on_two_node_types,
):
    _, workdir, output = on_two_node_types
    jobs = submitted_jobs(output)
    slurm_logs = {
        int(path.stem): path.read_text()
        for path in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")
    }
    assert sorted(slurm_logs) == sorted(jobs)
    kinds_that_loaded_blas = set()
    checked = set()
    for job in jobs:
        kind = node_type_of(job, NODE_TYPES)
        log = slurm_logs[job]
        # Each step of the job started with its node's values. Before them, the batch step had
        # the pins of the submit host's Snakemake (its own outer values never reached the
        # node), and the srun step those of the batch step's Snakemake, which pinned again.
        steps = [
            (line["job"], line["step"], line["type"], line["set"], line["was"])
            for line in prolog_lines(log)
        ]
        # A group's members run one after another, each in an srun step of its own.
        srun_steps = [str(step) for step in range(len(steps) - 1)]
        outer = NODE_TYPES[kind]
        assert srun_steps, log
        assert steps == [(job, step, kind, outer, PINNED) for step in ["batch", *srun_steps]], log
        # The job's own Snakemake pinned them again, and its script computed with the pins.
        rule_logs = [
            name for names in re.findall(r"^\s+log: (.+)$", log, re.M) for name in names.split(", ")
        ]
        assert rule_logs, log
        checked.update(rule_logs)
        for name in rule_logs:
            environment, kernels = job_log_records(workdir / name)
            assert environment == PINNED, name
            assert all(kernel == PINNED["OPENBLAS_CORETYPE"] for kernel in kernels), name
            if kernels:
                kinds_that_loaded_blas.add(kind)
    # Every submitted job's log was checked, and both kinds of node ran jobs that computed
    # with OpenBLAS.
    assert checked == {
        str(path.relative_to(workdir))
        for path in (workdir / "logs").rglob("*.log")
        if not is_local(path.relative_to(workdir / "logs").parts[0])
    }
    assert kinds_that_loaded_blas == set(NODE_TYPES)
