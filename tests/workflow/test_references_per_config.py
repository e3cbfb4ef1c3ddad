"""References are kept per config: a config nobody blessed ends UNVERIFIED (not FAIL), and bless
never touches another config's references, nor changes blessed outputs without --force."""

import shutil

from tests.conftest import REPO, run_seedlock, run_snakemake, tree_digests
from tests.workflow.blessed import TINY, reference_folder, run_workflow

DEFAULT_CONFIG_REFERENCES = "config-faed9f0a1a5e"
TABLE = "results/aggregate/table1.md"
TABLE_HTML = "results/aggregate/table1.html"


def with_default_references(workdir):
    """The committed references of the default config, beside the tiny config's."""
    shutil.copytree(
        REPO / "references" / DEFAULT_CONFIG_REFERENCES,
        workdir / "references" / DEFAULT_CONFIG_REFERENCES,
    )
    return tree_digests(workdir / "references" / DEFAULT_CONFIG_REFERENCES)


def test_a_config_without_references_ends_unverified_or_fails_when_they_are_required(damaged):
    shutil.rmtree(reference_folder(damaged).parent)  # the tiny config's references
    with_default_references(damaged)
    run_workflow(damaged)
    verdict = (damaged / "results/verify/verdict.txt").read_text()
    assert verdict.splitlines()[0] == "seedlock verify: UNVERIFIED", verdict
    assert "no references for this config" in verdict
    assert f"holds references of other configs only ({DEFAULT_CONFIG_REFERENCES})" in verdict
    assert "DIFFERENT" not in verdict and "first diverged" not in verdict
    cli = run_seedlock(damaged, "verify")
    assert cli.returncode == 0 and cli.stdout.startswith("seedlock verify: UNVERIFIED\n")

    # The verify section does not count in the config's digest: still the tiny config.
    (damaged / "required.yaml").write_text("verify:\n  require_references: true\n")
    strict = run_snakemake(
        damaged, "--cores", "2", "--configfile", TINY, "required.yaml", check=False
    )
    assert strict.returncode != 0
    verdict = (damaged / "results/verify/report.json").read_text()
    assert '"status": "FAIL"' in verdict and "require_references is true" in verdict


def test_bless_keeps_other_configs_and_changes_blessed_outputs_only_with_force(damaged):
    default_before = with_default_references(damaged)
    folder = reference_folder_of_tiny(damaged)
    references_before = tree_digests(damaged / "references")

    dry = run_seedlock(damaged, "bless", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would bless 59 outputs of 10 steps into {folder.relative_to(damaged)}" in dry.stdout
    assert "aggregate: 0 added, 0 changed, 0 removed" in dry.stdout
    assert tree_digests(damaged / "references") == references_before

    # A code change that changes one output: Table 1's Markdown heading.
    tables = damaged / "experiment" / "tables.py"
    source = tables.read_text()
    assert source.count("## Table 1: mean ± standard deviation") == 1
    tables.write_text(
        source.replace("## Table 1: mean ± standard deviation", "## Table 1: mean ± sd")
    )
    assert run_workflow(damaged, check=False).returncode != 0  # table1.md differs

    refused = run_seedlock(damaged, "bless")
    assert refused.returncode == 2 and "blessed" not in refused.stdout
    assert refused.stderr == (
        f"seedlock: error: {folder.relative_to(damaged)}: this bless would change or remove 2 "
        f"blessed outputs (e.g. {TABLE_HTML}); see them with: seedlock bless --dry-run; replace "
        "them with: seedlock bless --force\n"
    )
    assert tree_digests(damaged / "references") == references_before
    dry = run_seedlock(damaged, "bless", "--dry-run")
    assert f"  changed: {TABLE}" in dry.stdout

    forced = run_seedlock(damaged, "bless", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced 2 outputs blessed before (--force)" in forced.stdout
    assert f"  changed: {TABLE}" in forced.stdout
    assert tree_digests(damaged / "references" / DEFAULT_CONFIG_REFERENCES) == default_before
    run_workflow(damaged)
    assert (damaged / "results/verify/verdict.txt").read_text().startswith("seedlock verify: PASS")


def reference_folder_of_tiny(workdir):
    folders = [
        profile
        for config in (workdir / "references").iterdir()
        if config.name != DEFAULT_CONFIG_REFERENCES
        for profile in config.iterdir()
    ]
    (folder,) = folders
    assert folder.parent.name.startswith("tiny-")
    return folder


def test_configs_run_in_turn_in_one_folder_each_verify_against_their_own(damaged):
    """An example's config after the tiny one, in the same results/, and back: the other
    config's outputs left behind are named, neither verified nor failed on."""
    example = "examples/iris_svc_cross_validation.yaml"
    tiny_references = tree_digests(damaged / "references")

    def run(config):
        run_snakemake(damaged, "--cores", "2", "--configfile", config)
        return (damaged / "results/verify/verdict.txt").read_text()

    verdict = run(example)
    assert verdict.startswith("seedlock verify: UNVERIFIED\n"), verdict
    assert "warning: 45 files under results/ were written by an earlier run" in verdict
    assert "MISSING" not in verdict and "UNEXPECTED\n" not in verdict
    cli = run_seedlock(damaged, "verify")
    assert cli.returncode == 0 and cli.stdout == verdict

    bless = run_seedlock(damaged, "bless")
    assert bless.returncode == 0, bless.stderr
    assert "blessed 20 outputs of 10 steps into references/iris_svc_cross_validation-" in (
        bless.stdout
    )
    assert {
        path: digest
        for path, digest in tree_digests(damaged / "references").items()
        if path.startswith("tiny-")
    } == tiny_references

    verdict = run(example)
    assert verdict.startswith("seedlock verify: PASS\n"), verdict
    assert "outputs: 20 MATCH, 0 EQUIVALENT" in verdict
    verdict = run(TINY)
    assert verdict.startswith("seedlock verify: PASS\n"), verdict
    assert "outputs: 59 MATCH" in verdict
    assert "warning: 6 files under results/ were written by an earlier run" in verdict
