"""Conda locks without conda: solve env specs with py-rattler, write them in conda-lock's own
format with conda-lock's own models and content hash, render Snakemake pin files with
conda-lock's own renderer, and check all of it offline.

    envs/NAME.yaml               the spec (channels, pinned direct dependencies)
    envs/NAME.conda-lock.yml     the lock, every platform, read by `conda-lock install`
    envs/NAME.<platform>.pin.txt the explicit list Snakemake's --use-conda installs from

Every lock covers the committed set of platforms (PLATFORMS) and whatever other platforms it was
given; any platform conda knows can be added, where its channel records can be reached.
"""

import datetime
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from seedlock.errors import LockError
from seedlock.rule_audit import runs_code

# The committed set: every lock covers these; others are added with `seedlock lock --platform`.
PLATFORMS = ("linux-64", "osx-arm64", "osx-64")
CHANNEL_URL = "https://conda.anaconda.org"
# The solver requirements.lock pins (tests/unit/test_locks.py checks it), for an environment
# without it: the conda driver env has none, as the channel records it is locked from lack it.
RATTLER = "py-rattler==0.28.0"


def lock_path(spec: Path) -> Path:
    name = "conda-lock.yml" if spec.name == "environment.yml" else f"{spec.stem}.conda-lock.yml"
    return spec.with_name(name)


def pin_path(spec: Path, platform: str) -> Path:
    return spec.with_name(f"{spec.stem}.{platform}.pin.txt")


def has_pins(spec: Path) -> bool:
    """Step envs get pin files for Snakemake; the driver env is installed with conda-lock."""
    return spec.name != "environment.yml"


def known_platforms() -> list[str]:
    """Every platform (conda subdir) conda knows, as py-rattler lists them; noarch is none."""
    from rattler import Subdir

    return [str(subdir) for subdir in Subdir.all() if str(subdir) != "noarch"]


def conda_lock_platforms() -> list[str]:
    """The platforms conda-lock has default virtual packages for (__glibc, __osx, __archspec,
    ...): the ones a lock can be solved for as `conda-lock lock` solves it."""
    from conda_lock.virtual_package import default_virtual_package_repodata

    repodata = default_virtual_package_repodata().all_repodata
    return [name for name, data in repodata.items() if name != "noarch" and data.get("packages")]


def ordered(platforms: Sequence[str]) -> list[str]:
    """Platforms once each: the committed set in its order, then the others by name, so that a
    lock's platforms come out in the same order however they were added."""
    unique = dict.fromkeys(platforms)
    return [p for p in PLATFORMS if p in unique] + sorted(p for p in unique if p not in PLATFORMS)


def _lock_spec(spec: Path, platforms: Sequence[str]):
    from conda_lock.conda_lock import make_lock_spec
    from conda_lock.lookup import DEFAULT_MAPPING_URL

    try:
        return make_lock_spec(
            src_files=[spec], platform_overrides=list(platforms), mapping_url=DEFAULT_MAPPING_URL
        )
    except Exception as error:  # conda-lock raises plain exceptions for bad specs
        raise LockError(f"{spec}: not a valid environment spec: {error}") from None


def content_hashes(spec: Path, platforms: Sequence[str]) -> dict[str, str]:
    """conda-lock's own content hash of the spec, per platform: a stale lock differs from it."""
    from conda_lock.content_hash import compute_content_hashes
    from conda_lock.virtual_package import default_virtual_package_repodata

    return compute_content_hashes(_lock_spec(spec, platforms), default_virtual_package_repodata())


def _virtual_packages(platform: str):
    """conda-lock's default virtual packages for a platform (e.g. __glibc 2.28, __osx 11.0), so
    the solve matches what `conda-lock lock` would produce."""
    from conda_lock.virtual_package import default_virtual_package_repodata
    from rattler import BuildString, GenericVirtualPackage, PackageName, Version

    records = default_virtual_package_repodata().all_repodata.get(platform, {}).get("packages", {})
    newest: dict[str, dict] = {}
    for record in records.values():
        current = newest.get(record["name"])
        if current is None or Version(record["version"]) > Version(current["version"]):
            newest[record["name"]] = record
    return [
        GenericVirtualPackage(
            PackageName(r["name"]), Version(r["version"]), BuildString(r["build"])
        )
        for r in newest.values()
    ]


