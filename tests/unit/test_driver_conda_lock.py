"""Two conda-locks: the driver env pins the one its channel records solve on every platform
(environment.yml: 3.0.4; the records' 4.0.0 is built for Linux only), .venv has requirements.lock's
(4.0.3). seedlock's locks are read, hashed, written and rendered by conda-lock's own code, in
whichever environment seedlock runs: a conda user's `snakemake --use-conda` checks the locks with
3.0.4 before any job, and `conda-lock install` reads conda-lock.yml with it. So the two must agree
on every byte of it. The driver's conda-lock comes from PyPI, hash-checked, beside .venv
(`make .venv/driver-conda-lock/.ready`, part of `make test`); it runs on .venv's other packages."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import conda_lock
import pytest

from tests.conftest import REPO

DRIVER_CONDA_LOCK = REPO / ".venv" / "driver-conda-lock"
SHARED_MIRROR = REPO.parent / "shared" / "conda-repodata"

pytestmark = pytest.mark.skipif(
    not (DRIVER_CONDA_LOCK / ".ready").is_file(),
    reason="needs the driver env's conda-lock: make .venv/driver-conda-lock/.ready",
)


def pinned_in_the_driver_env() -> str:
    (version,) = re.findall(
        r"^\s*-\s*conda-lock=(\S+)\s*$", (REPO / "environment.yml").read_text(), re.M
    )
    return version


def with_driver_conda_lock(code: str, cwd: Path) -> dict:
    """Run ``code`` with the driver env's conda-lock in place of .venv's; its last stdout line
    is JSON."""
    environment = {**os.environ, "PYTHONPATH": str(DRIVER_CONDA_LOCK)}
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_driver_conda_lock_is_the_version_the_driver_env_pins():
    found = with_driver_conda_lock(
        "import json, conda_lock; print(json.dumps({'version': conda_lock.__version__, "
        "'file': conda_lock.__file__}))",
        REPO,
    )
    assert found["version"] == pinned_in_the_driver_env(), (
        "environment.yml's conda-lock pin changed: update DRIVER_CONDA_LOCK_PIN in the Makefile"
    )
    assert Path(found["file"]).is_relative_to(DRIVER_CONDA_LOCK)
    assert conda_lock.__version__ != found["version"]  # else this test is moot: one version


def test_the_driver_conda_lock_finds_every_committed_lock_current():
    """Its content hash of every spec is the one .venv's wrote, it reads every lock, and its
    render of every platform is the committed pin, byte for byte."""
    found = with_driver_conda_lock(
        "import json\n"
        "from pathlib import Path\n"
        "from seedlock.locks import check_locks, lock_path, read_lock, specs_of\n"
        "specs = specs_of(Path('.'))\n"
        "print(json.dumps({'problems': check_locks(Path('.'), specs), 'platforms': [\n"
        "    read_lock(lock_path(spec)).metadata.platforms for spec in specs]}))",
        REPO,
    )
    assert found["problems"] == []
    assert found["platforms"] == [["linux-64", "osx-arm64", "osx-64"]] * 3


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
def test_the_driver_conda_lock_writes_the_committed_bytes(tmp_path):
    """Locked from the same records with the driver's conda-lock, every lock and pin is the
    committed one: a conda user's `seedlock lock` writes what .venv's writes."""
    project = tmp_path / "project"
    (project / "envs").mkdir(parents=True)
    for name in ("base.yaml", "ml.yaml"):
        shutil.copy(REPO / "envs" / name, project / "envs" / name)
    shutil.copy(REPO / "environment.yml", project / "environment.yml")
    found = with_driver_conda_lock(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from seedlock.locks import lock, specs_of\n"
        f"mirror = Path({str(SHARED_MIRROR)!r})\n"
        "for spec in specs_of(Path('.')):\n"
        "    lock(spec, mirror=mirror, say=lambda line: None)\n"
        "print(json.dumps({}))",
        project,
    )
    assert found == {}
    written = sorted(
        path.relative_to(project) for path in project.rglob("*") if "lock" in path.name
    ) + sorted(path.relative_to(project) for path in project.rglob("*.pin.txt"))
    assert len(written) == 3 + 6
    for relative in written:
        assert (project / relative).read_bytes() == (REPO / relative).read_bytes(), relative


def test_the_driver_conda_locks_own_render_is_the_committed_pin(tmp_path):
    """`conda-lock render --kind explicit`, the driver's own command (the explicit list
    `conda-lock install` builds an env from), writes each committed pin, byte for byte."""
    for name in ("base", "ml"):
        for platform in ("linux-64", "osx-arm64", "osx-64"):
            out = tmp_path / f"{name}-{platform}"
            completed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "conda_lock",
                    "render",
                    "--kind",
                    "explicit",
                    "--platform",
                    platform,
                    "--filename-template",
                    str(out),
                    str(REPO / "envs" / f"{name}.conda-lock.yml"),
                ],
                env={**os.environ, "PYTHONPATH": str(DRIVER_CONDA_LOCK)},
                capture_output=True,
                text=True,
                check=False,
            )
            assert completed.returncode == 0, completed.stderr
            pin = REPO / "envs" / f"{name}.{platform}.pin.txt"
            assert out.read_bytes() == pin.read_bytes(), pin.name
