"""`seedlock probe` against one `make run`, in one run.

    .venv/bin/python benchmarks/probe.py [--config config.yaml] [--threads] [--json FILE]
    .venv/bin/python benchmarks/probe.py --smoke    # tiny config, up to the checksums

Each from nothing in its own copy, one after the other: the command `make run` runs
(`snakemake --cores all`, with the committed references), then `seedlock probe --config FILE`
(its baseline and varied runs, and with --threads its thread run). Both use every core.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, report, run

from seedlock.probe import REPORT, copy_workflow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--threads", action="store_true", help="probe with --threads")
    arguments = parser.parse_args()
    # The tiny config has no committed references to verify against: both stop at the checksums.
    targets = ["checksums"] if arguments.smoke else []
    if arguments.smoke:
        arguments.config = REPO / "tests" / "config" / "tiny.yaml"
    config = str(arguments.config.resolve())
    workspace = Path(tempfile.mkdtemp(prefix="seedlock-bench-probe-"))
    try:
        workdir = copy_workflow(REPO, workspace / "run")
        shutil.copytree(REPO / "references", workdir / "references")
        snakemake = [sys.executable, "-m", "snakemake", *targets, "--cores", "all"]
        started = time.perf_counter()
        run([*snakemake, "--configfile", config], workdir)
        run_seconds = time.perf_counter() - started

        workdir = copy_workflow(REPO, workspace / "probe")
        started = time.perf_counter()
        probe = [sys.executable, "-m", "seedlock", "probe", *targets, "--config", config]
        run(probe + (["--threads"] if arguments.threads else []), workdir)
        probe_seconds = time.perf_counter() - started
        probe_report = json.loads((workdir / REPORT).read_text())
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    report(
        "probe",
        {
            "config": str(arguments.config.resolve().relative_to(REPO)),
            "targets": targets or ["all"],
            "probe_threads": arguments.threads,
            "seconds": {
                "make_run": round(run_seconds, 1),
                "probe": round(probe_seconds, 1),
                "probe_runs": probe_report["runs"],
            },
            "probe_status": probe_report["status"],
            # Goal <= 3.
            "probe_vs_make_run": round(probe_seconds / run_seconds, 3),
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
