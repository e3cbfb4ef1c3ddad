"""The compute baseline: which BLAS kernel and SIMD code paths every computing process runs.

The bits of a result depend on the code that computes them, and that code is chosen at run time:
OpenBLAS (a DYNAMIC_ARCH build in numpy's and scipy's wheels and in conda-forge) picks its kernel
when it loads, from the CPU or from ``OPENBLAS_CORETYPE``; numpy dispatches to SIMD paths for the
CPU features it finds; MKL has code paths of its own. Measured on this project's machines: one
AVX-512 CPU gives other bytes under OpenBLAS's SkylakeX and Haswell kernels, and numpy capped at
AVX2 changes MLP results. Under a baseline, every process that computes runs with these choices
pinned to what every CPU at or above the baseline can run, so an Intel or AMD, AVX2 or AVX-512
machine computes the same bits. ``native`` leaves them to the machine (and its environment).

The driver pins the variables once, before any job starts (``pin``); every job inherits them and,
when it ends, checks that the kernels it really loaded are the baseline's (``violations``).
The libraries read these variables once, when they load: hence only the standard library here.
"""

import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from seedlock.errors import SeedlockError

# The baseline in force, as the driver set it for every job.
BASELINE_VARIABLE = "SEEDLOCK_COMPUTE_BASELINE"
NATIVE = "native"
DEFAULT = "x86-64-v3"

# Every variable that chooses a code path at run time, recorded in each env's fingerprint and
# each job's log whether pinned or not.
KERNEL_VARIABLES = (
    BASELINE_VARIABLE,
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "NPY_DISABLE_CPU_FEATURES",
    "NPY_ENABLE_CPU_FEATURES",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "GLIBC_TUNABLES",
)
# OpenBLAS sizes no block of its Haswell kernel by the L2 cache, except that 0.3.34 resizes the
# GEMM blocks, even of a forced kernel, on AMD CPUs with AVX-512 that report 1024 KiB of L2
# (OpenBLAS issue 6021). Any fixed value other than 1024 keeps every machine out of that branch
# and still serves the VMs whose CPUs report no L2 cache, for which sites set the variable.
OPENBLAS_L2_KIB = "2048"
# glibc's tunables can switch off CPU features, and with them libm's FMA code paths (exp, log,
# pow, sin, ... give other last bits): under a baseline only the other tunables are kept.
GLIBC_CPU_TUNABLES = "glibc.cpu."

# x86-64 microarchitecture levels (the psABI's), as /proc/cpuinfo names their flags.
X86_LEVELS = ("x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4")
X86_LEVEL_FLAGS = {
    "x86-64-v2": frozenset({"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"}),
    "x86-64-v3": frozenset({"abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"}),
    "x86-64-v4": frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}),
}
# numpy's names of the CPU features each level includes (numpy 2.0-2.3 name single features,
# 2.4 and later name the levels themselves). Any dispatch target numpy builds that is not listed
# for the baseline is disabled, so features that a later numpy adds are disabled too.
_NUMPY_V2 = frozenset(
    {"MMX", "SSE", "SSE2", "SSE3", "SSSE3", "SSE41", "POPCNT", "SSE42", "LAHF", "CX16", "X86_V2"}
)
_NUMPY_V3 = _NUMPY_V2 | {"AVX", "F16C", "FMA3", "AVX2", "MOVBE", "BMI", "BMI2", "LZCNT", "X86_V3"}


@dataclass(frozen=True)
class Baseline:
    """What a baseline pins. The values are the libraries' own names for the same level."""

    name: str
    numpy_features: frozenset
    openblas_coretype: str  # OpenBLAS's kernel for this level, on any vendor's CPU
    mkl_cbwr: str  # MKL's Conditional Numerical Reproducibility branch

    @property
    def cpu_flags(self) -> frozenset:
        levels = X86_LEVELS[1 : X86_LEVELS.index(self.name) + 1]
        return frozenset().union(*(X86_LEVEL_FLAGS[level] for level in levels))


