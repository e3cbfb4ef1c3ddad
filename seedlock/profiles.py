"""Reference profiles: which environment made a set of references, and the references on disk.

A profile id is mode + platform + what computes + a digest of the software in force (the locks,
the Python minor version, the C library and zlib), e.g.
``host-linux-64-x86-64-v3-1a2b3c4d5e6f``. What computes is the compute baseline the kernels were
pinned to, or under ``native`` the kernels themselves (``native-haswell-x86_v3-0a1b2c3d``): two
runs with the same id compute the same bits, two runs that compute differently get other ids. The
CPU's own SIMD level is only recorded, in the fingerprints: under a baseline it does not matter.
References are kept per config and profile: ``references/<config>/<profile>/`` holds
``checksums.sha256``, ``values/`` (copies of small outputs) and ``provenance.json``. The config
folder is named ``<name>-<first 12 digits of config_sha256>``, the name taken from the config
file: a run finds its references by the digest of the config it ran with, so two configs never
share references and bless never writes into another config's.

References are evidence only if nothing in them was edited by hand: provenance records the
manifest's digest and everything it derives from the fingerprints, and reading a profile checks
both (``check_consistency``); a value copy is used only when its hash is the manifest's, and no
symbolic link in a profile is followed.
"""

import functools
import hashlib
import json
import os
import platform as python_platform
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from seedlock.checksums import Entry, file_sha256, parse_manifest_bytes
from seedlock.compute import NATIVE, violations
from seedlock.errors import ManifestError
from seedlock.steps import StepGraph

REFERENCES = "references"
CHECKSUMS = "checksums.sha256"
VALUES = "values"
PROVENANCE = "provenance.json"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
PROVENANCE_SCHEMA = SCHEMAS / "provenance.schema.yaml"
RUN_RECORD_SCHEMA = SCHEMAS / "run_record.schema.yaml"
HOST_LOCK = "requirements.lock"
# 2: the profile id names what computes (compute baseline or kernels), fingerprints kept whole.
# 3: the manifest's digest is recorded; config_sha256 leaves out the verify section.
PROVENANCE_SCHEMA_VERSION = 3
# How many hex digits of the config's sha256 name its folder under references/.
CONFIG_DIGITS = 12
TOOLS = ("numpy", "pandas", "scikit-learn", "scipy", "matplotlib", "snakemake", "threadpoolctl")


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
    """The profile of a run, from the fingerprints of its environments (mode, platform and
    compute derived as bless records them in provenance)."""
    derived = derived_provenance(fingerprints)
    mode, platform = derived["mode"], derived["platform"]
    python = fingerprints[sorted(fingerprints)[0]]["python"]["version"]
    return ProfileKey(
        mode,
        platform,
        derived["compute"],
        environment_digest(
            root, mode, platform, python, system_libraries(fingerprints), fingerprints
        ),
    )


def tool_versions(fingerprints: Mapping[str, dict]) -> dict[str, str]:
    """Versions of Python and the key packages, as provenance records them."""
    versions = {"python": python_platform.python_version()}
    for fingerprint in fingerprints.values():
        versions["python"] = fingerprint["python"]["version"]
        for package in fingerprint["packages"]:
            name = package["name"].replace("matplotlib-base", "matplotlib")
            if name in TOOLS:
                versions[name] = package["version"]
    return dict(sorted(versions.items()))


def derived_provenance(fingerprints: Mapping[str, dict]) -> dict:
    """The provenance fields that follow from the fingerprints: bless writes them, reading a
    profile recomputes them, so that an edit to either is found."""
    first = fingerprints[sorted(fingerprints)[0]]
    return {
        "compute": compute_of(fingerprints),
        "mode": "conda" if any(fp["mode"] == "conda" for fp in fingerprints.values()) else "host",
        "platform": first["platform"]["subdir"],
        "cpu": {"model": first["cpu"]["model"], "simd_level": first["cpu"]["simd_level"]},
        "job_environment": {
            name: fingerprint["environment_variables"] for name, fingerprint in fingerprints.items()
        },
        "tools": tool_versions(fingerprints),
    }


