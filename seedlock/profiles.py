"""Reference profiles: which environment made a set of references, and the references on disk.

A profile id is mode + platform + what computes + a digest of the software in force (the locks,
the Python minor version, the C library and zlib), e.g.
``host-linux-64-x86-64-v3-1a2b3c4d5e6f``. What computes is the compute baseline the kernels were
pinned to, or under ``native`` the kernels themselves (``native-haswell-x86_v3-0a1b2c3d``): two
runs with the same id compute the same bits, two runs that compute differently get other ids. The
CPU's own SIMD level is only recorded, in the fingerprints: under a baseline it does not matter.
``references/<profile>/`` holds ``checksums.sha256``, ``values/`` (copies of small outputs) and
``provenance.json``.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from seedlock.checksums import Entry, read_manifest
from seedlock.compute import NATIVE, violations
from seedlock.errors import ManifestError
from seedlock.steps import StepGraph

REFERENCES = "references"
CHECKSUMS = "checksums.sha256"
VALUES = "values"
PROVENANCE = "provenance.json"
PROVENANCE_SCHEMA = Path(__file__).resolve().parent / "schemas" / "provenance.schema.yaml"
HOST_LOCK = "requirements.lock"
# 2: the profile id names what computes (compute baseline or kernels), fingerprints kept whole.
PROVENANCE_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class ProfileKey:
    mode: str
    platform: str
    compute: str
    environment_digest: str

    @property
    def id(self) -> str:
        return f"{self.mode}-{self.platform}-{self.compute}-{self.environment_digest[:12]}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_digest(value) -> str:
    """sha256 of a JSON value in canonical form: the same data gives the same digest anywhere."""
    return sha256_text(json.dumps(value, sort_keys=True, separators=(",", ":")))


def lock_files(root: Path, mode: str, platform: str, env_names) -> list[Path]:
    """The lock files that define the environment: the hashed PyPI lock in host mode; each env's
    pin file for this platform in conda mode (its spec until a pin exists)."""
    if mode == "host":
        return [root / HOST_LOCK]
    files = []
    for name in sorted(env_names):
        pin = root / "envs" / f"{name}.{platform}.pin.txt"
        files.append(pin if pin.is_file() else root / "envs" / f"{name}.yaml")
    return files


def system_libraries(fingerprints: Mapping[str, dict]) -> str:
    """The system libraries that no lock pins and that change bits: the C library (conda envs
    and venvs alike call its libm, and glibc releases change exp, log, pow, ...) and zlib."""
    return canonical_digest(
        {
            name: [fp["platform"].get("libc", ""), fp["platform"].get("zlib", "")]
            for name, fp in fingerprints.items()
        }
    )


def environment_digest(
    root: Path, mode: str, platform: str, python_version: str, system: str, env_names
) -> str:
    """sha256 over the lock files in force, the Python minor version (one PyPI lock resolves
    differently for different Pythons) and the system libraries (``system_libraries``)."""
    digest = hashlib.sha256()
    python = ".".join(python_version.split(".")[:2])
    digest.update(f"{mode}\npython {python}\nsystem {system}\n".encode())
    for path in lock_files(root, mode, platform, env_names):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(absent)")
    return digest.hexdigest()


def native_compute(kernels: list[Mapping]) -> str:
    """``native-<BLAS kernels>-<numpy's highest SIMD target>-<digest>``: readable, and the digest
    covers every BLAS library's implementation, version and kernel, and numpy's dispatch set."""
    described = sorted(
        json.dumps({"blas": k["blas"], "numpy": k["numpy"]}, sort_keys=True) for k in kernels
    )
    blas = {
        "mkl" if entry["implementation"] == "mkl" else entry["kernel"] or entry["implementation"]
        for k in kernels
        for entry in k["blas"]
    }
    # numpy lists its targets from lowest to highest.
    highest = {k["numpy"]["dispatch"][-1] for k in kernels if k["numpy"].get("dispatch")}
    readable = f"{'.'.join(sorted(blas)) or 'noblas'}-{'.'.join(sorted(highest)) or 'nodispatch'}"
    readable = re.sub(r"[^a-z0-9._-]", "_", readable.lower())
    return f"{NATIVE}-{readable}-{sha256_text(chr(10).join(described))[:8]}"


def compute_of(fingerprints: Mapping[str, dict]) -> str:
    """The baseline every env computed under, if they all kept to it; else their kernels."""
    kernels = [fingerprints[name]["compute"] for name in sorted(fingerprints)]
    baselines = {k["baseline"] for k in kernels}
    kept = not any(violations(k) for k in kernels)
    if len(baselines) == 1 and NATIVE not in baselines and kept:
        return baselines.pop()
    return native_compute(kernels)


def profile_of(root: Path, fingerprints: Mapping[str, dict]) -> ProfileKey:
    """The profile of a run, from the fingerprints of its environments."""
    first = fingerprints[sorted(fingerprints)[0]]
    modes = {fp["mode"] for fp in fingerprints.values()}
    mode = "conda" if "conda" in modes else "host"
    platform = first["platform"]["subdir"]
    python = first["python"]["version"]
    return ProfileKey(
        mode,
        platform,
        compute_of(fingerprints),
        environment_digest(
            root, mode, platform, python, system_libraries(fingerprints), fingerprints
        ),
    )


def _provenance_validator():
    with open(PROVENANCE_SCHEMA, encoding="utf-8") as handle:
        return jsonschema.Draft202012Validator(yaml.safe_load(handle))


def validate_provenance(provenance, source: str) -> dict:
    version = provenance.get("schema_version") if isinstance(provenance, dict) else None
    if isinstance(version, int) and version < PROVENANCE_SCHEMA_VERSION:
        raise ManifestError(
            f"{source}: schema_version {version}: written by an older seedlock, whose profile "
            "ids did not name the compute kernels; rerun the workflow and bless again"
        )
    error = jsonschema.exceptions.best_match(_provenance_validator().iter_errors(provenance))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ManifestError(f"{source}: {where}: {error.message}")
    return provenance


def read_provenance(path: Path) -> dict:
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(f"{path}: cannot read: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: not valid JSON ({error}); restore it from git") from None
    provenance = validate_provenance(provenance, str(path))
    if provenance["profile"] != path.parent.name:
        raise ManifestError(
            f"{path}: profile: {provenance['profile']!r} does not match its folder "
            f"{path.parent.name!r}"
        )
    return provenance


@dataclass
class Reference:
    """One profile's references, validated on reading."""

    folder: Path
    provenance: dict
    entries: dict[str, Entry]

    @property
    def id(self) -> str:
        return self.provenance["profile"]

    @property
    def key(self) -> ProfileKey:
        p = self.provenance
        return ProfileKey(p["mode"], p["platform"], p["compute"], p["environment_digest"])

    @property
    def graph(self) -> StepGraph:
        """The steps and their upstream steps as the blessed run recorded them; references
        blessed before the graph was recorded name their steps only."""
        recorded = self.provenance.get("step_graph")
        if isinstance(recorded, Mapping):
            return StepGraph.from_dict(recorded)
        return StepGraph({step: () for step in self.provenance.get("steps", [])})

    def content(self, path: str) -> bytes | None:
        """The kept copy of an output (small ones only), or None."""
        copy = self.folder / VALUES / path
        return copy.read_bytes() if copy.is_file() else None


def read_reference(folder: Path) -> Reference:
    provenance = read_provenance(folder / PROVENANCE)
    entries = read_manifest(folder / CHECKSUMS)
    return Reference(folder, provenance, entries)


def reference_folders(root: Path) -> list[Path]:
    base = root / REFERENCES
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def closeness(key: ProfileKey, other: ProfileKey) -> tuple:
    """How close another profile is: same platform first, then what computes, mode and locks."""
    return (
        key.platform == other.platform,
        key.compute == other.compute,
        key.mode == other.mode,
        key.environment_digest == other.environment_digest,
    )


def select_reference(root: Path, key: ProfileKey) -> tuple[Reference | None, bool]:
    """The reference of this profile (exact=True), else the closest one (exact=False), else None."""
    folders = reference_folders(root)
    exact = root / REFERENCES / key.id
    if exact in folders:
        return read_reference(exact), True
    if not folders:
        return None, False
    references = [read_reference(folder) for folder in folders]
    best = max(references, key=lambda reference: (closeness(key, reference.key), reference.id))
    return best, False


def differing_fields(key: ProfileKey, other: ProfileKey) -> list[str]:
    names = ("mode", "platform", "compute", "environment_digest")
    return [name for name in names if getattr(key, name) != getattr(other, name)]
