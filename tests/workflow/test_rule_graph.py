"""The step graph read from rules Snakemake parsed: steps are the rules under results/<rule>/,
related through input functions, unpack and rules that are not steps, in DAG order."""

from pathlib import Path

import pytest
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    OutputSettings,
    ResourceSettings,
    StorageSettings,
)

from seedlock.rule_graph import RuleGraphError, step_graph, step_outputs

# Defined downstream first, so that DAG order cannot come from the order of definition; make_b
# reads make_a's output through a rule that is not a step, by an input function with unpack.
RULES = """
rule make_c:
    input:
        expand("results/make_b/{sample}.txt", sample=["x", "y"]),
    output:
        "results/make_c/all.txt",
    shell:
        "cat {input} > {output}"


def b_inputs(wildcards):
    return {"tmp": f"scratch/{wildcards.sample}.tmp"}


rule make_b:
    input:
        unpack(b_inputs),
    output:
        "results/make_b/{sample}.txt",
    shell:
        "cat {input.tmp} > {output}"


rule intermediate:
    input:
        "results/make_a/{sample}.txt",
    output:
        "scratch/{sample}.tmp",
    shell:
        "cat {input} > {output}"


rule make_a:
    output:
        "results/make_a/{sample,[a-z]+}.txt",
    shell:
        "echo {wildcards.sample} > {output}"
"""


def parsed_rules(folder: Path, text: str) -> list:
    (folder / "Snakefile").write_text(text, encoding="utf-8")
    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(
            snakefile=folder / "Snakefile",
            workdir=folder,
            config_settings=ConfigSettings(),
            resource_settings=ResourceSettings(),
            storage_settings=StorageSettings(),
        )
        workflow_api.dag()
        return list(workflow_api._workflow.rules)


def samples(step):
    return {"sample": ["x", "y"]}


def test_steps_and_their_upstream_steps_in_dag_order(tmp_path):
    rules = parsed_rules(tmp_path, RULES)
    graph = step_graph(rules, samples)
    assert graph.as_dict() == {
        "make_a": [],
        "make_b": ["make_a"],
        "make_c": ["make_a", "make_b"],
    }
    by_name = {rule.name: rule for rule in rules}
    assert step_outputs(by_name["make_a"], samples) == [
        "results/make_a/x.txt",
        "results/make_a/y.txt",
    ]
    assert step_outputs(by_name["make_c"], samples) == ["results/make_c/all.txt"]


def test_a_rule_writing_into_another_steps_folder_is_refused(tmp_path):
    stray = RULES + '\n\nrule stray:\n    output:\n        "results/make_a/extra.txt",\n'
    stray += '    shell:\n        "touch {output}"\n'
    with pytest.raises(RuleGraphError, match=r"rule stray .* writes results/make_a/extra.txt"):
        step_graph(parsed_rules(tmp_path, stray), samples)


def test_a_wildcard_without_values_is_named(tmp_path):
    with pytest.raises(RuleGraphError, match=r"rule make_\w .*wildcard \{sample\} has no values"):
        step_graph(parsed_rules(tmp_path, RULES), lambda step: {})


@pytest.mark.parametrize("flag", ["temp", "directory"])
def test_outputs_verification_cannot_follow_are_refused(tmp_path, flag):
    rules = RULES.replace('"results/make_c/all.txt"', f'{flag}("results/make_c/all.txt")')
    with pytest.raises(RuleGraphError, match=rf"rule make_c .*: {flag}\(\) output results/"):
        step_graph(parsed_rules(tmp_path, rules), samples)
