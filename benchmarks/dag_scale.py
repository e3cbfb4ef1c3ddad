"""DAG scale: `snakemake --dry-run` of the whole workflow with many replicate seeds, and which
part of that time is seedlock's (config handling, seed derivation, input functions) rather than
Snakemake's own.

    .venv/bin/python benchmarks/dag_scale.py                      # 100, 300, 1000 replicates
    .venv/bin/python benchmarks/dag_scale.py --replicates 10000   # any list
    .venv/bin/python benchmarks/dag_scale.py --smoke              # 2 replicates

Each dry run happens in a fresh copy of the workflow with the default config, its replicates
raised. The share is measured in a second dry run under cProfile: the time spent in seedlock's
modules and in the helper functions of rules/*.smk, with everything they call, counted once at
the outermost such call.
"""

import argparse
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import REPO, report

from seedlock.probe import copy_workflow

RULE_FILES = ("Snakefile", ".smk")


def config_with_replicates(workflow: Path, folder: Path, replicates: int) -> Path:
    config = yaml.safe_load((workflow / "config.yaml").read_text(encoding="utf-8"))
    config["seeds"]["replicates"] = replicates
    path = folder / f"replicates-{replicates}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def dry_run(workdir: Path, config: Path) -> tuple[float, int, float]:
    """Wall seconds, jobs, and the largest resident memory of any child so far (MiB): the dry
    runs go from small to large, so that is this one's."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "2", "--configfile", config],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"benchmark: dry run failed:\n{completed.stderr[-3000:]}")
    total = re.search(r"^total\s+(\d+)", completed.stdout, re.MULTILINE)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, int(total.group(1)) if total else -1, peak_mib


def own_code_share(workdir: Path, config: Path, profile_path: Path) -> dict:
    """Profile a dry run in a child process; attribute time to the workflow's own code."""
    code = (
        "import sys, cProfile, runpy;"
        f"sys.argv=['snakemake','--dry-run','--quiet','all','--cores','2','--configfile','{config}'];"
        f"cProfile.run(\"runpy.run_module('snakemake', run_name='__main__')\", '{profile_path}')"
    )
    subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, check=False)
    stats = pstats.Stats(str(profile_path))
    entries = stats.stats  # {(file, line, name): (calls, primitive, tottime, cumtime, callers)}
    total = max(cumulative for (_, _, _, cumulative, _) in entries.values())

    def own(function):
        # seedlock's modules, imports included, and the helpers that rules/*.smk define; not
        # the rule files' top level, which is Snakemake declaring rules.
        path, _, name = function
        if str(workdir) not in path:
            return False
        return "/seedlock/" in path or (path.endswith(RULE_FILES) and name != "<module>")

    # A function's time as called from outside the workflow's code: each caller's share of it.
    outermost = 0.0
    by_function = {}
    for function, (_, _, _, _, callers) in entries.items():
        if not own(function):
            continue
        outer = sum(stat[3] for caller, stat in callers.items() if not own(caller))
        if outer:
            outermost += outer
            by_function[f"{Path(function[0]).name}:{function[2]}"] = round(outer, 3)
    top = dict(sorted(by_function.items(), key=lambda item: -item[1])[:8])
    return {
        "profiled_seconds": round(total, 2),
        "seedlock_seconds": round(outermost, 2),
        "seedlock_share": round(outermost / total, 3),
        "seedlock_top": top,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    parser.add_argument(
        "--workflow",
        type=Path,
        default=REPO,
        help="the checkout to measure (default: this one), e.g. an older commit's, for a before",
    )
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.replicates = [2]

    workspace = Path(tempfile.mkdtemp(prefix="seedlock-bench-dag-"))
    rows = []
    try:
        workdir = copy_workflow(arguments.workflow.resolve(), workspace / "workflow")
        for replicates in arguments.replicates:
            config = config_with_replicates(workdir, workspace, replicates)
            seconds, jobs, peak_mib = dry_run(workdir, config)
            row = {
                "replicates": replicates,
                "jobs": jobs,
                "dry_run_seconds": round(seconds, 2),
                "ms_per_job": round(1000 * seconds / jobs, 3),
                "peak_memory_mib": round(peak_mib),
            }
            if not arguments.no_profile:
                row.update(own_code_share(workdir, config, workspace / "dry-run.prof"))
            rows.append(row)
            print(row, file=sys.stderr)
            shutil.rmtree(workdir / ".snakemake", ignore_errors=True)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    report("dag_scale", {"workflow": str(arguments.workflow), "dry_runs": rows}, arguments.json)


if __name__ == "__main__":
    main()
