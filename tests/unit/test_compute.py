"""The compute baseline: the variables it pins, the check of the kernels a process really loaded,
and the profile id that names what computes."""

import json
import os
import subprocess
import sys

import pytest

from seedlock import compute
from seedlock.errors import SeedlockError
from seedlock.profiles import compute_of
from tests.conftest import REPO

V3 = compute.BASELINES["x86-64-v3"]
# numpy 2.4's dispatch targets on x86-64, and numpy 2.0's, which named single features.
NUMPY_24 = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
NUMPY_20 = ["SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2", "AVX512F",
            "AVX512CD", "AVX512_KNL", "AVX512_KNM", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL",
            "AVX512_ICL", "AVX512_SPR"]  # fmt: skip


def kernels(
    baseline="x86-64-v3", kernel="Haswell", dispatch=("X86_V3",), implementation="openblas"
):
    return {
        "baseline": baseline,
        "blas": [
            {
                "library": "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
                "implementation": implementation,
                "version": "0.3.31",
                "kernel": kernel,
            }
        ],
        "numpy": {"baseline": ["X86_V2"], "dispatch": list(dispatch)},
    }


def test_numpy_is_capped_at_the_baseline_whatever_its_names():
    assert compute.pinned_variables(V3, NUMPY_24)["NPY_DISABLE_CPU_FEATURES"] == (
        "X86_V4 AVX512_ICL AVX512_SPR"
    )
    disabled = compute.pinned_variables(V3, NUMPY_20)["NPY_DISABLE_CPU_FEATURES"].split()
    assert disabled == [name for name in NUMPY_20 if name.startswith("AVX512")]
    # A target a later numpy adds is above the baseline until the baseline names it.
    assert compute.pinned_variables(V3, ["X86_V3", "AVX10_2"])["NPY_DISABLE_CPU_FEATURES"] == (
        "AVX10_2"
    )


