"""Other CPUs, emulated on this one: the tiny workflow runs with the outer environment set as
different machines set it (OpenBLAS's core type, numpy's SIMD dispatch capped from outside).

Under the compute baseline every such run computes the same bytes and gets one profile id. Under
native the runs that compute differently get different ids, and verify names what differs.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seedlock import compute
from seedlock.trees import tree_graph
from tests.conftest import TINY_CONFIG, copy_workflow, run_snakemake

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not compute.is_x86(), reason="emulates x86-64 CPUs"),
]

# Variables that choose kernels; each emulated machine starts without any of them.
KERNEL_CHOICES = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")
NUMPY_AT_V2 = compute.pinned_variables(
    compute.BELOW["x86-64-v3"], compute.numpy_dispatch_targets("test")
)["NPY_DISABLE_CPU_FEATURES"]


def avx512_kernel() -> str | None:
    """OpenBLAS's AVX-512 kernel, where this CPU has AVX-512: forced on a CPU without it,
    OpenBLAS does not refuse, and the first matrix product dies of an illegal instruction."""
    flags = compute.cpu_flags() or frozenset()
    return "SkylakeX" if compute.cpu_level(flags) == "x86-64-v4" else None


MACHINES = {
    "unset": {},
    "Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    # An AVX CPU without FMA, or a site that caps numpy: both lower than the baseline.
    "Sandybridge, numpy at x86-64-v2": {
        "OPENBLAS_CORETYPE": "Sandybridge",
        "NPY_DISABLE_CPU_FEATURES": NUMPY_AT_V2,
    },
    "Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "numpy at x86-64-v2": {"NPY_DISABLE_CPU_FEATURES": NUMPY_AT_V2},
}


class Runs:
    """Tiny runs in fresh copies of the workflow, one per (baseline, emulated machine)."""

    def __init__(self, base: Path):
        self.base = base
        self.done: dict[tuple[str, str], Path] = {}

    def __call__(self, baseline: str, machine: str, outer: dict | None = None) -> Path:
        if (baseline, machine) in self.done:
            return self.done[(baseline, machine)]
        name = f"{baseline}-{len(self.done)}"
        workdir = copy_workflow(self.base / name / "workflow")
        config = workdir / "tests" / "config" / "machine.yaml"
        config.write_text(
            TINY_CONFIG.read_text() + f"compute_baseline: {baseline}\n", encoding="utf-8"
        )
        environment = {k: v for k, v in os.environ.items() if k not in KERNEL_CHOICES}
        environment.update(MACHINES[machine] if outer is None else outer)
        # No references yet: the run ends with verify failing, after every output is written.
        run_snakemake(
            workdir,
            "--cores",
            "2",
            "--configfile",
            str(config.relative_to(workdir)),
            check=False,
            environment=environment,
        )
        assert (workdir / "results/verify/report.json").is_file(), f"{machine}: run failed"
        self.done[(baseline, machine)] = workdir
        return workdir


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    return Runs(tmp_path_factory.mktemp("machines"))


def profile(workdir: Path) -> str:
    report = json.loads((workdir / "results/verify/report.json").read_text())
    return report["profile"]["current"]


def step_bytes(workdir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(workdir)): path.read_bytes()
        for path in sorted((workdir / "results").rglob("*"))
        if path.is_file() and tree_graph(workdir).step_of(str(path.relative_to(workdir)))
    }


def ml_kernels(workdir: Path) -> dict:
    return json.loads((workdir / "results/environment/ml.json").read_text())["compute"]


def test_every_emulated_machine_computes_the_same_bytes_under_the_baseline(runs):
    reference = runs("x86-64-v3", "unset")
    expected = step_bytes(reference)
    assert len(expected) == 59
    assert profile(reference).startswith("host-linux-64-x86-64-v3-")
    for machine in ("Haswell", "Sandybridge, numpy at x86-64-v2"):
        workdir = runs("x86-64-v3", machine)
        assert profile(workdir) == profile(reference), machine
        assert step_bytes(workdir) == expected, machine
        kernels = ml_kernels(workdir)
        assert {blas["kernel"] for blas in kernels["blas"]} == {"Haswell"}, machine
        assert compute.violations(kernels) == []


def test_a_site_that_sets_the_avx512_kernel_is_overridden_too(runs):
    kernel = avx512_kernel()
    if kernel is None:
        pytest.skip("this CPU has no AVX-512 (OpenBLAS's Zen kernel name maps to Haswell's)")
    workdir = runs("x86-64-v3", kernel, {"OPENBLAS_CORETYPE": kernel})
    assert profile(workdir) == profile(runs("x86-64-v3", "unset"))
    assert step_bytes(workdir) == step_bytes(runs("x86-64-v3", "unset"))


def test_under_native_other_kernels_get_other_profile_ids(runs):
    native = runs("native", "unset")
    assert profile(native).startswith("host-linux-64-native-")
    machines = ("unset", "Sandybridge", "numpy at x86-64-v2")
    ids = {machine: profile(runs("native", machine)) for machine in machines}
    # Each emulated machine computes with other kernels than this CPU's own choice.
    assert ids["Sandybridge"] != ids["unset"]
    assert ids["numpy at x86-64-v2"] != ids["unset"]
    assert "-sandybridge-" in ids["Sandybridge"]
    assert len(set(ids.values())) == len(ids)


def test_verify_names_the_kernel_that_differs_from_the_references(runs, tmp_path):
    blessed = runs("native", "unset")
    bless = subprocess.run(
        [sys.executable, "-m", "seedlock", "bless"], cwd=blessed, capture_output=True, text=True
    )
    assert bless.returncode == 0, bless.stderr
    (folder,) = (blessed / "references").iterdir()
    here = runs("native", "Sandybridge")
    shutil.copytree(folder, here / "references" / folder.name)
    verify = subprocess.run(
        [sys.executable, "-m", "seedlock", "verify", "--config", "tests/config/machine.yaml"],
        cwd=here,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 1, verify.stdout + verify.stderr
    lines = verify.stdout.splitlines()
    assert lines[0] == "seedlock verify: FAIL"
    start = lines.index("the environment differs from the references' in:")
    theirs = {blas["library"]: blas["kernel"] for blas in ml_kernels(blessed)["blas"]}
    for library, kernel in theirs.items():
        # Said once when every env loaded the library, else with the env's name.
        said = f"BLAS kernel ({library}): Sandybridge here, {kernel} in the references"
        assert f"  {said}" in lines or f"  env ml: {said}" in lines, verify.stdout
    assert "  variable OPENBLAS_CORETYPE: Sandybridge here, unset in the references" in lines
    # The environment's differences come before the outputs'.
    assert start < min(i for i, line in enumerate(lines) if line.startswith("outputs:"))
