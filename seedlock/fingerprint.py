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

from seedlock.compute import (
    KERNEL_VARIABLES,
    cpu_flags,
    cpu_level,
    cpuinfo_field,
    is_x86,
    kernels_in_use,
)
from seedlock.runtime import FIXED_ENVIRONMENT, THREAD_VARIABLES


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


def cpu_model() -> str:
    return cpuinfo_field("model name", "Model") or platform.processor() or "unknown"


def simd_level() -> str:
    """What the CPU could run, from its flags: x86-64-v2/v3/v4, or the architecture's name.
    What the libraries really run is in the fingerprint's ``compute`` section."""
    if not is_x86():
        return platform.machine().lower()
    flags = cpu_flags()
    return cpu_level(flags) if flags is not None else "unknown"


def zlib_versions() -> str:
    """The zlib that compresses the PNG figures, which no lock pins in host mode: Python's and
    Pillow's wheels both load the system's libz, and zlib and zlib-ng (Fedora's libz) write
    other bytes. Pillow is looked for only in the envs that have it."""
    import zlib

    versions = [f"python {zlib.ZLIB_RUNTIME_VERSION}"]
    try:
        from PIL import _imaging
    except ImportError:
        return versions[0]
    return ", ".join([*versions, f"pillow {_imaging.zlib_version}"])


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


# The seedlock package itself: a workflow that includes its rules from an installation elsewhere
# (another checkout, an editable install) imports it from there.
TOOLCHAIN = Path(__file__).resolve().parent


def _display_path(path: Path, prefix: Path, workflow: Path, python: Path) -> str:
    """A module's location relative to the env prefix, the workflow folder, the interpreter's
    own installation or seedlock's own folder, whichever holds it most closely (a host venv lies
    inside the workflow folder), so fingerprints of one env compare equal across checkouts.
    Else the absolute path."""
    candidates = ((prefix, "{prefix}"), (workflow, "{workflow}"), (python, "{python}"))
    if not TOOLCHAIN.is_relative_to(workflow):
        candidates += ((TOOLCHAIN, "{toolchain}"),)
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


def fingerprint(env_name: str, script_paths: Iterable[str], workflow: Path) -> dict:
    """The fingerprint of the running environment, as the steps of ``env_name`` see it."""
    prefix = Path(sys.prefix)
    mode = environment_mode(prefix)
    modules = module_origins(imported_modules(script_paths), prefix, workflow)
    variables = (*FIXED_ENVIRONMENT, *THREAD_VARIABLES, *KERNEL_VARIABLES)
    return {
        "env": env_name,
        "mode": mode,
        "platform": {
            "subdir": conda_subdir(),
            "system": platform.system(),
            "machine": platform.machine(),
            "libc": "-".join(platform.libc_ver()).strip("-"),
            "zlib": zlib_versions(),
        },
        "cpu": {"model": cpu_model(), "simd_level": simd_level(), "count": os.cpu_count()},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "packages": conda_packages(prefix) if mode == "conda" else host_packages(),
        "environment_variables": {name: os.environ.get(name) for name in variables},
        "modules": modules,
        "compute": kernels_in_use(),
    }