def blessed_steps(graph: StepGraph, paths) -> list[str]:
    """The steps, in DAG order, that own at least one of ``paths``."""
    owners = {graph.step_of(path) for path in paths}
    return [step for step in graph.steps if step in owners]


def check_consistency(folder: Path, provenance: dict, manifest: bytes, entries) -> None:
    """Cross-check a profile's provenance with its folder, its manifest and its fingerprints;
    a ``ManifestError`` names the first field that disagrees."""
    source = folder / PROVENANCE
    restore = f"restore {folder} from version control, or bless again"

    def disagree(field, recorded, expected):
        raise ManifestError(
            f"{source}: {field}: {recorded!r} disagrees with {expected!r}; {restore}"
        )

    key = ProfileKey(
        provenance["mode"],
        provenance["platform"],
        provenance["compute"],
        provenance["environment_digest"],
    )
    if provenance["profile"] != key.id:
        disagree(
            "profile",
            provenance["profile"],
            f"{key.id} (from mode, platform, compute, environment_digest)",
        )
    try:
        derived = derived_provenance(provenance["fingerprints"])
    except (KeyError, TypeError, IndexError, ValueError) as error:
        raise ManifestError(f"{source}: fingerprints: incomplete ({error!r}); {restore}") from None
    for field, expected in derived.items():
        if provenance[field] != expected:
            disagree(field, provenance[field], f"{expected} (from fingerprints)")
    recorded = provenance["manifest"]
    digest = hashlib.sha256(manifest).hexdigest()
    if recorded["sha256"] != digest or recorded["outputs"] != len(entries):
        raise ManifestError(
            f"{folder / CHECKSUMS}: its sha256 {digest[:16]}… and {len(entries)} entries are not "
            f"what bless recorded in {PROVENANCE} ({recorded['sha256'][:16]}…, "
            f"{recorded['outputs']} entries): the manifest was edited; {restore}"
        )
    graph = graph_of(provenance)
    orphans = sorted(path for path in entries if graph.step_of(path) is None)
    if orphans:
        raise ManifestError(
            f"{folder / CHECKSUMS}: {orphans[0]} belongs to no step in {PROVENANCE}'s "
            f"step_graph; {restore}"
        )
    expected_steps = blessed_steps(graph, entries)
    if provenance["steps"] != expected_steps:
        disagree("steps", provenance["steps"], f"{expected_steps} (from the manifest)")
    if config_digest_of(folder.parent) != provenance["config_sha256"][:CONFIG_DIGITS]:
        disagree(
            "config_sha256",
            provenance["config_sha256"],
            f"the config its folder {folder.parent.name} is named for",
        )


def graph_of(provenance: Mapping) -> StepGraph:
    return StepGraph.from_dict(provenance["step_graph"])