BASELINES = {
    # MKL follows MKL_CBWR=AVX2 on Intel CPUs only, and runs its own choice on others: its
    # COMPATIBLE branch is the one documented to give the same results on every vendor's CPU.
    "x86-64-v3": Baseline("x86-64-v3", _NUMPY_V3, "Haswell", "COMPATIBLE"),
}
# For each baseline, code paths below it that every CPU at the baseline runs too (OpenBLAS's AVX
# kernel without FMA, numpy at x86-64-v2): the probe's varied run sets them from outside, to show
# that the workflow's pins win.
BELOW = {"x86-64-v3": Baseline("x86-64-v2", _NUMPY_V2, "Sandybridge", "AVX")}


def is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def cpuinfo_field(*names: str) -> str | None:
    """The first of these fields of the first processor in /proc/cpuinfo, or None where there is
    no such file or field."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in names:
            return value.strip()
    return None


def cpu_flags() -> frozenset | None:
    """The CPU's feature flags from /proc/cpuinfo, or None where there is no such file."""
    flags = cpuinfo_field("flags")
    return None if flags is None else frozenset(flags.split())


def cpu_level(flags: frozenset) -> str:
    """The highest x86-64 level whose flags the CPU has."""
    level = X86_LEVELS[0]
    for candidate in X86_LEVELS[1:]:
        if not X86_LEVEL_FLAGS[candidate] <= flags:
            break
        level = candidate
    return level