def _channel_name(channel) -> str:
    return channel.url.rstrip("/").rsplit("/", 1)[-1] if "://" in channel.url else channel.url


def _channels(lock_spec) -> list[str]:
    """The spec's channels by name, without conda's nodefaults marker."""
    return [_channel_name(c) for c in lock_spec.channels if _channel_name(c) != "nodefaults"]


def _require_rattler() -> None:
    try:
        import rattler  # noqa: F401
    except ImportError:
        raise LockError(
            "seedlock lock solves with py-rattler, which this Python lacks (the conda driver env "
            "has none: the channel records it is locked from have none); run "
            ".venv/bin/seedlock lock, or add it here with: "
            f"python -m pip install --no-deps {RATTLER}"
        ) from None


def lockable(spec: Path, platforms: Sequence[str], mirror: Path | None) -> None:
    """Raise one line if ``spec`` cannot be solved for one of ``platforms``: a platform conda
    does not know, one conda-lock has no virtual packages for, or, with ``mirror``, a channel
    subdir the mirror lacks."""
    known = known_platforms()
    for platform in platforms:
        if platform not in known:
            raise LockError(
                f"--platform {platform}: not a platform conda knows; choose from "
                + ", ".join(known)
            )
    defaults = conda_lock_platforms()
    for platform in platforms:
        if platform not in defaults:
            raise LockError(
                f"--platform {platform}: conda-lock has no default virtual packages (__glibc, "
                f"__osx, ...) for it, only for {', '.join(defaults)}; seedlock solves as "
                f"conda-lock does, so it cannot lock {platform}"
            )
    if mirror is None:
        return
    channels = _channels(_lock_spec(spec, platforms))
    for platform in platforms:
        missing = [
            f"{channel}/{subdir}/repodata.json"
            for channel in channels
            for subdir in (platform, "noarch")
            if not (mirror / channel / subdir / "repodata.json").is_file()
        ]
        if missing:
            raise LockError(
                f"{spec}: cannot lock {platform} from the mirror {mirror}: it has no "
                f"{', '.join(missing)}; lock {platform} where the conda channels are "
                "reachable, without --mirror"
            )


def solve(spec: Path, platform: str, mirror: Path | None):
    """Records solving ``spec`` for ``platform``, from the live channels or a local mirror of
    ``<channel>/<subdir>/repodata.json`` (the records keep the real channel URLs)."""
    import asyncio

    import rattler
    from rattler.exceptions import SolverError

    lock_spec = _lock_spec(spec, [platform])
    channels = _channels(lock_spec)
    specs = []
    for dependency in lock_spec.dependencies[platform]:
        if dependency.manager != "conda" or not hasattr(dependency, "version"):
            raise LockError(f"{spec}: {dependency.name}: only conda packages can be locked here")
        specs.append(_matchspec(dependency))
    virtual = _virtual_packages(platform)
    try:
        if mirror is not None:
            sources = []
            for channel in channels:
                for subdir in (platform, "noarch"):
                    repodata = mirror / channel / subdir / "repodata.json"
                    if not repodata.is_file():
                        raise LockError(f"{repodata}: not found in the mirror")
                    sources.append(
                        rattler.SparseRepoData(rattler.Channel(channel), subdir, str(repodata))
                    )
            return asyncio.run(
                rattler.solve_with_sparse_repodata(specs, sources, virtual_packages=virtual)
            )
        return asyncio.run(
            rattler.solve(
                [rattler.Channel(channel) for channel in channels],
                specs,
                platforms=[platform, "noarch"],
                virtual_packages=virtual,
            )
        )
    except SolverError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no solution"
        raise LockError(f"{spec}: cannot be solved for {platform}: {first_line}") from None


