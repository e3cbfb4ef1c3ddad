"""Code in one folder, outputs in another: ``snakemake -s <checkout>/Snakefile -d <scratch>``, as
on a cluster whose home holds the checkout and whose scratch holds the runs. The workflow reads
its locks, envs and references from the checkout and writes everything else in the working
directory; verify, bless and status work from there."""

import json

import pytest

from tests.conftest import copy_workflow, run_seedlock, run_snakemake

pytestmark = pytest.mark.workflow


def test_a_run_in_another_folder_verifies_and_blesses_into_the_checkout(tmp_path):
    checkout = copy_workflow(tmp_path / "home" / "checkout")
    scratch = tmp_path / "scratch" / "runs" / "tiny"
    scratch.mkdir(parents=True)

    def run():
        # From an unrelated folder, as a batch script would.
        run_snakemake(
            tmp_path,
            "-s",
            str(checkout / "Snakefile"),
            "-d",
            str(scratch),
            "--cores",
            "2",
            "--configfile",
            str(checkout / "tests/config/tiny.yaml"),
        )
        return (scratch / "results/verify/verdict.txt").read_text()

    verdict = run()
    assert verdict.startswith("seedlock verify: UNVERIFIED\n"), verdict
    assert not (checkout / "results").exists() and not (checkout / ".snakemake").exists()

    # The probe runs the workflow the run record names; its report stays here, for bless.
    probe = run_seedlock(scratch, "probe", "--config", str(checkout / "tests/config/tiny.yaml"))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith("seedlock probe: DETERMINISTIC\n"), probe.stdout
    assert (scratch / "results/probe/report.json").is_file()

    bless = run_seedlock(scratch, "bless")
    assert bless.returncode == 0, bless.stderr
    assert "probe" not in bless.stdout, bless.stdout  # neither "no probe" nor "stale probe"
    (folder,) = (checkout / "references").glob("tiny-*/host-*")
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["probe"]["status"] == "DETERMINISTIC", provenance["probe"]
    assert f"into ../../../home/checkout/references/{folder.parent.name}/" in bless.stdout
    assert not (scratch / "references").exists()

    verdict = run()
    assert verdict.startswith("seedlock verify: PASS\n"), verdict
    assert "outputs: 59 MATCH" in verdict
    cli = run_seedlock(scratch, "verify")
    assert cli.returncode == 0 and cli.stdout == verdict
    status = run_seedlock(scratch, "status")
    assert f"references for it: yes (../../../home/checkout/references/{folder.parent.name}/" in (
        status.stdout
    )


def test_references_kept_where_the_config_says_verify_and_bless_there(tmp_path):
    """verify.references: a group's shared folder, outside both the checkout and the run."""
    checkout = copy_workflow(tmp_path / "home" / "checkout")
    shared = tmp_path / "project" / "references"
    config = tmp_path / "project" / "tiny_shared.yaml"
    config.parent.mkdir()
    config.write_text(
        (checkout / "tests/config/tiny.yaml").read_text() + f"verify:\n  references: {shared}\n"
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    committed = sorted((checkout / "references").rglob("*"))

    def run():
        run_snakemake(
            tmp_path, "-s", str(checkout / "Snakefile"), "-d", str(scratch), "--cores", "2",
            "--configfile", str(config),
        )  # fmt: skip
        return (scratch / "results/verify/verdict.txt").read_text()

    assert run().startswith("seedlock verify: UNVERIFIED\n")
    bless = run_seedlock(scratch, "bless")
    assert bless.returncode == 0, bless.stderr
    (folder,) = shared.glob("tiny_shared-*/host-*")
    assert f"into {shared}/{folder.parent.name}/" in bless.stdout
    assert sorted((checkout / "references").rglob("*")) == committed

    verdict = run()
    assert verdict.startswith("seedlock verify: PASS\n"), verdict
    assert run_seedlock(scratch, "verify").stdout == verdict
    status = run_seedlock(scratch, "status")
    assert f"references for it: yes ({shared}/{folder.parent.name}/{folder.name})" in status.stdout
