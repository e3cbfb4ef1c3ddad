"""Which folder and which rules are a workflow's own, also when it is used as a Snakemake module.

A workflow imported with ``module NAME: snakefile: …`` and ``use rule * from NAME as NAME_*``
shares one Snakemake run with the importing workflow: ``workflow.basedir`` is then the importing
workflow's folder, and its rules are registered under prefixed names (``NAME_train``) next to the
importer's own. The workflow's files, output folders (``results/train/``), config keys and logs
still use the names its own files give, so seedlock reads the steps under those names.
"""

from pathlib import Path

from seedlock.errors import SeedlockError


class RemoteSourceError(SeedlockError):
    """The workflow is read from a remote source, whose files are not on disk."""


def workflow_source(workflow) -> Path:
    """The folder of the Snakefile that is including the current file (seedlock's common.smk):
    the workflow's own folder, with its scripts, envs, locks and references. Called while that
    file is parsed, as Snakemake keeps the stack of files being read only then."""
    from snakemake.sourcecache import LocalSourceFile

    stack = workflow.included_stack
    includer = stack[-2] if len(stack) > 1 else stack[-1]
    if not isinstance(includer, LocalSourceFile):
        raise RemoteSourceError(
            f"{includer.get_path_or_uri(secret_free=True)}: the workflow is read from a remote "
            "source; seedlock needs its files on disk (the env locks and the references): clone "
            "it at the tag you want and give module's snakefile: the clone's Snakefile"
        )
    return Path(includer.get_basedir().get_path_or_uri(secret_free=True)).resolve()


class LocalRule:
    """A Snakemake rule seen under its workflow's own name; everything else is the rule's."""

    def __init__(self, rule, name: str):
        self.rule = rule
        self.name = name

    def __getattr__(self, attribute):
        return getattr(self.rule, attribute)


def own_rules(workflow_rules, proxies) -> list[LocalRule]:
    """The rules defined by the workflow whose ``rules`` namespace is ``proxies``, in the order
    Snakemake defined them, each under the name the workflow's files give it. The importing
    workflow's rules, and rules a module import excluded, are not among them."""
    local_names = {id(proxy.rule): name for name, proxy in proxies._rules.items()}
    return [
        LocalRule(rule, local_names[id(rule)]) for rule in workflow_rules if id(rule) in local_names
    ]
