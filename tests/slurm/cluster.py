"""The test SLURM cluster (tests/slurm/start.sh): is it up, the profile a run through it uses,
and the nodes of different kinds it emulates (tests/slurm/task-prolog.sh).

Shared by tests/slurm and benchmarks/slurm.py; imports no test framework.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# The whole workflow as one SLURM job (README, "Running on a cluster").
ALLOCATION_SCRIPT = "profiles/slurm/one-allocation.sbatch"
# The TaskProlog that emulates nodes of different kinds (start.sh installs a copy of it), and
# the control file that turns it on for the jobs submitted from the folder that holds it.
TASK_PROLOG = REPO / "tests" / "slurm" / "task-prolog.sh"
NODE_TYPES_FILE = ".seedlock-node-types"


def cluster_is_up() -> bool:
    if not shutil.which("sinfo"):
        return False
    answer = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return answer.returncode == 0 and any(
        state in answer.stdout for state in ("idle", "mixed", "allocated")
    )


def cluster_profile(workdir: Path, retries: int | None = None) -> str:
    """profiles/slurm as shipped, in host mode, with the settings of the test cluster: it has no
    slurmdbd, so job status comes from squeue (which needs MinJobAge >= 3 x the first wait).
    Written into ``workdir``; returns the path to give ``--profile``."""
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    # Host mode: the profile's deployment methods without conda.
    methods = profile.pop("software-deployment-method")
    methods = [methods] if isinstance(methods, str) else methods
    if others := [method for method in methods if method != "conda"]:
        profile["software-deployment-method"] = others
    profile.update(
        {
            "latency-wait": 5,
            "slurm-status-command": "squeue",
            "slurm-init-seconds-before-status-checks": 2,
            "slurm-keep-successful-logs": True,
        }
    )
    if retries is not None:
        profile["retries"] = retries
    folder = workdir / "profiles" / "slurm-test"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile))
    return "profiles/slurm-test"


def submit_environment(path: str | None = None) -> dict:
    """The submitting shell's environment (sbatch hands it to the job) with ``path`` as PATH; by
    default this interpreter's folder comes first on it, as in a shell with the venv active."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE")}
    if path is None:
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {**environment, "PATH": path}


def job_state(job: str) -> str:
    record = subprocess.run(
        ["scontrol", "show", "job", "--oneliner", job], capture_output=True, text=True, check=True
    ).stdout
    return record.split("JobState=", 1)[1].split()[0]


def submit_and_wait(arguments: list[str], workdir: Path, environment: dict) -> tuple[str, str]:
    """``sbatch arguments`` from ``workdir``; waits for the job to end and returns its id and
    final state. Polls every 0.2 s: ``sbatch --wait`` polls at growing intervals, which would
    add up to 30 s to a benchmark's figure."""
    job = subprocess.run(
        ["sbatch", "--parsable", *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    while (state := job_state(job)) in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING"):
        time.sleep(0.2)
    return job, state


def task_prolog_problem() -> str | None:
    """Why the running cluster cannot emulate node types (it does not run this checkout's
    TaskProlog), or None."""
    config = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, check=True
    ).stdout
    installed = next(
        (
            line.split("=", 1)[1].strip()
            for line in config.splitlines()
            if line.startswith("TaskProlog ")
        ),
        "(null)",
    )
    if installed == "(null)":
        return "the cluster runs without a TaskProlog; run bash tests/slurm/start.sh again"
    if not Path(installed).is_file() or Path(installed).read_bytes() != TASK_PROLOG.read_bytes():
        return f"the cluster's TaskProlog {installed} is not {TASK_PROLOG}; run start.sh again"
    return None


def emulate_node_types(folder: Path, node_types: dict[str, dict[str, str]]) -> None:
    """Jobs submitted from ``folder`` run on emulated nodes of these types, each named with the
    variables its environment sets (tests/slurm/task-prolog.sh): job J on the type at index
    J mod len(node_types). Raises when the cluster's TaskProlog is not this checkout's."""
    if problem := task_prolog_problem():
        raise RuntimeError(problem)
    lines = [
        " ".join([name, *(f"{variable}={value}" for variable, value in variables.items())])
        for name, variables in node_types.items()
    ]
    (folder / NODE_TYPES_FILE).write_text("\n".join(lines) + "\n")


def node_type_of(job: int, node_types: dict) -> str:
    """The node type job ``job`` ran on, as tests/slurm/task-prolog.sh chooses it."""
    return list(node_types)[job % len(node_types)]


def prolog_lines(log: str) -> list[dict]:
    """What tests/slurm/task-prolog.sh printed into a job's output, one entry per step: the
    job, the step ("batch" or srun's step number), the node type, the variables it set, and
    the values they had in the step's environment before."""

    def pairs(words: str) -> dict[str, str]:
        return dict(word.split("=", 1) for word in words.split())

    return [
        {"job": int(job), "step": step, "type": kind, "set": pairs(set_), "was": pairs(was)}
        for job, step, kind, set_, was in re.findall(
            r"^seedlock-test-node: job=(\d+) step=(\S+) type=(\S+) (.*) was: (.*)$", log, re.M
        )
    ]
