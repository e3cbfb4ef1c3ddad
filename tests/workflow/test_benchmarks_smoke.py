"""The benchmarks still run (on small inputs) and report the figures RESULTS.md records.
Their timings are not checked here: they are measured by hand, on a quiet machine."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.slurm.cluster import cluster_is_up


def smoke(name: str, tmp_path) -> dict:
    output = tmp_path / f"{name}.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / f"{name}.py"), "--smoke", "--json", output],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(output.read_text(encoding="utf-8"))
    assert figures["benchmark"] == name and figures["machine"]["cores"] >= 1
    return figures


def test_hashing(tmp_path):
    figures = smoke("hashing", tmp_path)
    assert set(figures["seconds"]) >= {"openssl", "seedlock_one_worker", "seedlock_all_cores"}
    assert figures["seedlock_vs_openssl_per_core"] > 0 and figures["parallel_speedup"] > 0


def test_verify_scale(tmp_path):
    figures = smoke("verify_scale", tmp_path)
    assert figures["files"] == "500 x 1 KiB + 1 x 4 MiB"
    assert figures["verify_vs_hashing"] > 0


def test_dag_scale(tmp_path):
    (row,) = smoke("dag_scale", tmp_path)["dry_runs"]
    # 2 replicates of the default config: per replicate 4 splits and 4 datasets x 5 models x
    # (train, evaluate, cross_validate); then 4 prepare_data, 4 permutation tests (one model),
    # 8 learning curves (two models) and their figure, 10 checksums, 2 env fingerprints, and
    # aggregate, figures, run_record, verify_report, verify, all.
    assert row["replicates"] == 2
    assert row["jobs"] == 2 * (4 + 4 * 5 * 3) + 4 + 4 + 8 + 1 + 10 + 2 + 6
    assert 0 < row["seedlock_share"] < 1 and row["seedlock_top"]


def test_overhead(tmp_path):
    figures = smoke("overhead", tmp_path)
    assert figures["outputs"] == 59  # the tiny config's outputs, rewritten with the same bytes
    assert figures["seconds"]["no_change_rerun"] > 0
    # The same outputs from jobs started cold, forked from a warm interpreter, on 1 and 2 cores.
    assert figures["workflow_vs_one_process"] > 0 and figures["cold_workflow_vs_one_process"] > 0
    assert figures["two_cores_vs_one_core"] > 0
    assert 0 < figures["checksum_and_verify_share"] < 1
    assert figures["job_seconds_by_rule"]["train"] > 0


def test_compute_baseline(tmp_path):
    figures = smoke("compute_baseline", tmp_path)
    assert figures["baseline_vs_native"] > 0
    steps = figures["native_vs_baseline_by_step"]
    assert sum(row["outputs"] for row in steps.values()) == 59
    assert all(0 <= row["differ"] <= row["outputs"] for row in steps.values())


def test_probe(tmp_path):
    figures = smoke("probe", tmp_path)
    assert figures["targets"] == ["checksums"] and figures["probe_status"] == "DETERMINISTIC"
    # The thread comparison is opt-in (seedlock probe --threads).
    assert set(figures["seconds"]["probe_runs"]) == {"baseline", "varied"}
    assert figures["probe_vs_make_run"] > 0


@pytest.mark.slurm
def test_slurm(tmp_path):
    if not cluster_is_up():
        pytest.skip("no SLURM cluster answers; start one with: bash tests/slurm/start.sh")
    figures = smoke("slurm", tmp_path)
    # Local, one allocation and one job per step wrote the tiny config's 59 outputs alike.
    assert figures["outputs"] == 59 and figures["per_step_submissions"] > 1
    assert figures["one_allocation_vs_local"] > 0 and figures["per_step_vs_local"] > 0
