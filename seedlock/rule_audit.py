"""The rule audit: every rule that runs code declares what makes its job reproducible.

Checked on the rules Snakemake parsed, when the workflow is read, so that a rule added without
its seed (or thread count, locked env, log, benchmark) stops the run with one line naming it,
before any job starts. Rules that only collect targets (``all``) run no code and are exempt.
"""

import difflib
from collections.abc import Iterable, Mapping, Sequence

# Params every code rule passes: the job's seed, the thread count its pools are pinned to (not
# the cores Snakemake grants), and the compute baseline's pins (another baseline reruns it).
REQUIRED_PARAMS = {
    "seed": 'seed=seed_for("{rule}")',
    "threads": 'threads=threads_for("{rule}")',
    "compute": "compute=compute_pins",
}
# A script rule's digest of the library modules it imports: Snakemake watches the script itself
# but not what it imports, so a change there reruns the rule through this param.
SCRIPT_PARAMS = {"code": 'code=code_of("{script}")'}


def runs_code(rule) -> bool:
    """Whether a rule runs code (and so needs a locked env, a seed...), rather than only
    collecting targets like ``all``."""
    return bool(rule.script or rule.shellcmd or rule.is_run or rule.notebook or rule.wrapper)


def _script_name(rule) -> str:
    return str(rule.script).rsplit("/", 1)[-1].removesuffix(".py")


def rule_problems(rule) -> list[str]:
    """What one rule lacks, each with the line to add."""
    if not runs_code(rule):
        return []
    where = f"rule {rule.name} ({rule.snakefile}, line {rule.lineno})"
    declared = set(rule.params.keys())  # Params is a list with names: `in` searches values
    wanted = dict(REQUIRED_PARAMS)
    if rule.script and str(rule.script).endswith(".py"):
        wanted.update(SCRIPT_PARAMS)
    problems = [
        f"{where}: no {name} param; add to its params: "
        + line.format(rule=rule.name, script=_script_name(rule) if rule.script else "")
        for name, line in wanted.items()
        if name not in declared
    ]
    if not rule.conda_env:
        problems.append(f'{where}: no locked env; add conda: "../envs/<env>.yaml"')
    if not rule.log:
        problems.append(f'{where}: no log; add log: "logs/{rule.name}/...log"')
    elif not all(str(path).startswith(f"logs/{rule.name}/") for path in rule.log):
        problems.append(f"{where}: its log belongs under logs/{rule.name}/")
    if not rule.benchmark:
        problems.append(f'{where}: no benchmark; add benchmark: "logs/benchmarks/{rule.name}/..."')
    elif not str(rule.benchmark).startswith(f"logs/benchmarks/{rule.name}/"):
        problems.append(f"{where}: its benchmark belongs under logs/benchmarks/{rule.name}/")
    return problems


def audit_rules(rules: Iterable) -> list[str]:
    """One line per problem, over every rule, in the order the rules are defined."""
    return [problem for rule in rules for problem in rule_problems(rule)]


# threads: keys that are not rule names: the default, and the toolchain's bookkeeping rules.
THREAD_KEYS = ("default", "checksum", "environment", "verify")


def thread_key_problems(threads: Mapping, rule_names: Sequence[str], source: str) -> list[str]:
    """A threads key that names no rule would be silently unused (a typo keeps the default)."""
    known = [*THREAD_KEYS, *rule_names]
    problems = []
    for key in threads:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"rules: {', '.join(sorted(rule_names))}"
        problems.append(f"{source}: threads.{key}: no rule of that name; {hint}")
    return problems
