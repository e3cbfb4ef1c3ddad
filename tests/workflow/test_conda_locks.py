"""With --use-conda, a stale or tampered lock stops Snakemake before any job."""

import pytest

from tests.conftest import copy_workflow, run_snakemake

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
