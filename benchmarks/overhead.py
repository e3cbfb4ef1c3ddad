"""Overhead: the workflow against the same work in one plain Python process; checksum + verify
as a share of all job time; a rerun when nothing changed.

    .venv/bin/python benchmarks/overhead.py             # default config, whole workflow
    .venv/bin/python benchmarks/overhead.py --smoke     # tiny config, checksums only

1. The workflow runs from nothing on one core in a fresh copy, keeping the job scripts Snakemake
   generates (--skip-script-cleanup): each holds the job's inputs, outputs and params and then
   the rule's script.
2. Nothing changed: the same command again (best of three).
3. The same jobs again in one Python process: the kept scripts run one after another in the order
   Snakemake ran them, in a child interpreter started with the workflow's fixed environment and
   compute baseline pins, into
   an emptied results/ folder. Every output must come out with the same bytes.
Job time per rule comes from the `benchmark:` files the workflow writes under logs/benchmarks/.
"""

import argparse
import csv
import os
import runpy
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, best_of, report, run

from experiment.config import load_config
from seedlock import compute, forkserver
from seedlock.checksums import hash_files
from seedlock.probe import copy_workflow
from seedlock.runtime import FIXED_ENVIRONMENT
from seedlock.trees import output_files, tree_graph

VERIFICATION_RULES = ("checksum_", "environment", "run_record", "verify")


def job_seconds(workdir: Path) -> dict[str, float]:
    """Seconds per rule, summed over its jobs, from Snakemake's benchmark files."""
    totals: dict[str, float] = {}
    for path in (workdir / "logs" / "benchmarks").rglob("*.tsv"):
        rule = path.relative_to(workdir / "logs" / "benchmarks").parts[0]
        with open(path, encoding="utf-8") as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        totals[rule] = totals.get(rule, 0.0) + float(row["s"])
    return totals


def run_scripts_in_one_process(workdir: Path) -> None:
    """The child's side of step 3: run every kept job script here, in order."""
    os.chdir(workdir)
    scripts = sorted((workdir / ".snakemake" / "scripts").glob("*.py"), key=os.path.getmtime)
    # Each job points stderr at its own log and closes that log when it ends: point it back.
    stderr_descriptor, stderr = os.dup(2), sys.stderr
    for script in scripts:
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            os.dup2(stderr_descriptor, 2)
            sys.stderr = stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("targets", nargs="*", default=["all"])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one-process", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one_process:
        run_scripts_in_one_process(arguments.one_process)
        return
    if arguments.smoke:
        arguments.config = REPO / "tests" / "config" / "tiny.yaml"
        arguments.targets = ["checksums"]  # every step's manifest

    workspace = Path(tempfile.mkdtemp(prefix="seedlock-bench-overhead-"))
    snakemake = [sys.executable, "-m", "snakemake", *arguments.targets]
    snakemake += ["--configfile", str(arguments.config.resolve())]

    def from_nothing(name: str, cores: int, environment: dict[str, str]) -> tuple[float, Path]:
        """The workflow in a fresh copy (its own fork server, if any), and its wall time."""
        workdir = copy_workflow(REPO, workspace / name)
        if (REPO / "references").is_dir():  # what the verify rule compares with
            shutil.copytree(REPO / "references", workdir / "references")
        started = time.perf_counter()
        run(
            [*snakemake, "--cores", str(cores), "--skip-script-cleanup"],
            cwd=workdir,
            env={**os.environ, **environment},
        )
        return time.perf_counter() - started, workdir

    cold = {forkserver.SWITCH: "0"}
    try:
        workflow_seconds, workdir = from_nothing("warm", 1, {})
        per_rule = job_seconds(workdir)
        (rerun_seconds,) = best_of(3, lambda: run([*snakemake, "--cores", "all"], cwd=workdir))
        produced = hash_files(workdir, output_files(workdir, tree_graph(workdir)))
        cold_seconds, cold_workdir = from_nothing("cold", 1, cold)
        cold_per_rule = job_seconds(cold_workdir)
        if hash_files(cold_workdir, list(produced)) != produced:
            raise SystemExit("benchmark: jobs started cold wrote other bytes than forked ones")
        two_cores_seconds, _ = from_nothing("two-cores", 2, {})

        for path in produced:
            (workdir / path).unlink()
        started = time.perf_counter()
        # The workflow's own pins: the fixed variables, and the kernels of its compute baseline;
        # every job runs here, in this one process, so none is handed to a fork server.
        environment = {**os.environ, **FIXED_ENVIRONMENT, **cold}
        config = load_config(arguments.config, base_dir=workdir, check_imports=False)
        compute.apply(
            compute.plan(config["compute_baseline"], str(arguments.config))[0], environment
        )
        run([sys.executable, __file__, "--one-process", str(workdir)], env=environment)
        one_process_seconds = time.perf_counter() - started
        again = hash_files(workdir, output_files(workdir, tree_graph(workdir)))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    if again != produced:
        changed = sorted(p for p in produced if again.get(p) != produced[p])
        raise SystemExit(f"benchmark: the one-process run wrote other bytes, e.g. {changed[:3]}")

    all_jobs = sum(per_rule.values())
    verification = sum(s for rule, s in per_rule.items() if rule.startswith(VERIFICATION_RULES))
    report(
        "overhead",
        {
            "config": str(arguments.config.relative_to(REPO)),
            "targets": arguments.targets,
            "outputs": len(produced),
            "seconds": {
                "workflow_one_core": round(workflow_seconds, 1),
                "workflow_one_core_cold_jobs": round(cold_seconds, 1),
                "workflow_two_cores": round(two_cores_seconds, 1),
                "one_python_process": round(one_process_seconds, 1),
                "no_change_rerun": round(rerun_seconds, 2),
                "all_jobs": round(all_jobs, 1),
                "checksum_and_verify_jobs": round(verification, 1),
            },
            # Goal <= 1.3: jobs forked from a warm interpreter, and started cold as before.
            "workflow_vs_one_process": round(workflow_seconds / one_process_seconds, 3),
            "cold_workflow_vs_one_process": round(cold_seconds / one_process_seconds, 3),
            # Goal <= 0.75.
            "two_cores_vs_one_core": round(two_cores_seconds / workflow_seconds, 3),
            # Goal <= 3 %.
            "checksum_and_verify_share": round(verification / all_jobs, 4),
            "job_seconds_by_rule": {rule: round(s, 1) for rule, s in sorted(per_rule.items())},
            "cold_job_seconds_by_rule": {
                rule: round(s, 1) for rule, s in sorted(cold_per_rule.items())
            },
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
