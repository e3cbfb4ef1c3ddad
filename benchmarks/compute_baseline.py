"""The price of the compute baseline: the workflow under ``compute_baseline: x86-64-v3`` against
``native``, in wall time and in what the outputs' numbers give up.

    .venv/bin/python benchmarks/compute_baseline.py            # default config, 2 rounds
    .venv/bin/python benchmarks/compute_baseline.py --smoke    # tiny config, 1 round

Each round runs the whole workflow from nothing, on all cores, in a fresh copy under each
setting, alternating them; the best time of each counts. The machine's own environment is left
as it is (OPENBLAS_CORETYPE and all): native is what this machine computes when left alone.
Then the outputs of the two settings are compared output by output: per step, how many outputs
differ and the largest relative difference of any number in them.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import REPO, report, run

from seedlock.compare import Tolerance
from seedlock.probe import copy_workflow
from seedlock.trees import ResultTree
from seedlock.verify import MATCH, classify

SETTINGS = ("x86-64-v3", "native")
# Every number compared, whatever its difference; pickles and figures by their bytes.
MEASURE = [Tolerance(pattern=p, policy="numeric", rtol=1.0) for p in ("*.csv", "*.json")]


def config_with(config: Path, baseline: str, destination: Path) -> Path:
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    settings["compute_baseline"] = baseline
    destination.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return destination


def differences_by_step(baseline: Path, native: Path) -> dict[str, dict]:
    """Per step: outputs compared, how many differ, the largest relative difference."""
    native_tree, baseline_tree = ResultTree(native), ResultTree(baseline)
    graph = baseline_tree.graph
    results = classify(native_tree, baseline_tree, MEASURE, graph)
    by_step = {
        step: {"outputs": 0, "differ": 0, "max_rel": 0.0, "labels_changed": 0}
        for step in graph.steps
    }
    for result in results:
        if result.step is None:
            continue
        row = by_step[result.step]
        row["outputs"] += 1
        if result.status == MATCH:
            continue
        row["differ"] += 1
        difference = result.difference.as_dict() if result.difference else {}
        for stats in difference.get("numeric", {}).values():
            if stats["max_rel"] is not None:
                row["max_rel"] = max(row["max_rel"], stats["max_rel"])
        row["labels_changed"] += sum(difference.get("labels_changed", {}).values())
    return by_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.config, arguments.rounds = REPO / "tests" / "config" / "tiny.yaml", 1

    workspace = Path(tempfile.mkdtemp(prefix="seedlock-bench-baseline-"))
    try:
        best = dict.fromkeys(SETTINGS, float("inf"))
        folders = {}
        for round_number in range(arguments.rounds):
            for setting in SETTINGS:
                workdir = workspace / f"{setting}-{round_number}" / "workflow"
                copy_workflow(REPO, workdir)
                config = config_with(arguments.config, setting, workdir / "benchmark.yaml")
                targets = ["checksums"]  # every step's manifest and the run record
                started = time.perf_counter()
                command = [sys.executable, "-m", "snakemake", *targets, "--cores", "all"]
                run([*command, "--configfile", str(config)], cwd=workdir)
                seconds = time.perf_counter() - started
                best[setting] = min(best[setting], seconds)
                if setting in folders:
                    shutil.rmtree(folders[setting].parent)
                folders[setting] = workdir
        steps = differences_by_step(folders["x86-64-v3"], folders["native"])
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    report(
        "compute_baseline",
        {
            "config": str(arguments.config.relative_to(REPO)),
            "rounds": arguments.rounds,
            "seconds": {setting: round(best[setting], 1) for setting in SETTINGS},
            # Goal: report. Above 1, the baseline's kernels are slower on this machine.
            "baseline_vs_native": round(best["x86-64-v3"] / best["native"], 3),
            "native_vs_baseline_by_step": steps,
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
