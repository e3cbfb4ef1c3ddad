"""Every code-running rule, as Snakemake itself parses it, has a seed param and a conda env."""

from pathlib import Path

import pytest
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    OutputSettings,
    ResourceSettings,
    StorageSettings,
)

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
        yield list(workflow_api._workflow.rules)


def runs_code(rule) -> bool:
    return bool(rule.script or rule.shellcmd or rule.is_run or rule.notebook or rule.wrapper)


def test_rule_set_is_known(workflow_rules):
    assert {r.name for r in workflow_rules if runs_code(r)} >= EXPECTED_CODE_RULES


@pytest.mark.parametrize("attribute", ["seed", "threads"])
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
        env_file = (Path(rule.snakefile).parent / str(rule.conda_env)).resolve()
        assert env_file.is_file(), f"rule {rule.name}: {env_file} does not exist"
        assert env_file.parent == REPO / "envs"


def test_every_code_rule_has_log_and_benchmark(workflow_rules):
    for rule in workflow_rules:
        if runs_code(rule):
            assert rule.log, rule.name
            assert rule.benchmark, rule.name
            assert str(rule.benchmark).startswith(f"logs/benchmarks/{rule.name}/"), rule.name
            assert all(str(path).startswith(f"logs/{rule.name}/") for path in rule.log), rule.name