def _matchspec(dependency) -> str:
    # conda-lock's VersionedDependency: name, version ("" for any), build, conda_channel.
    text = dependency.name
    if dependency.conda_channel:
        text = f"{dependency.conda_channel}::{text}"
    if dependency.version:
        text += f" {dependency.version}"
    if dependency.build:
        text += f" {dependency.build}"
    return text


def _locked_dependency(record, platform: str):
    from conda_lock.lockfile.v2prelim.models import HashModel, LockedDependency

    dependencies = {}
    for depend in record.depends:
        name, _, constraint = depend.partition(" ")
        dependencies[name] = constraint or "*"
    return LockedDependency(
        name=record.name.normalized,
        version=str(record.version),
        manager="conda",
        platform=platform,
        dependencies=dependencies,
        url=record.url,
        hash=HashModel(md5=record.md5.hex(), sha256=record.sha256.hex()),
        categories={"main"},
        build=str(record.build),
    )


def _previous_lock(lock_file: Path):
    """The lock as it is, if conda-lock can read it; else None (it is made anew)."""
    try:
        return read_lock(lock_file) if lock_file.is_file() else None
    except Exception:
        return None


def lock(
    spec: Path,
    platforms: Sequence[str] | None = None,
    mirror: Path | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """Solve ``spec`` and write its conda-lock file and its pin files.

    ``platforms``: the platforms to solve; the others the lock already has are kept as they were
    locked, with their content hash (so a spec edited since still shows them stale), as
    conda-lock keeps them. Default: the committed set and every platform the lock already has."""
    from conda_lock.lockfile import write_conda_lock_file
    from conda_lock.lockfile.v2prelim.models import Lockfile, LockMeta, TimeMeta

    _require_rattler()
    target = lock_path(spec)
    before = _previous_lock(target)
    locked_before = [
        platform
        for platform in (before.metadata.platforms if before is not None else [])
        if before.metadata.content_hash.get(platform) is not None
    ]
    solved = ordered(platforms or [*PLATFORMS, *locked_before])
    lockable(spec, solved, mirror)
    kept = [platform for platform in locked_before if platform not in solved]
    every = ordered([*solved, *kept])
    lock_spec = _lock_spec(spec, every)
    hashes = content_hashes(spec, solved)
    packages = []
    for platform in solved:
        records = solve(spec, platform, mirror)
        packages.extend(_locked_dependency(record, platform) for record in records)
        say(f"{spec}: {platform}: {len(records)} packages")
    for platform in kept:
        hashes[platform] = before.metadata.content_hash[platform]
        packages.extend(p for p in before.package if p.platform == platform)
        say(f"{spec}: {platform}: kept as locked before")
    # conda-lock writes the creation time; SOURCE_DATE_EPOCH fixes it for byte-stable relocks.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    created = datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat()
    lockfile = Lockfile(
        package=sorted(packages, key=lambda p: (p.platform, p.name)),
        metadata=LockMeta(
            content_hash={platform: hashes[platform] for platform in every},
            channels=list(lock_spec.channels),
            platforms=every,
            sources=[spec.name],
            time_metadata=TimeMeta(created_at=created),
        ),
    )
    write_conda_lock_file(lockfile, target, metadata_choices=None)
    written = read_lock(target)  # pins are rendered from the file as conda-lock reads it
    for platform in every if has_pins(spec) else ():
        pin_path(spec, platform).write_text(render_pin(written, platform), encoding="utf-8")
    return target


def read_lock(lock_file: Path):
    """A conda-lock file, parsed by conda-lock."""
    from conda_lock.lockfile import parse_conda_lock_file

    return parse_conda_lock_file(lock_file)


def render_pin(lockfile, platform: str) -> str:
    """conda-lock's own explicit render of one platform of a parsed lock: the pin file's text."""
    from conda_lock.conda_lock import render_lockfile_for_platform

    # The renderer sorts the lock in place; a copy keeps every platform's render independent of
    # the ones before it, as if each were rendered from the file.
    lines = render_lockfile_for_platform(
        lockfile=lockfile.model_copy(deep=True),
        include_dev_dependencies=False,
        extras=None,
        kind="explicit",
        platform=platform,
    )
    return "\n".join(lines) + "\n"


def specs_of(root: Path, names: Sequence[str] = ()) -> list[Path]:
    """The specs to lock or check: envs/NAME.yaml for each name (``environment`` is the driver
    env), or all of them."""
    every = {p.stem: p for p in sorted((root / "envs").glob("*.yaml"))}
    every["environment"] = root / "environment.yml"
    if not names:
        return list(every.values())
    unknown = [name for name in names if name not in every]
    if unknown:
        raise LockError(f"{unknown[0]}: no such env; choose from {', '.join(every)}")
    return [every[name] for name in names]


class ChannelRecords:
    """The package records of a local mirror (``<channel>/<subdir>/repodata.json``), by URL.

    A lock's sha256 reaches no pin (explicit files carry the md5 only), so an edited sha256 can
    be seen only against the channel's own record of the file."""

    def __init__(self, mirror: Path):
        self.mirror = mirror
        self._subdirs: dict[tuple[str, str], dict] = {}

    def record(self, url: str) -> dict | None:
        """The channel's record of the file ``url`` names, or None when the mirror lacks it."""
        parts = url.rstrip("/").split("/")
        if len(parts) < 3:
            return None
        channel, subdir, filename = parts[-3:]
        key = (channel, subdir)
        if key not in self._subdirs:
            repodata = self.mirror / channel / subdir / "repodata.json"
            try:
                data = json.loads(repodata.read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {}
            except (OSError, ValueError) as error:
                raise LockError(f"{repodata}: not readable as repodata: {error}") from None
            self._subdirs[key] = {
                **data.get("packages", {}),
                **data.get("packages.conda", {}),
            }
        return self._subdirs[key].get(filename)


def record_problems(package, records: ChannelRecords, where: str) -> list[str]:
    """The lock's hashes of ``package`` against the channel's record of the same file."""
    record = records.record(package.url)
    if record is None:
        return [
            f"{where}: {package.url} is not in the mirror {records.mirror}; its hashes "
            "cannot be checked"
        ]
    problems = []
    for kind in ("sha256", "md5"):
        locked, recorded = getattr(package.hash, kind), record.get(kind)
        if recorded and locked != recorded:
            problems.append(
                f"{where}: {kind} {locked} is not the channel's {recorded} for "
                f"{package.url.rsplit('/', 1)[-1]}; restore the lock from git or lock again"
            )
    return problems


def missing_platform(spec: Path, platform: str) -> str:
    """What a lock without ``platform`` needs: a solve from channel records for that platform."""
    if platform not in conda_lock_platforms():
        return (
            f"no lock for {platform}, and seedlock cannot make one: conda-lock has no default "
            f"virtual packages for {platform}"
        )
    channels = _channels(_lock_spec(spec, [platform]))
    return (
        f"no lock for {platform}; add it with: seedlock lock {spec.stem} --platform {platform}, "
        f"which solves from the live conda channels ({', '.join(channels)}) and so needs them "
        f"reachable, or --mirror DIR with {' and '.join(f'{c}/{platform}' for c in channels)} "
        "in it"
    )


def check_locks(
    root: Path,
    specs: Sequence[Path],
    platforms: Sequence[str] | None = None,
    mirror: Path | None = None,
) -> list[str]:
    """One line per problem with the locks of ``specs``; empty when every lock is current.
    ``platforms``: the platforms every lock must cover; default: the committed set and every
    other platform each lock has. With ``mirror``, every locked package's md5 and sha256 are
    also checked against the channel's records there."""
    records = ChannelRecords(mirror) if mirror is not None else None
    problems = []
    for spec in specs:
        lock_file = lock_path(spec)
        shown = os.path.relpath(lock_file, root)
        if not lock_file.is_file():
            problems.append(f"{shown}: missing; create it with: seedlock lock {spec.stem}")
            continue
        if not lock_file.read_text(encoding="utf-8", errors="replace").strip():
            problems.append(f"{shown}: empty; create it again with: seedlock lock {spec.stem}")
            continue
        try:
            lockfile = read_lock(lock_file)
        except Exception as error:
            first = (str(error).splitlines() or [""])[0]
            # conda-lock's own parser says little for some damage (a list, an AssertionError).
            detail = first if len(first) > 20 and "argument" not in first else ""
            problems.append(
                f"{shown}: not a conda-lock file as conda-lock reads it"
                + (f" ({detail})" if detail else "")
                + f"; restore it from git or create it again with: seedlock lock {spec.stem}"
            )
            continue
        wanted = (
            ordered([*PLATFORMS, *lockfile.metadata.platforms])
            if platforms is None
            else list(platforms)
        )
        expected = content_hashes(spec, wanted)
        for platform in wanted:
            recorded = lockfile.metadata.content_hash.get(platform)
            if recorded is None:
                problems.append(f"{shown}: {missing_platform(spec, platform)}")
            elif recorded != expected[platform]:
                problems.append(
                    f"{shown}: stale for {platform}: {os.path.relpath(spec, root)} "
                    f"changed since it was locked; run: seedlock lock {spec.stem}"
                )
        for package in lockfile.package:
            where = f"{shown}: {package.platform}: {package.name}"
            if not package.url.startswith("https://"):
                problems.append(f"{where}: url is not https: {package.url}")
            if not package.hash.sha256:
                problems.append(f"{where}: no sha256")
            # The file the URL names carries the package's version; an edited version: field
            # would otherwise go unseen (the pin names the URL only).
            filename = package.url.rsplit("/", 1)[-1]
            if not filename.startswith(f"{package.name}-{package.version}-"):
                problems.append(
                    f"{where}: version {package.version} is not the version in its url "
                    f"({filename}); run: seedlock lock {spec.stem}"
                )
            if records is not None:
                problems.extend(record_problems(package, records, where))
        for platform in wanted if has_pins(spec) else ():
            if lockfile.metadata.content_hash.get(platform) is None:
                continue
            pin = pin_path(spec, platform)
            if not pin.is_file():
                problems.append(
                    f"{os.path.relpath(pin, root)}: missing; run: seedlock lock {spec.stem}"
                )
            elif pin.read_text(encoding="utf-8") != render_pin(lockfile, platform):
                problems.append(
                    f"{os.path.relpath(pin, root)}: differs from conda-lock's render "
                    f"of {shown}; run: seedlock lock {spec.stem}"
                )
    return problems


def rule_env_problems(root: Path, platforms: Sequence[str] = PLATFORMS) -> list[str]:
    """Every rule that runs code names a conda env whose spec exists and has a pin per platform,
    as Snakemake itself parses the workflow."""
    from types import SimpleNamespace

    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
    )

    problems = []
    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(
            snakefile=root / "Snakefile",
            workdir=root,
            config_settings=ConfigSettings(),
            resource_settings=ResourceSettings(),
            storage_settings=StorageSettings(),
        )
        workflow_api.dag()  # parses the Snakefile
        rules = list(workflow_api._workflow.rules)
    env_names = [spec.stem for spec in sorted((root / "envs").glob("*.yaml"))]
    for rule in rules:
        if not runs_code(rule):
            continue
        if not rule.conda_env:
            problems.append(f"rule {rule.name}: no conda: env; add one from envs/")
            continue
        envs = (
            [rule.conda_env(SimpleNamespace(env=name)) for name in env_names]
            if callable(rule.conda_env)
            else [rule.conda_env]
        )
        for env in envs:
            spec = (Path(rule.snakefile).parent / str(env)).resolve()
            if not spec.is_file():
                problems.append(f"rule {rule.name}: conda env {env} does not exist")
                continue
            for platform in platforms:
                pin = pin_path(spec, platform)
                if not pin.is_file():
                    problems.append(
                        f"rule {rule.name}: no pin for {platform} "
                        f"({os.path.relpath(pin, root)}); run: seedlock lock {spec.stem}"
                    )
    return problems
