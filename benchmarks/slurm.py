"""Through SLURM: the tiny config's whole run locally, inside one allocation, and one SLURM job
per step, against the test cluster (tests/slurm/start.sh) in one run.

    .venv/bin/python benchmarks/slurm.py [--config tests/config/tiny.yaml] [--json FILE]

First a local run up to the verify report, blessed: the references every timed run verifies
against. Then, each from nothing in its own copy, one after another:
1. local: `snakemake --cores N` (N = the node's CPUs);
2. one allocation: `sbatch --cpus-per-task N profiles/slurm/one-allocation.sbatch`, timed from
   submission to the job's end (polled every 0.2 s);
3. per step: `snakemake --profile` profiles/slurm with the test cluster's settings (as the SLURM
   tests use it).
Every run must end with verify passing and write the same bytes into every step's folder.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, report, run

from seedlock.checksums import hash_files
from seedlock.probe import copy_workflow
from seedlock.trees import output_files, tree_graph
from tests.slurm.cluster import (
    ALLOCATION_SCRIPT,
    cluster_is_up,
    cluster_profile,
    submit_and_wait,
    submit_environment,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "tests" / "config" / "tiny.yaml")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true", help="the same: the tiny config is small")
    arguments = parser.parse_args()
    if not cluster_is_up():
        raise SystemExit("benchmark: no SLURM cluster answers; start: bash tests/slurm/start.sh")
    cpus = os.cpu_count() or 1
    config = str(arguments.config.resolve())
    snakemake = [sys.executable, "-m", "snakemake"]
    # Last on every command line: --configfile takes every argument after it.
    configfile = ["--configfile", config]
    environment = submit_environment()

    workspace = Path(tempfile.mkdtemp(prefix="seedlock-bench-slurm-"))

    def fresh(name: str, references: Path | None = None) -> Path:
        workdir = copy_workflow(REPO, workspace / name)
        if references:
            shutil.copytree(references, workdir / "references")
        return workdir

    def verified(workdir: Path, what: str) -> dict[str, str]:
        verdict = workdir / "results" / "verify" / "verdict.txt"
        if not verdict.is_file() or not verdict.read_text().startswith("seedlock verify: PASS"):
            raise SystemExit(f"benchmark: the {what} run did not pass verify ({workdir})")
        return hash_files(workdir, output_files(workdir, tree_graph(workdir)))

    try:
        blessed = fresh("blessed")
        run(
            [*snakemake, "verify_report", "--cores", str(cpus), *configfile],
            cwd=blessed,
            env=environment,
        )
        run([sys.executable, "-m", "seedlock", "bless"], cwd=blessed, env=environment)
        references = blessed / "references"

        local = fresh("local", references)
        started = time.perf_counter()
        run([*snakemake, "--cores", str(cpus), *configfile], cwd=local, env=environment)
        local_seconds = time.perf_counter() - started
        produced = verified(local, "local")

        allocation = fresh("allocation", references)
        started = time.perf_counter()
        job, state = submit_and_wait(
            ["--cpus-per-task", str(cpus), ALLOCATION_SCRIPT, *configfile],
            allocation,
            environment,
        )
        allocation_seconds = time.perf_counter() - started
        if state != "COMPLETED":
            raise SystemExit(f"benchmark: the allocation job {job} ended {state}")
        if verified(allocation, "one-allocation") != produced:
            raise SystemExit("benchmark: the one-allocation run wrote other bytes than local")

        per_step = fresh("per-step", references)
        profile = cluster_profile(per_step)
        started = time.perf_counter()
        completed = run(
            [*snakemake, "--profile", profile, *configfile], cwd=per_step, env=environment
        )
        per_step_seconds = time.perf_counter() - started
        if verified(per_step, "per-step") != produced:
            raise SystemExit("benchmark: the per-step run wrote other bytes than local")
        submissions = len(re.findall(r"submitted with SLURM jobid", completed.stderr))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    report(
        "slurm",
        {
            "config": str(arguments.config.resolve().relative_to(REPO)),
            "cpus": cpus,
            "outputs": len(produced),
            "seconds": {
                "local": round(local_seconds, 1),
                "one_allocation": round(allocation_seconds, 1),
                "per_step": round(per_step_seconds, 1),
            },
            "per_step_submissions": submissions,
            # Goal <= 2.
            "one_allocation_vs_local": round(allocation_seconds / local_seconds, 3),
            "per_step_vs_local": round(per_step_seconds / local_seconds, 3),
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