def test_the_pins_name_every_library_and_unset_what_would_override_them():
    outer = {
        "NPY_ENABLE_CPU_FEATURES": "X86_V3",
        "OPENBLAS_CORETYPE": "SkylakeX",
        "OPENBLAS_L2_SIZE": "1024",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
        "GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.cpu.hwcaps=-AVX2,-FMA",
    }
    variables = compute.pinned_variables(V3, NUMPY_24, outer)
    assert variables[compute.BASELINE_VARIABLE] == "x86-64-v3"
    assert variables["OPENBLAS_CORETYPE"] == "Haswell"
    # 1024 KiB would let OpenBLAS 0.3.34 resize the blocks of a forced kernel on some AMD CPUs.
    assert variables["OPENBLAS_L2_SIZE"] == "2048"
    assert variables["MKL_CBWR"] == "COMPATIBLE"
    # Only glibc's CPU tunables go: they can switch libm off its FMA code paths.
    assert variables["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2"
    compute.apply(variables, outer)
    assert "NPY_ENABLE_CPU_FEATURES" not in outer and "MKL_ENABLE_INSTRUCTIONS" not in outer
    assert outer["OPENBLAS_CORETYPE"] == "Haswell"
    assert compute.other_tunables("glibc.cpu.hwcaps=-AVX2") is None


@pytest.mark.skipif(not compute.is_x86(), reason="the x86-64-v3 baseline pins x86-64 kernels")
def test_a_process_started_with_the_pins_loads_the_baseline_kernels():
    """Real numpy and scipy, loaded under the pins, whatever the outer environment says."""
    variables, notes = compute.plan("x86-64-v3", "config.yaml")
    assert notes == []
    environ = {**os.environ, "OPENBLAS_CORETYPE": "Sandybridge", "PYTHONPATH": str(REPO)}
    compute.apply(variables, environ)
    code = (
        "import json, numpy, scipy.linalg\n"
        "from seedlock.compute import kernels_in_use\n"
        "print(json.dumps(kernels_in_use()))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    loaded = json.loads(completed.stdout)
    assert loaded["baseline"] == "x86-64-v3"
    assert len(loaded["blas"]) >= 2  # numpy's OpenBLAS and scipy's
    assert {entry["kernel"] for entry in loaded["blas"]} == {"Haswell"}
    assert set(loaded["numpy"]["dispatch"]) <= V3.numpy_features
    assert compute.violations(loaded) == []


def test_kernels_that_escaped_the_pins_are_named():
    assert compute.violations(kernels()) == []
    (problem,) = compute.violations(kernels(kernel="SkylakeX"))
    assert "runs its SkylakeX kernel, not the Haswell kernel of x86-64-v3" in problem
    assert "OPENBLAS_CORETYPE" in problem
    (problem,) = compute.violations(kernels(dispatch=("X86_V3", "X86_V4")))
    assert problem.startswith("numpy dispatches to X86_V4, above x86-64-v3")
    (problem,) = compute.violations(kernels(kernel="MKL_CBWR=unset", implementation="mkl"))
    assert "not MKL_CBWR=COMPATIBLE" in problem
    libm = {**kernels(), "glibc_cpu_tunables": ["glibc.cpu.hwcaps=-FMA"]}
    (problem,) = compute.violations(libm)
    assert problem.startswith("GLIBC_TUNABLES sets glibc.cpu.hwcaps=-FMA")
    (problem,) = compute.violations(kernels(kernel="skx", implementation="blis"))
    assert "cannot pin this BLAS" in problem and "compute_baseline: native" in problem
    assert compute.violations(kernels(baseline="native", kernel="SkylakeX")) == []


def test_a_cpu_below_the_baseline_stops_with_one_line(monkeypatch):
    v2_flags = compute.X86_LEVEL_FLAGS["x86-64-v2"] | {"avx", "fpu"}
    assert compute.cpu_level(v2_flags) == "x86-64-v2"
    monkeypatch.setattr(compute, "cpu_flags", lambda: v2_flags)
    monkeypatch.setattr(compute, "is_x86", lambda: True)
    with pytest.raises(SeedlockError) as error:
        compute.plan("x86-64-v3", "my.yaml")
    message = str(error.value)
    assert message.startswith("my.yaml: compute_baseline: this CPU (x86-64-v2) lacks abm, avx2")
    assert "set compute_baseline: native" in message and "\n" not in message


def test_native_and_other_architectures_pin_nothing(monkeypatch):
    assert compute.plan("native", "c.yaml") == ({compute.BASELINE_VARIABLE: "native"}, [])
    monkeypatch.setattr(compute, "is_x86", lambda: False)
    variables, (note,) = compute.plan("x86-64-v3", "c.yaml")
    assert variables == {compute.BASELINE_VARIABLE: "native"}
    assert "applies to x86-64 CPUs" in note


def fingerprints(**ml):
    """A bookkeeping env that loads no numerical library, and an ml env."""
    ml_kernels = kernels(**ml)
    base = {"baseline": ml_kernels["baseline"], "blas": [], "numpy": {}}
    return {"base": {"compute": base}, "ml": {"compute": ml_kernels}}


def test_profile_names_the_baseline_or_else_the_kernels():
    assert compute_of(fingerprints()) == "x86-64-v3"
    # Under native, the id is the kernels: the same kernels give the same id, others another.
    native = compute_of(fingerprints(baseline="native"))
    assert native.startswith("native-haswell-x86_v3-")
    assert compute_of(fingerprints(baseline="native")) == native
    skylake = compute_of(fingerprints(baseline="native", kernel="SkylakeX", dispatch=NUMPY_24))
    assert skylake.startswith("native-skylakex-avx512_spr-") and skylake != native
    capped = compute_of(fingerprints(baseline="native", dispatch=()))
    assert capped.startswith("native-haswell-nodispatch-")
    # A run that claims the baseline but escaped it is not given the baseline's id.
    assert compute_of(fingerprints(kernel="SkylakeX")).startswith("native-skylakex-")
