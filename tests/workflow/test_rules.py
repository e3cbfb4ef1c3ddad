"""Every code-running rule, as Snakemake itself parses it, has a seed param and a conda env."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    OutputSettings,
    ResourceSettings,
    StorageSettings,
)

from seedlock.rule_audit import audit_rules, runs_code
from seedlock.steps import BOOKKEEPING
from tests.conftest import REPO, TINY_CONFIG

# The rules the checksum and verify layer will add run bookkeeping code too; they are held to
# the same standard as soon as they exist.
EXPECTED_CODE_RULES = {
    "prepare_data",
    "split",
    "train",
    "evaluate",
    "cross_validate",
    "aggregate",
    "figures",
}


@pytest.fixture(scope="module")
def workflow_rules():
    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(
            snakefile=REPO / "Snakefile",
            workdir=REPO,
            config_settings=ConfigSettings(configfiles=[TINY_CONFIG]),
            resource_settings=ResourceSettings(),
            storage_settings=StorageSettings(),
        )
        workflow_api.dag()  # parses the Snakefile
        workflow = workflow_api._workflow
        for rule in workflow.rules:
            rule.runs_locally = rule.name in workflow._localrules  # local even on a cluster
        yield list(workflow.rules)


def test_rule_set_is_known(workflow_rules):
    assert {r.name for r in workflow_rules if runs_code(r)} >= EXPECTED_CODE_RULES


@pytest.mark.parametrize("attribute", ["seed", "threads", "code", "compute"])
def test_every_code_rule_has_param(workflow_rules, attribute):
    # Snakemake's Params is a list with names: `in` alone would search its values.
    missing = [
        r.name
        for r in workflow_rules
        if runs_code(r) and attribute not in r.params.keys()  # noqa: SIM118
    ]
    assert not missing, f"rules without params.{attribute}: {missing}"


def test_every_code_rule_names_an_existing_conda_env(workflow_rules):
    for rule in workflow_rules:
        if not runs_code(rule):
            continue
        assert rule.conda_env, f"rule {rule.name} has no conda: env"
        if callable(rule.conda_env):  # one env per wildcard value, e.g. the fingerprint rule
            specs = [
                rule.conda_env(SimpleNamespace(env=p.stem)) for p in (REPO / "envs").glob("*.yaml")
            ]
        else:
            specs = [rule.conda_env]
        for spec in specs:
            env_file = (Path(rule.snakefile).parent / str(spec)).resolve()
            assert env_file.is_file(), f"rule {rule.name}: {env_file} does not exist"
            assert env_file.parent == REPO / "envs"


def test_every_code_rule_has_log_and_benchmark(workflow_rules):
    for rule in workflow_rules:
        if runs_code(rule):
            assert rule.log, rule.name
            assert rule.benchmark, rule.name
            assert str(rule.benchmark).startswith(f"logs/benchmarks/{rule.name}/"), rule.name
            assert all(str(path).startswith(f"logs/{rule.name}/") for path in rule.log), rule.name


def rule_graph() -> dict[str, set[str]]:
    """Direct upstream rules of each rule, from Snakemake's own --rulegraph."""
    import re
    import subprocess
    import sys

    dot = subprocess.run(
        [sys.executable, "-m", "snakemake", "--rulegraph", "--configfile", str(TINY_CONFIG)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', dot, re.MULTILINE))
    upstream: dict[str, set[str]] = {name: set() for name in names.values()}
    for source, target in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.MULTILINE):
        upstream[names[target]].add(names[source])
    return upstream


def test_step_graph_the_workflow_reads_matches_snakemakes_rule_graph(workflow_rules):
    by_name = {rule.name: rule for rule in workflow_rules}
    recorded = dict(by_name["run_record"].params.record["steps"])
    direct = rule_graph()

    def ancestors(step):
        found = set()
        for parent in direct[step]:
            found |= ({parent} if parent in recorded else set()) | ancestors(parent)
        return found

    steps = list(recorded)
    # Every rule writing under results/<rule>/ is a step, but for the toolchain's bookkeeping.
    assert set(steps) == {
        rule.name
        for rule in workflow_rules
        if rule.output
        and all(str(o).startswith(f"results/{rule.name}/") for o in rule.output)
        and rule.name not in BOOKKEEPING
    }
    for step in steps:
        assert set(recorded[step]) == ancestors(step), step
        # DAG order: every upstream step comes earlier, and the lists keep that order.
        assert recorded[step] == [s for s in steps[: steps.index(step)] if s in recorded[step]]
        assert direct[f"checksum_{step}"] == {step}


def test_the_workflows_own_rules_pass_the_audit(workflow_rules):
    assert audit_rules(workflow_rules) == []


def test_bookkeeping_rules_are_local_and_fingerprints_are_not(workflow_rules):
    by_name = {rule.name: rule for rule in workflow_rules}
    for name in (
        "verify",
        "verify_report",
        *(f"checksum_{s}" for s in ("prepare_data", "train", "figures")),
    ):
        assert by_name[name].runs_locally, name
    # A fingerprint must describe the machine the steps ran on, e.g. a cluster node.
    assert not by_name["environment"].runs_locally
    assert not by_name["train"].runs_locally
