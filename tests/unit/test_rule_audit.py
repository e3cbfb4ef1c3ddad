"""The rule audit's messages, on rules as Snakemake parses them (the attributes it reads)."""

from types import SimpleNamespace

from seedlock.rule_audit import audit_rules, thread_key_problems


class Params(list):
    def __init__(self, names):
        super().__init__(range(len(names)))
        self.names = names

    def keys(self):
        return self.names


def rule(name="fit", params=("seed", "threads", "compute", "code"), **overrides):
    attributes = {
        "name": name,
        "snakefile": f"rules/{name}.smk",
        "lineno": 3,
        "script": f"../scripts/{name}.py",
        "shellcmd": None,
        "is_run": False,
        "notebook": None,
        "wrapper": None,
        "params": Params(list(params)),
        "conda_env": "../envs/ml.yaml",
        "log": [f"logs/{name}/x.log"],
        "benchmark": f"logs/benchmarks/{name}/x.tsv",
    }
    attributes.update(overrides)
    return SimpleNamespace(**attributes)


def test_a_complete_rule_and_a_target_rule_pass():
    target = rule("all", script=None, params=(), conda_env=None, log=[], benchmark=None)
    assert audit_rules([rule(), target]) == []


def test_each_missing_declaration_names_the_rule_and_the_line_to_add():
    problems = audit_rules(
        [rule(params=("threads", "compute"), conda_env=None, log=[], benchmark="bench.tsv")]
    )
    where = "rule fit (rules/fit.smk, line 3)"
    assert problems == [
        f'{where}: no seed param; add to its params: seed=seed_for("fit")',
        f'{where}: no code param; add to its params: code=code_of("fit")',
        f'{where}: no locked env; add conda: "../envs/<env>.yaml"',
        f'{where}: no log; add log: "logs/fit/...log"',
        f"{where}: its benchmark belongs under logs/benchmarks/fit/",
    ]


def test_a_shell_rule_needs_no_code_param():
    shell = rule(
        script=None, shellcmd="sort {input} > {output}", params=("seed", "threads", "compute")
    )
    assert audit_rules([shell]) == []


def test_thread_keys_must_name_rules():
    assert thread_key_problems({"default": 1, "train": 2}, ["train"], "c.yaml") == []
    assert thread_key_problems({"trian": 2}, ["train", "split"], "c.yaml") == [
        "c.yaml: threads.trian: no rule of that name; did you mean train?"
    ]
