"""The environment audit against a real conda-meta/: a tiny package is built here, indexed into a
local channel and installed into a prefix with py-rattler, all offline."""

import asyncio
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest
import rattler
from rattler.index import index_fs

from seedlock.audit import audit, audit_packages, import_leaks
from seedlock.fingerprint import conda_packages, module_origins


def build_package(channel: Path, name: str, version: str) -> None:
    """A noarch conda package holding one file, in the .tar.bz2 format."""
    payload = {f"share/{name}/version.txt": f"{version}\n".encode()}
    index = {
        "name": name,
        "version": version,
        "build": "0",
        "build_number": 0,
        "depends": [],
        "noarch": "generic",
        "subdir": "noarch",
        "license": "MIT",
        "timestamp": 1700000000000,
    }
    paths = {
        "paths_version": 1,
        "paths": [
            {
                "_path": path,
                "path_type": "hardlink",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size_in_bytes": len(data),
            }
            for path, data in payload.items()
        ],
    }
    members = {
        "info/index.json": json.dumps(index).encode(),
        "info/paths.json": json.dumps(paths).encode(),
        "info/files": "\n".join(payload).encode() + b"\n",
        **payload,
    }
    folder = channel / "noarch"
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / f"{name}-{version}-0.tar.bz2", "w:bz2") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))


def solve(channel: Path, specs):
    return asyncio.run(
        rattler.solve([rattler.Channel(str(channel))], specs, platforms=["linux-64", "noarch"])
    )


def pin_text(records) -> str:
    return "@EXPLICIT\n" + "".join(f"{r.url}#{r.md5.hex()}\n" for r in records)


@pytest.fixture(scope="module")
def conda_env(tmp_path_factory):
    """A channel with tinypkg 1.0 and 2.0 and otherpkg 1.0; a prefix with tinypkg 1.0 and otherpkg
    installed; and the records of that solve."""
    root = tmp_path_factory.mktemp("conda")
    channel = root / "channel"
    for name, version in (("tinypkg", "1.0"), ("tinypkg", "2.0"), ("otherpkg", "1.0")):
        build_package(channel, name, version)
    asyncio.run(index_fs(channel, write_zst=False, write_shards=False, force=True))
    records = solve(channel, ["tinypkg ==1.0", "otherpkg"])
    prefix = root / "prefix"
    asyncio.run(rattler.install(records, prefix, cache_dir=root / "cache", show_progress=False))
    return channel, prefix, records


def fingerprint_of(prefix: Path) -> dict:
    return {
        "env": "tiny",
        "mode": "conda",
        "platform": {"subdir": "linux-64"},
        "packages": conda_packages(prefix),
        "modules": {},
    }


def write_pin(root: Path, text: str) -> None:
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "tiny.linux-64.pin.txt").write_text(text)


def test_conda_meta_of_a_real_install_is_read(conda_env):
    _, prefix, _ = conda_env
    packages = {p["name"]: p for p in conda_packages(prefix)}
    assert sorted(packages) == ["otherpkg", "tinypkg"]
    assert packages["tinypkg"]["version"] == "1.0"
    assert packages["tinypkg"]["url"].endswith("/noarch/tinypkg-1.0-0.tar.bz2")


def test_env_built_from_its_pin_passes(conda_env, tmp_path):
    _, prefix, records = conda_env
    write_pin(tmp_path, pin_text(records))
    assert audit_packages(tmp_path, fingerprint_of(prefix)) == []


def test_env_that_differs_from_its_pin_fails_and_names_the_packages(conda_env, tmp_path):
    channel, prefix, _ = conda_env
    # The pin asks for tinypkg 2.0 alone: tinypkg differs and otherpkg should not be there.
    write_pin(tmp_path, pin_text(solve(channel, ["tinypkg ==2.0"])))
    (problem,) = audit_packages(tmp_path, fingerprint_of(prefix))
    assert problem.startswith("env tiny was not built from its lock envs/tiny.linux-64.pin.txt: ")
    assert "extra: otherpkg" in problem
    assert "different: tinypkg (file://" in problem and "tinypkg-2.0-0.tar.bz2" in problem


def test_package_missing_from_the_env_is_named(conda_env, tmp_path):
    _, prefix, records = conda_env
    write_pin(
        tmp_path,
        pin_text(records) + "https://conda.anaconda.org/conda-forge/noarch/"
        "pyyaml-6.0.3-pyh7db6752_0.conda#0123456789abcdef0123456789abcdef\n",
    )
    (problem,) = audit_packages(tmp_path, fingerprint_of(prefix))
    assert problem.endswith("missing: pyyaml")


def test_module_imported_from_outside_the_env_is_a_leak(tmp_path, monkeypatch):
    outside = tmp_path / "driver-site-packages"
    outside.mkdir()
    (outside / "leaky_module.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(outside))
    try:
        origins = module_origins(
            ["leaky_module"], prefix=tmp_path / "env", workflow=tmp_path / "workflow"
        )
    finally:
        sys.modules.pop("leaky_module", None)
    assert origins["leaky_module"] == (outside / "leaky_module.py").as_posix()
    fingerprint = {"env": "ml", "modules": origins}
    (leak,) = [p for p in import_leaks(fingerprint) if "leaky_module" in p]
    assert leak.startswith(f"env ml: module leaky_module was imported from {outside}")


def test_modules_from_the_env_and_the_workflow_are_not_leaks():
    fingerprint = {
        "env": "ml",
        "modules": {
            "numpy": "{prefix}/lib/python3.13/site-packages/numpy",
            "seedlock": "{workflow}/seedlock",
            "_sysconfigdata": "{python}/lib/python3.11/_sysconfigdata.py",
        },
    }
    assert import_leaks(fingerprint) == []


def test_host_venv_of_this_checkout_matches_its_lock():
    from tests.conftest import REPO

    fingerprint = {
        "env": "ml",
        "mode": "host",
        "packages": [
            {"name": name, "version": version}
            for name, version in (("numpy", "0.0.1"), ("not-in-the-lock", "1.0"), ("pip", "23.2.1"))
        ],
    }
    (problem,) = audit(REPO, {"ml": {**fingerprint, "modules": {}}})
    assert "extra: not-in-the-lock" in problem
    assert "numpy (0.0.1 instead of " in problem
    assert "missing: " in problem  # everything else the lock holds
    assert "pip" not in problem.split("extra: ")[1]