def numpy_dispatch_targets(source: str) -> list[str]:
    """The SIMD targets the installed numpy was built to dispatch to (whether or not this CPU
    has them); importing numpy for this is fine in the driver, which computes nothing."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:
        raise SeedlockError(
            f"{source}: compute_baseline: numpy is not installed where Snakemake runs, so its "
            "SIMD targets cannot be capped; install the driver environment (environment.yml)"
        ) from None
    return list(__cpu_dispatch__)


def other_tunables(tunables: str | None) -> str | None:
    """GLIBC_TUNABLES without its CPU tunables (None when nothing is left)."""
    kept = [t for t in (tunables or "").split(":") if t and not t.startswith(GLIBC_CPU_TUNABLES)]
    return ":".join(kept) or None


def pinned_variables(
    baseline: Baseline, dispatch_targets: list[str], environ: Mapping[str, str] = os.environ
) -> dict[str, str | None]:
    """The variables every computing process gets under ``baseline``; None means unset."""
    above = [name for name in dispatch_targets if name not in baseline.numpy_features]
    return {
        BASELINE_VARIABLE: baseline.name,
        "OPENBLAS_CORETYPE": baseline.openblas_coretype,
        "OPENBLAS_L2_SIZE": OPENBLAS_L2_KIB,
        "NPY_DISABLE_CPU_FEATURES": " ".join(above),
        # numpy refuses to start when both are set, and the cap above replaces it.
        "NPY_ENABLE_CPU_FEATURES": None,
        "MKL_CBWR": baseline.mkl_cbwr,
        # Under a CBWR branch MKL's instruction set is the branch's.
        "MKL_ENABLE_INSTRUCTIONS": None,
        "GLIBC_TUNABLES": other_tunables(environ.get("GLIBC_TUNABLES")),
    }


def missing_cpu_flags(baseline: Baseline, flags: frozenset) -> list[str]:
    return sorted(baseline.cpu_flags - flags)


def plan(name: str, source: str) -> tuple[dict[str, str | None], list[str]]:
    """The variables to set for the config's ``compute_baseline`` and notes for the user.

    A CPU below the baseline is a user error: its kernels cannot run there.
    """
    if name == NATIVE:
        return {BASELINE_VARIABLE: NATIVE}, []
    if not is_x86():
        return {BASELINE_VARIABLE: NATIVE}, [
            f"{source}: compute_baseline: {name} applies to x86-64 CPUs; on "
            f"{platform.machine()} the kernels are the machine's own and the profile names them"
        ]
    baseline = BASELINES[name]
    flags = cpu_flags()
    if flags is not None:
        missing = missing_cpu_flags(baseline, flags)
        if missing:
            raise SeedlockError(
                f"{source}: compute_baseline: this CPU ({cpu_level(flags)}) lacks "
                f"{', '.join(missing)} of {name}; set compute_baseline: native (results, and "
                "so references, are then this machine's own)"
            )
    return pinned_variables(baseline, numpy_dispatch_targets(source), os.environ), []


def apply(variables: Mapping[str, str | None], environ=os.environ) -> None:
    for name, value in variables.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value


def baseline_in_force(environ=os.environ) -> str:
    return environ.get(BASELINE_VARIABLE) or NATIVE


def kernels_in_use(environ=os.environ) -> dict:
    """The BLAS libraries loaded in this process with the kernel each picked, and the SIMD
    targets numpy dispatches to. numpy is not imported here: only what the process loaded."""
    blas = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = list  # no numerical libraries in this env
    for pool in threadpool_info():
        if pool.get("user_api") != "blas":
            continue
        # Named by its folder and file: numpy's and scipy's OpenBLAS share a prefix.
        location = Path(pool.get("filepath") or pool.get("prefix") or "unknown")
        entry = {
            "library": f"{location.parent.name}/{location.name}",
            "implementation": pool.get("internal_api"),
            "version": pool.get("version"),
            "kernel": pool.get("architecture"),
        }
        if entry["implementation"] == "mkl":
            entry["kernel"] = f"MKL_CBWR={environ.get('MKL_CBWR') or 'unset'}"
        blas.append(entry)
    numpy = {}
    if "numpy" in sys.modules:
        from numpy._core._multiarray_umath import (
            __cpu_baseline__,
            __cpu_dispatch__,
            __cpu_features__,
        )

        numpy = {
            "baseline": list(__cpu_baseline__),
            "dispatch": [name for name in __cpu_dispatch__ if __cpu_features__.get(name)],
        }
    return {
        "baseline": baseline_in_force(environ),
        "blas": sorted(blas, key=lambda entry: (entry["library"] or "", entry["version"] or "")),
        "numpy": numpy,
        # Read by the dynamic loader when this process started: what libm chose from.
        "glibc_cpu_tunables": [
            t
            for t in (environ.get("GLIBC_TUNABLES") or "").split(":")
            if t.startswith(GLIBC_CPU_TUNABLES)
        ],
    }


def violations(kernels: Mapping) -> list[str]:
    """Why the kernels in use are not the baseline's; empty under native or when they are."""
    baseline = BASELINES.get(kernels["baseline"])
    if baseline is None:
        return []
    problems = []
    for entry in kernels["blas"]:
        library = f"{entry['implementation']} ({entry['library']} {entry['version']})"
        if entry["implementation"] == "openblas":
            if (entry["kernel"] or "").lower() != baseline.openblas_coretype.lower():
                problems.append(
                    f"{library} runs its {entry['kernel']} kernel, not the "
                    f"{baseline.openblas_coretype} kernel of {baseline.name}: "
                    "OPENBLAS_CORETYPE was not set when it loaded"
                )
        elif entry["implementation"] == "mkl":
            if entry["kernel"] != f"MKL_CBWR={baseline.mkl_cbwr}":
                problems.append(
                    f"{library} runs with {entry['kernel']}, not MKL_CBWR={baseline.mkl_cbwr}"
                )
        else:
            problems.append(
                f"{library}: seedlock cannot pin this BLAS to {baseline.name}; set "
                "compute_baseline: native, or use OpenBLAS or MKL"
            )
    above = [
        name for name in kernels["numpy"].get("dispatch", []) if name not in baseline.numpy_features
    ]
    if kernels.get("glibc_cpu_tunables"):
        problems.append(
            f"GLIBC_TUNABLES sets {':'.join(kernels['glibc_cpu_tunables'])}, which can switch "
            f"libm off the code paths of {baseline.name}"
        )
    if above:
        problems.append(
            f"numpy dispatches to {' '.join(above)}, above {baseline.name}: "
            "NPY_DISABLE_CPU_FEATURES did not cover them when numpy loaded"
        )
    return problems


def describe(kernels: Mapping) -> str:
    """One line for a job's log: the baseline and the code paths really in use."""
    blas = (
        ", ".join(f"{e['library']} {e['version']} {e['kernel']}" for e in kernels["blas"])
        or "none loaded"
    )
    numpy = kernels["numpy"]
    dispatch = (" ".join(numpy["dispatch"]) or "none") if numpy else "not loaded"
    return f"compute baseline {kernels['baseline']}; BLAS: {blas}; numpy dispatch: {dispatch}"
