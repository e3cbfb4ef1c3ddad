"""Environment audit: was each env built from its lock, and did its steps import only from it?

Snakemake falls back to solving the unpinned spec, with only a warning, when a pin file fails;
and its python ``script:`` preamble appends the driver's whole ``sys.path`` to the step's, so a
package missing from a step env is silently imported from the driver. Both show up here: the
first as packages that differ from the pin, the second as modules loaded from outside the env.
"""

from collections.abc import Mapping
from pathlib import Path

from seedlock.profiles import HOST_LOCK

# Installed in every venv by its creation, or the project itself: never in the hashed lock.
HOST_UNLOCKED = {"pip", "seedlock"}
# Where a step may import from: its env, the workflow's own folders, the interpreter's stdlib,
# the seedlock package whose rules the workflow includes.
ALLOWED_ORIGINS = ("{prefix}/", "{workflow}/", "{python}/", "{toolchain}/")


def _package_name(url: str) -> str:
    """``numpy`` from ``.../numpy-2.5.1-py313h...conda``."""
    filename = url.rsplit("/", 1)[-1]
    for suffix in (".conda", ".tar.bz2"):
        filename = filename.removesuffix(suffix)
    return filename.rsplit("-", 2)[0]


def read_pin(path: Path) -> dict[str, str]:
    """Package name -> URL of an explicit pin file (``url#hash`` lines after ``@EXPLICIT``)."""
    packages = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("@"):
            continue
        url = line.split("#", 1)[0]
        packages[_package_name(url)] = url
    return packages


def read_host_lock(path: Path) -> dict[str, str]:
    """Package name -> version of the hashed PyPI lock, for this interpreter (markers applied)."""
    from packaging.markers import Marker

    packages = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-":
            continue
        requirement = line.rstrip("\\").strip()
        requirement, _, marker = requirement.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = requirement.strip().partition("==")
        packages[name.strip().lower()] = version.strip()
    return packages


def _compare(
    env: str, expected: Mapping[str, str], installed: Mapping[str, str], lock_name: str
) -> list[str]:
    missing = sorted(set(expected) - set(installed))
    extra = sorted(set(installed) - set(expected))
    different = sorted(n for n in set(expected) & set(installed) if expected[n] != installed[n])
    if not (missing or extra or different):
        return []
    parts = []
    for label, names in (("missing", missing), ("extra", extra), ("different", different)):
        if names:
            shown = ", ".join(
                f"{n} ({installed[n]} instead of {expected[n]})" if label == "different" else n
                for n in names[:8]
            )
            parts.append(
                f"{label}: {shown}" + (f" and {len(names) - 8} more" if len(names) > 8 else "")
            )
    return [f"env {env} was not built from its lock {lock_name}: " + "; ".join(parts)]


def audit_packages(root: Path, fingerprint: Mapping) -> list[str]:
    env = fingerprint["env"]
    if fingerprint["mode"] == "conda":
        pin = root / "envs" / f"{env}.{fingerprint['platform']['subdir']}.pin.txt"
        if not pin.is_file():
            return [f"env {env}: {pin.relative_to(root)} does not exist; run: seedlock lock {env}"]
        installed = {p["name"]: p.get("url") or "" for p in fingerprint["packages"]}
        return _compare(env, read_pin(pin), installed, str(pin.relative_to(root)))
    lock = root / HOST_LOCK
    installed = {
        p["name"]: p["version"] for p in fingerprint["packages"] if p["name"] not in HOST_UNLOCKED
    }
    return _compare(env, read_host_lock(lock), installed, HOST_LOCK)


def import_leaks(fingerprint: Mapping) -> list[str]:
    return [
        f"env {fingerprint['env']}: module {module} was imported from {origin}, outside the env "
        "and the workflow (a package missing from the env, taken from the driver's sys.path?)"
        for module, origin in sorted(fingerprint["modules"].items())
        if not origin.startswith(ALLOWED_ORIGINS)
    ]


def audit(root: Path, fingerprints: Mapping[str, Mapping]) -> list[str]:
    """One line per problem, over every env's fingerprint."""
    problems = []
    for name in sorted(fingerprints):
        problems += audit_packages(root, fingerprints[name])
        problems += import_leaks(fingerprints[name])
    return problems
