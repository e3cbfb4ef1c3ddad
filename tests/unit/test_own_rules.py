"""Which folder and rules are a workflow's own (seedlock/own_rules.py), on Snakemake's own source
file and rule namespace classes; tests/workflow/test_as_a_module.py runs the real module."""

from types import SimpleNamespace

import pytest
from snakemake.common import Rules
from snakemake.rules import RuleProxy
from snakemake.sourcecache import LocalGitFile, LocalSourceFile

from seedlock.own_rules import RemoteSourceError, own_rules, workflow_source


def test_the_source_is_the_folder_of_the_file_that_includes_common_smk(tmp_path):
    host = LocalSourceFile(str(tmp_path / "project" / "Snakefile"))
    module = LocalSourceFile(str(tmp_path / "project" / "vendor" / "seedlock" / "Snakefile"))
    common = LocalSourceFile(str(tmp_path / "elsewhere" / "seedlock" / "workflow" / "common.smk"))
    workflow = SimpleNamespace(included_stack=[host, module, common])
    assert workflow_source(workflow) == tmp_path / "project" / "vendor" / "seedlock"


def test_a_workflow_read_from_git_or_github_is_one_line_saying_to_clone_it(tmp_path):
    snakefile = LocalGitFile(str(tmp_path), "workflow/Snakefile", tag="v1.0")
    common = LocalGitFile(str(tmp_path), "seedlock/workflow/common.smk", tag="v1.0")
    workflow = SimpleNamespace(included_stack=[snakefile, common])
    with pytest.raises(RemoteSourceError) as raised:
        workflow_source(workflow)
    message = str(raised.value)
    assert message.startswith(f"git+file://{tmp_path}/workflow/Snakefile@v1.0: ")
    assert "clone it at the tag" in message and "\n" not in message


def test_own_rules_are_the_module_s_under_their_local_names_in_definition_order():
    train = SimpleNamespace(name="m_train", lineno=3)
    verify = SimpleNamespace(name="m_verify", lineno=9)
    host_all = SimpleNamespace(name="all", lineno=20)
    excluded = SimpleNamespace(name="m_split", lineno=5)
    proxies = Rules()
    for name, rule in (("verify", verify), ("train", train), ("split", excluded)):
        proxies._register_rule(name, RuleProxy(rule))
    # Snakemake's rules: the importer's, then the module's; an excluded rule is not among them.
    own = own_rules([host_all, train, verify], proxies)
    assert [(rule.name, rule.rule) for rule in own] == [("train", train), ("verify", verify)]
    # Everything but the name is the rule's own.
    assert own[1].lineno == 9
