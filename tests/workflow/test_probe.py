"""seedlock probe on real Snakemake runs: toy rules that each depend on one thing the varied run
changes are caught and named; the tiny workflow is deterministic under every variation."""

import json
from pathlib import Path

import pytest

from seedlock.bless import probe_findings
from seedlock.checksums import file_sha256
from seedlock.errors import ReferenceProfileError
from seedlock.probe import DETERMINISTIC, NONDETERMINISTIC, REPORT, THREAD_DEPENDENT
from tests.conftest import copy_workflow, run_seedlock

TINY = "tests/config/tiny.yaml"
TOY = "results/aggregate/toy"

# One toy output per thing the probe varies, plus one that depends on nothing and one that
# depends on the thread count the way a parallel reduction does.
TOY_RULES = f'''
import sys


rule toy_outputs:
    output:
        clock="{TOY}/clock.txt",
        unseeded="{TOY}/unseeded.txt",
        hash_order="{TOY}/hash_order.txt",
        timezone="{TOY}/timezone.txt",
        locale="{TOY}/locale.txt",
        listing="{TOY}/listing.txt",
        workdir="{TOY}/workdir.txt",
        umask="{TOY}/umask.txt",
        home="{TOY}/home.txt",
        constant="{TOY}/constant.txt",
        kernel="{TOY}/kernel.txt",
    params:
        python=sys.executable,
    shell:
        """
        date +%s%N > {{output.clock}}
        {{params.python}} -c 'import random; print(random.random())' > {{output.unseeded}}
        {{params.python}} -c 'print(set("alpha beta gamma delta epsilon".split()))' \\
            > {{output.hash_order}}
        date -d @0 +%H:%M%z > {{output.timezone}}
        {{params.python}} -c 'import locale; print(locale.setlocale(locale.LC_ALL, ""), \\
            locale.localeconv()["decimal_point"])' > {{output.locale}}
        {{params.python}} -c 'import os; print(os.listdir("rules"))' > {{output.listing}}
        pwd > {{output.workdir}}
        umask > {{output.umask}}
        echo "$HOME" > {{output.home}}
        echo 42 > {{output.constant}}
        {{params.python}} -c 'import numpy, threadpoolctl; \\
            print([p.get("architecture") for p in threadpoolctl.threadpool_info()])' \\
            > {{output.kernel}}
        """


rule toy_threaded_sum:
    output:
        total="{TOY}/threaded_sum.csv",
    params:
        threads=threads_for("aggregate"),
    run:
        values = [1 / (index + 1) for index in range(100_000)]
        chunks = [values[start :: params.threads] for start in range(params.threads)]
        with open(output.total, "w") as handle:
            handle.write(f"total\\n{{sum(sum(chunk) for chunk in chunks)!r}}\\n")
'''

VARIED_BY = {
    "clock.txt": "time",
    "unseeded.txt": "unseeded random numbers",
    "hash_order.txt": "PYTHONHASHSEED",
    "timezone.txt": "TZ",
    "locale.txt": "locale",
    "listing.txt": "directory listing order",
    "workdir.txt": "working directory",
    "umask.txt": "umask",
    "home.txt": "HOME",
}


seedlock = run_seedlock


@pytest.fixture(scope="module")
def toy_probe(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("toy") / "workflow")
    (workdir / "rules" / "toy.smk").write_text(TOY_RULES, encoding="utf-8")
    with open(workdir / "Snakefile", "a", encoding="utf-8") as snakefile:
        snakefile.write('\n\ninclude: "rules/toy.smk"\n')
    completed = seedlock(
        workdir,
        "probe",
        f"{TOY}/threaded_sum.csv",
        f"{TOY}/constant.txt",
        "--config",
        TINY,
        "--threads",
    )
    if not (workdir / REPORT).is_file():
        pytest.fail(f"probe wrote no report:\n{completed.stdout}\n{completed.stderr[-4000:]}")
    report = json.loads((workdir / REPORT).read_text(encoding="utf-8"))
    return workdir, completed, report


def test_probe_names_each_toy_output_that_depends_on_what_it_varies(toy_probe):
    _, completed, report = toy_probe
    assert completed.returncode == 1, completed.stderr
    assert report["status"] == NONDETERMINISTIC
    classes = {item["path"].rsplit("/", 1)[1]: item["class"] for item in report["files"]}
    assert {name: classes.get(name) for name in VARIED_BY} == dict.fromkeys(
        VARIED_BY, NONDETERMINISTIC
    )
    # Under the compute baseline the jobs' BLAS kernel does not follow the outer environment.
    assert "constant.txt" not in classes and "kernel.txt" not in classes
    assert report["counts"] == {DETERMINISTIC: 2, NONDETERMINISTIC: 9, THREAD_DEPENDENT: 1}
    assert report["first_nondeterministic_steps"] == ["aggregate"]
    for name in VARIED_BY:
        assert f"NONDETERMINISTIC {TOY}/{name}  [aggregate]" in completed.stdout


