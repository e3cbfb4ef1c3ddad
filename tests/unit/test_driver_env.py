"""The conda driver env (environment.yml, locked in conda-lock.yml) does what .venv does: it
carries everything seedlock imports, so that `make conda` (pip install --no-deps --no-index
--editable .) gives it the seedlock command without a download, and the executor plugin the
SLURM profile names."""

import os
import subprocess
import sys
import sysconfig
import tomllib

import yaml
from conda_lock.lockfile import parse_conda_lock_file
from packaging.requirements import Requirement
from packaging.version import Version

from seedlock.locks import PLATFORMS
from tests.conftest import REPO

# Where the conda package's name differs from the Python distribution's it installs.
CONDA_NAME = {"snakemake": "snakemake-minimal", "matplotlib": "matplotlib-base"}


def driver_pins() -> dict[str, str]:
    spec = yaml.safe_load((REPO / "environment.yml").read_text())
    return dict(dependency.split("=", 1) for dependency in spec["dependencies"])


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def needed() -> list[Requirement]:
    """seedlock's dependencies, the SLURM extra's, and its build backend (for the editable
    install without build isolation)."""
    metadata = project()
    return [
        Requirement(text)
        for text in (
            metadata["project"]["dependencies"]
            + metadata["project"]["optional-dependencies"]["slurm"]
            + metadata["build-system"]["requires"]
        )
    ]


def test_the_driver_env_pins_everything_seedlock_needs_at_a_version_it_accepts():
    pins = driver_pins()
    for requirement in needed():
        name = CONDA_NAME.get(requirement.name, requirement.name)
        assert name in pins, f"environment.yml: no {name} (pyproject.toml: {requirement})"
        assert requirement.specifier.contains(pins[name]), (name, pins[name], str(requirement))
    assert "pip" in pins
    requires_python = project()["project"]["requires-python"]
    assert Version(pins["python"]) in Requirement(f"python{requires_python}").specifier


def test_the_driver_lock_has_it_all_for_every_platform():
    lockfile = parse_conda_lock_file(REPO / "conda-lock.yml")
    pins = driver_pins()
    assert lockfile.metadata.platforms == list(PLATFORMS)
    for platform in PLATFORMS:
        locked = {p.name: p.version for p in lockfile.package if p.platform == platform}
        for name, version in pins.items():
            assert locked.get(name) == version, (platform, name)
        # What the driver imports besides: the plugin's own, and matplotlib's and pandas'.
        for name in ("snakemake-executor-plugin-slurm-jobstep", "pillow", "python-dateutil"):
            assert name in locked, (platform, name)


def test_the_slurm_profiles_executor_is_in_the_driver_env():
    config = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert f"snakemake-executor-plugin-{config['executor']}" in driver_pins()


def test_make_conda_gives_the_active_env_the_seedlock_command_without_a_download(tmp_path):
    """`make conda` in an environment that already has seedlock's dependencies (here: .venv's,
    seen through a .pth file, as a stand-in for the conda driver env) installs seedlock with
    --no-index, so nothing is fetched, and ends on check-locks run by the new command."""
    prefix = tmp_path / "driver"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (site,) = prefix.glob("lib/python3.*/site-packages")
    (site / "driver-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    completed = subprocess.run(
        ["make", "--no-print-directory", "conda"],
        cwd=REPO,
        env={**os.environ, "CONDA_PREFIX": str(prefix)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1].startswith("check-locks: 3 locks current")
    assert (prefix / "bin" / "seedlock").is_file()
    installed = subprocess.run(
        [prefix / "bin" / "python", "-c", "import seedlock; print(seedlock.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert installed.stdout.strip() == str(REPO / "seedlock" / "__init__.py")


def test_make_conda_outside_a_conda_env_says_what_to_activate():
    environment = {k: v for k, v in os.environ.items() if k != "CONDA_PREFIX"}
    completed = subprocess.run(
        ["make", "--no-print-directory", "conda"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[0] == (
        "make conda: no conda env is active; run: conda-lock install -n seedlock "
        "conda-lock.yml && conda activate seedlock"
    )
