"""The test SLURM cluster (tests/slurm/start.sh): is it up, and the profile a run through it uses.

Shared by tests/slurm and benchmarks/slurm.py; imports no test framework.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# The whole workflow as one SLURM job (README, "Running on a cluster").
ALLOCATION_SCRIPT = "profiles/slurm/one-allocation.sbatch"


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
    del profile["use-conda"]
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
