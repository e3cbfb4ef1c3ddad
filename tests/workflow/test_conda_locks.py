"""With --use-conda, a stale or tampered lock, or none for this platform, stops Snakemake before
any job."""

import pytest

from seedlock.fingerprint import conda_subdir
from seedlock.locks import PLATFORMS
from tests.conftest import REPO, copy_workflow, run_seedlock, run_snakemake

pytestmark = pytest.mark.workflow


def use_conda_dry_run(workdir):
    return run_snakemake(
        workdir, "--use-conda", "--dry-run", "--configfile", "tests/config/tiny.yaml", check=False
    )


def test_stale_spec_stops_the_run_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    spec = workdir / "envs" / "ml.yaml"
    spec.write_text(spec.read_text().replace("pyyaml=6.0.3", "pyyaml=6.0.2"))
    completed = use_conda_dry_run(workdir)
    assert completed.returncode == 2
    assert (
        "seedlock: check-locks: envs/ml.conda-lock.yml: stale for linux-64: envs/ml.yaml "
        "changed since it was locked; run: seedlock lock ml"
    ) in completed.stderr
    assert not (workdir / ".snakemake" / "conda").exists()


def test_tampered_pin_stops_the_run_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    pin = workdir / "envs" / "base.linux-64.pin.txt"
    pin.write_text("\n".join(pin.read_text().splitlines()[:-1]) + "\n")
    completed = use_conda_dry_run(workdir)
    assert completed.returncode == 2
    assert (
        "seedlock: check-locks: envs/base.linux-64.pin.txt: differs from conda-lock's render"
        " of envs/base.conda-lock.yml"
    ) in completed.stderr


SHARED_MIRROR = REPO.parent / "shared" / "conda-repodata"


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="needs ../shared/conda-repodata")
def test_a_lock_without_this_platform_says_what_locking_it_needs(tmp_path):
    """As on a linux-aarch64 machine, where no lock has that platform: the run stops before any
    job and names the command that adds it, and that it solves from the live channels."""
    platform = conda_subdir()
    workdir = copy_workflow(tmp_path / "workflow")
    for path in (workdir / "envs").glob("base.*"):
        if path.name != "base.yaml":
            path.unlink()
    others = [p for p in PLATFORMS if p != platform]
    relock = run_seedlock(
        workdir,
        "lock",
        "base",
        "--mirror",
        str(SHARED_MIRROR),
        *(f"--platform={p}" for p in others),
    )
    assert relock.returncode == 0, relock.stderr
    completed = use_conda_dry_run(workdir)
    assert completed.returncode == 2
    assert (
        f"seedlock: check-locks: envs/base.conda-lock.yml: no lock for {platform}; add it with: "
        f"seedlock lock base --platform {platform}, which solves from the live conda channels "
        f"(conda-forge) and so needs them reachable, or --mirror DIR with conda-forge/{platform} "
        "in it"
    ) in completed.stderr.splitlines()
    assert not (workdir / ".snakemake" / "conda").exists()