@functools.cache
def _validator(schema: Path, definition: str | None = None):
    with open(schema, encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if definition:
        loaded = {**loaded["$defs"][definition], "$defs": loaded["$defs"]}
    return jsonschema.Draft202012Validator(loaded)


def _check(value, validator, source: str, fix: str) -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ManifestError(f"{source}: {where}: {error.message[:200]}; {fix}")


def read_fingerprints(paths) -> dict[str, dict]:
    """The environment rule's fingerprints, by env name, each checked against its schema."""
    fingerprints = {}
    for path in paths:
        path = Path(path)
        fix = f"remove {path} and rerun the workflow (its environment rule writes it again)"
        fingerprint = parse_json(path, fix)
        _check(fingerprint, _validator(PROVENANCE_SCHEMA, "fingerprint"), str(path), fix)
        fingerprints[path.stem] = fingerprint
    return fingerprints


def validate_run_record(record, source: str) -> dict:
    _check(record, _validator(RUN_RECORD_SCHEMA), source, f"remove {source} and rerun the workflow")
    return record


def validate_provenance(provenance, source: str) -> dict:
    version = provenance.get("schema_version") if isinstance(provenance, dict) else None
    if isinstance(version, int) and version < PROVENANCE_SCHEMA_VERSION:
        raise ManifestError(
            f"{source}: schema_version {version}: written by an older seedlock (this one writes "
            f"{PROVENANCE_SCHEMA_VERSION}); rerun the workflow and bless again"
        )
    _check(provenance, _validator(PROVENANCE_SCHEMA), source, "restore it, or bless again")
    return provenance


def refuse_link(path: Path) -> None:
    """References are read as they are in the workflow folder, never through a link that could
    lead anywhere else."""
    if path.is_symlink():
        raise ManifestError(
            f"{path}: a symbolic link; references must be plain files and folders (bless writes "
            "them so)"
        )


def read_provenance(path: Path) -> dict:
    refuse_link(path)
    provenance = parse_json(path, "restore it from version control")
    provenance = validate_provenance(provenance, str(path))
    if provenance["profile"] != path.parent.name:
        raise ManifestError(
            f"{path}: profile: {provenance['profile']!r} does not match its folder "
            f"{path.parent.name!r}"
        )
    return provenance


def parse_json(path: Path, fix: str):
    """A JSON file's value; any fault, nesting too deep and numbers too long included, is one
    ``ManifestError`` line naming the file and ``fix``."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not UTF-8 text; {fix}") from None
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path}: not valid JSON ({error}); {fix}") from None
    except (ValueError, RecursionError) as error:  # a 5,000-digit number, 100,000 nested '['
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ManifestError(f"{path}: cannot be read as JSON ({reason}); {fix}") from None


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
        """The steps and their upstream steps as the blessed run recorded them."""
        return graph_of(self.provenance)

    def content(self, path: str) -> bytes | None:
        """The kept copy of an output (small ones only), or None. ``read_reference`` checked
        every copy against the manifest."""
        copy = self.folder / VALUES / path
        return copy.read_bytes() if copy.is_file() else None


def check_values(folder: Path, entries: Mapping[str, Entry], max_bytes: int | None = None) -> None:
    """Every copy in ``values/`` is a plain file with the hash its manifest entry gives: an
    edited copy would otherwise explain a difference wrongly. With ``max_bytes`` (what bless
    recorded), every output up to that size has its copy: a deleted one is named."""
    values = folder / VALUES
    restore = f"restore {folder} from version control, or bless again"
    if max_bytes is not None:
        for path, entry in entries.items():
            small = entry.size is not None and entry.size <= max_bytes
            if small and not os.path.lexists(values / path):
                raise ManifestError(
                    f"{values / path}: missing, although bless keeps a copy of every output "
                    f"up to {max_bytes} bytes; {restore}"
                )
    if not os.path.lexists(values):
        return
    refuse_link(values)
    for directory, folders, names in os.walk(values):
        for name in [*folders, *names]:
            refuse_link(Path(directory) / name)
        for name in names:
            copy = Path(directory) / name
            path = copy.relative_to(values).as_posix()
            entry = entries.get(path)
            if entry is None:
                raise ManifestError(
                    f"{copy}: a copy of no output in {folder / CHECKSUMS}; {restore}"
                )
            if file_sha256(copy) != entry.sha256:
                raise ManifestError(
                    f"{copy}: does not match its entry in {folder / CHECKSUMS} (the copy was "
                    f"edited); {restore}"
                )


def read_reference(folder: Path) -> Reference:
    refuse_link(folder)
    provenance = read_provenance(folder / PROVENANCE)
    manifest = folder / CHECKSUMS
    refuse_link(manifest)
    try:
        data = manifest.read_bytes()
    except OSError as error:
        raise ManifestError(f"{manifest}: cannot read: {error.strerror}") from None
    entries = parse_manifest_bytes(data, str(manifest))
    check_consistency(folder, provenance, data, entries)
    check_values(folder, entries, provenance.get("values_max_bytes"))
    return Reference(folder, provenance, entries)


def _subfolders(folder: Path) -> list[Path]:
    """Visible folders; hidden ones are bless's staging and retired copies. None of them may
    be a link: references are read where they are, in the workflow folder."""
    if not folder.is_dir():
        return []
    refuse_link(folder)
    found = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir())
    for path in found:
        refuse_link(path)
    return found


def config_digest_of(folder: Path) -> str:
    """The digest part of a config folder's name (``tiny-1a2b3c4d5e6f`` → ``1a2b3c4d5e6f``)."""
    return folder.name.rsplit("-", 1)[-1]


def config_folders(references: Path, config_sha256: str | None = None) -> list[Path]:
    """The config folders in the references folder, or those of the config with this digest."""
    folders = _subfolders(references)
    if config_sha256 is None:
        return folders
    return [f for f in folders if config_digest_of(f) == config_sha256[:CONFIG_DIGITS]]


def config_folder_for(references: Path, config_sha256: str, configfiles) -> Path:
    """Where bless writes this config's references: its existing folder, else one named after
    the last config file the run read (``configfiles``: paths as the run record lists them)."""
    existing = config_folders(references, config_sha256)
    if existing:
        return existing[0]
    names = [Path(path).stem for path in configfiles]
    name = re.sub(r"[^A-Za-z0-9_.]+", "_", names[-1] if names else "config").strip("._")
    return references / f"{name or 'config'}-{config_sha256[:CONFIG_DIGITS]}"


def reference_folders(references: Path, config_sha256: str | None = None) -> list[Path]:
    """The profile folders of every config, or of the config with this digest."""
    return [
        profile
        for folder in config_folders(references, config_sha256)
        for profile in _subfolders(folder)
    ]


def closeness(key: ProfileKey, other: ProfileKey) -> tuple:
    """How close another profile is: same platform first, then what computes, mode and locks."""
    return (
        key.platform == other.platform,
        key.compute == other.compute,
        key.mode == other.mode,
        key.environment_digest == other.environment_digest,
    )


def select_reference(
    references: Path, key: ProfileKey, config_sha256: str
) -> tuple[Reference | None, bool]:
    """This config's references of this profile (exact=True), else the closest profile of this
    config (exact=False), else None: another config's references are no evidence for this one."""
    folders = reference_folders(references, config_sha256)
    exact = next((folder for folder in folders if folder.name == key.id), None)
    if exact is not None:
        reference = read_reference(exact)
        if reference.key != key:  # the folder's name holds only the digest's first 12 digits
            raise ManifestError(
                f"{exact / PROVENANCE}: environment_digest {reference.key.environment_digest} "
                f"is not this environment's ({key.environment_digest}) although the profile id "
                f"is; restore {exact} from version control, or bless again"
            )
        return reference, True
    if not folders:
        return None, False
    references = [read_reference(folder) for folder in folders]
    best = max(references, key=lambda reference: (closeness(key, reference.key), reference.id))
    return best, False


def differing_fields(key: ProfileKey, other: ProfileKey) -> list[str]:
    names = ("mode", "platform", "compute", "environment_digest")
    return [name for name in names if getattr(key, name) != getattr(other, name)]


def uncommitted_changes(folder: Path) -> list[str]:
    """A warning when a profile's folder differs from its committed version in git (edited,
    deleted or untracked files): references are evidence only as committed. Nothing outside a
    git work tree, or without git. Asked from the folder itself: the working directory may be
    outside the workflow's checkout."""
    try:
        completed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", "."],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    changed = (
        [line[3:] for line in completed.stdout.splitlines()] if completed.returncode == 0 else []
    )
    if not changed:
        return []
    return [
        f"{folder} differs from its committed version in git ({len(changed)} paths, e.g. "
        f"{changed[0]}); unless a bless of yours explains it, restore it: git checkout -- {folder}"
    ]
