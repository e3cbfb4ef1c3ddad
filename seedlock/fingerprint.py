"""What an environment is: platform, CPU, Python, installed packages, and where modules came from.

Runs inside the environment it describes (a conda env or the host venv) and imports only the
standard library at load time, so it works in the bookkeeping env, which has no numpy.
"""

import ast
import importlib
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Iterable
from pathlib import Path

from seedlock.runtime import FIXED_ENVIRONMENT, THREAD_VARIABLES

# Ordered from lowest to highest. numpy reports X86_V2..X86_V4 for what it will really dispatch
# to (NPY_DISABLE_CPU_FEATURES lowers it); the CPU flags are the fallback without numpy.
SIMD_LEVELS = ("x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4")
_X86_FLAGS = {
    "x86-64-v2": {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
    "x86-64-v3": {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"},
    "x86-64-v4": {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}


def conda_subdir() -> str:
    """The platform in conda's naming (linux-64, osx-arm64, ...), which the pin files use too."""
    system = {"Linux": "linux", "Darwin": "osx", "Windows": "win"}.get(
        platform.system(), platform.system().lower()
    )
    machine = platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "arm64": "arm64", "aarch64": "aarch64"}.get(
        machine, machine
    )
    if system == "linux" and arch == "arm64":
        arch = "aarch64"
    return f"{system}-{arch}"


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_model() -> str:
    info = _cpuinfo()
    return info.get("model name") or info.get("Model") or platform.processor() or "unknown"


def simd_level() -> str:
    """The SIMD level numerical code runs at: x86-64-v2/v3/v4, or the architecture's name."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return platform.machine().lower()
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        features = None
    if features is not None:
        level = "x86-64"
        for name, candidate in (
            ("X86_V2", "x86-64-v2"),
            ("X86_V3", "x86-64-v3"),
            ("X86_V4", "x86-64-v4"),
        ):
            if features.get(name):
                level = candidate
        return level
    flags = set(_cpuinfo().get("flags", "").split())
    level = "x86-64"
    for candidate in SIMD_LEVELS[1:]:
        if not _X86_FLAGS[candidate] <= flags:
            break
        level = candidate
    return level


def lowest_simd_level(levels: Iterable[str]) -> str:
    """The lowest of several levels: the level every step of a run computed at, at least."""
    levels = list(levels)
    known = [level for level in levels if level in SIMD_LEVELS]
    if known:
        return min(known, key=SIMD_LEVELS.index)
    return sorted(levels)[0]


def environment_mode(prefix: Path) -> str:
    return "conda" if (prefix / "conda-meta").is_dir() else "host"


def conda_packages(prefix: Path) -> list[dict]:
    """Installed packages of a conda env, from its conda-meta records."""
    packages = []
    for record_path in sorted((prefix / "conda-meta").glob("*.json")):
        record = json.loads(record_path.read_text(encoding="utf-8"))
        packages.append(
            {key: record.get(key) for key in ("name", "version", "build", "url", "md5", "sha256")}
        )
    return sorted(packages, key=lambda package: package["name"])


def host_packages() -> list[dict]:
    """Installed Python distributions of the running interpreter (the host venv)."""
    seen = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            normalised = name.lower().replace("_", "-").replace(".", "-")
            seen.setdefault(normalised, {"name": normalised, "version": distribution.version})
    return sorted(seen.values(), key=lambda package: package["name"])


def imported_modules(script_paths: Iterable[str]) -> list[str]:
    """Every module that the scripts import, anywhere in their code (including inside functions)."""
    names = set()
    for path in script_paths:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return sorted(names)


def _display_path(path: Path, prefix: Path, workflow: Path, python: Path) -> str:
    """A module's location relative to the env prefix, the workflow folder or the interpreter's
    own installation, whichever holds it most closely (a host venv lies inside the workflow
    folder), so fingerprints of one env compare equal across checkouts. Else the absolute path."""
    candidates = ((prefix, "{prefix}"), (workflow, "{workflow}"), (python, "{python}"))
    roots = [(root, label) for root, label in candidates if path.is_relative_to(root)]
    if not roots:
        return path.as_posix()
    root, label = max(roots, key=lambda item: len(item[0].parts))
    return f"{label}/{path.relative_to(root).as_posix()}"


def module_origins(modules: Iterable[str], prefix: Path, workflow: Path) -> dict[str, str]:
    """Import ``modules``, then name where every loaded top-level package came from (the
    standard library left out)."""
    for name in modules:
        importlib.import_module(name)
    origins = {}
    # A venv's interpreter and standard library live outside its prefix.
    python = Path(sys.base_prefix).resolve()
    for name, module in sorted(sys.modules.items()):
        if "." in name or name in sys.stdlib_module_names:
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue  # built into the interpreter, or a namespace package
        location = Path(file).resolve()
        folder = location.parent if location.name == "__init__.py" else location
        origins[name] = _display_path(folder, prefix.resolve(), workflow.resolve(), python)
    return origins


def blas_info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("internal_api", "version", "architecture", "threading_layer", "num_threads")
    return [{k: pool.get(k) for k in keys if k in pool} for pool in threadpool_info()]


def fingerprint(env_name: str, script_paths: Iterable[str], workflow: Path) -> dict:
    """The fingerprint of the running environment, as the steps of ``env_name`` see it."""
    prefix = Path(sys.prefix)
    mode = environment_mode(prefix)
    modules = module_origins(imported_modules(script_paths), prefix, workflow)
    variables = (*FIXED_ENVIRONMENT, *THREAD_VARIABLES)
    return {
        "env": env_name,
        "mode": mode,
        "platform": {
            "subdir": conda_subdir(),
            "system": platform.system(),
            "machine": platform.machine(),
            "libc": "-".join(platform.libc_ver()).strip("-"),
        },
        "cpu": {"model": cpu_model(), "simd_level": simd_level(), "count": os.cpu_count()},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "packages": conda_packages(prefix) if mode == "conda" else host_packages(),
        "environment_variables": {name: os.environ.get(name) for name in variables},
        "modules": modules,
        "blas": blas_info(),
    }