def test_probe_classifies_a_parallel_reduction_as_thread_dependent(toy_probe):
    _, completed, report = toy_probe
    (item,) = [i for i in report["files"] if i["path"].endswith("threaded_sum.csv")]
    assert item["class"] == THREAD_DEPENDENT
    assert item["compared"] == "threads-2 vs baseline"
    change = item["difference"]["numeric"]["total"]
    assert change["values_changed"] == 1 and 0 < change["max_rel"] < 1e-12
    assert report["thread_runs"] == {"1": "baseline", "2": "threads-2"}
    assert "THREAD_DEPENDENT results/aggregate/toy/threaded_sum.csv" in completed.stdout


def test_the_varied_run_really_varies(toy_probe):
    workdir, _, report = toy_probe
    names = [variation["name"] for variation in report["variations"]]
    assert names == [
        "working directory (path and depth)",
        "job order",
        "PYTHONHASHSEED (driver and jobs)",
        "TZ (driver and jobs)",
        "locale LC_ALL (driver and jobs)",
        "umask",
        "HOME",
        "directory listing order (every Python process)",
        "CPU kernels (outer environment; the compute baseline pins the jobs')",
    ]
    kernels = report["variations"][-1]
    assert kernels["varied"].startswith("OPENBLAS_CORETYPE=Sandybridge, OPENBLAS_L2_SIZE=1024")
    assert "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA" in kernels["varied"]
    # The runs' folders are gone unless --keep was given; the report stays with the checkout.
    baseline_folder = Path(report["variations"][0]["baseline"])
    assert baseline_folder.name == "workflow" and not baseline_folder.exists()
    assert (workdir / REPORT).is_file()


def test_bless_refuses_what_the_probe_found_nondeterministic_unless_forced(toy_probe):
    workdir, _, report = toy_probe
    run = {"configfiles": {TINY: file_sha256(workdir / TINY)}}
    clock = f"{TOY}/clock.txt"
    notes = []
    with pytest.raises(ReferenceProfileError, match=r"non-deterministic, e\.g\. .*clock\.txt"):
        probe_findings(workdir, run, {clock}, force=False, say=notes.append)
    forced = probe_findings(
        workdir, run, {clock, f"{TOY}/threaded_sum.csv"}, force=True, say=notes.append
    )
    assert forced["nondeterministic"] == [clock] and forced["forced"] is True
    assert forced["thread_dependent"] == [f"{TOY}/threaded_sum.csv"]
    assert (
        probe_findings(workdir, run, {f"{TOY}/constant.txt"}, False, notes.append)["status"]
        == (report["status"])
    )
    # Another config, or changed code, makes the probe's findings stale: they no longer count.
    assert probe_findings(workdir, {"configfiles": {}}, {clock}, False, notes.append) == {
        "status": "stale",
        "probed_at": report["probed_at"],
    }
    with open(workdir / "scripts" / "train.py", "a", encoding="utf-8") as script:
        script.write("# edited\n")
    assert probe_findings(workdir, run, {clock}, False, notes.append)["status"] == "stale"


def test_tiny_workflow_is_deterministic_under_every_variation(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    completed = seedlock(workdir, "probe", "--config", TINY, "--threads")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((workdir / REPORT).read_text(encoding="utf-8"))
    assert report["status"] == DETERMINISTIC
    # Logistic regression and random forests: neither their bytes nor their metrics change with
    # the thread count (the saved models keep no trace of n_jobs).
    assert report["counts"] == {DETERMINISTIC: 59, NONDETERMINISTIC: 0, THREAD_DEPENDENT: 0}
    assert set(report["runs"]) == {"baseline", "varied", "threads-2"}
    assert completed.stdout.startswith("seedlock probe: DETERMINISTIC\n")
    # Each run names its log as it starts (progress follows every half minute).
    for name in ("baseline", "varied", "threads-2"):
        assert f"probe: {name} run in " in completed.stderr
        assert f"{name}.log" in completed.stderr


def test_probe_rejects_a_bad_config_before_running_anything(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "bad.yaml").write_text("cross_validation:\n  folds: 1\n", encoding="utf-8")
    completed = seedlock(workdir, "probe", "--config", "bad.yaml")
    assert completed.returncode == 2
    assert completed.stderr == (
        "seedlock: error: bad.yaml: cross_validation.folds: 1 is less than the minimum of 2\n"
    )
    assert not (workdir / "results").exists()
