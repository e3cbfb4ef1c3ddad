"""Read the verified steps, their outputs and their upstream steps from Snakemake's parsed rules.

Runs inside the workflow, once, after the last step rule is defined and before the checksum rules
that it feeds. A step is a rule whose outputs all live under ``results/<rule>/``; its outputs for
this config are its output patterns filled with every value of each wildcard they name (the
workflow's ``wildcard_values(step)`` says which); a step is upstream
of another when it, or a rule it feeds, produces an input of the other's jobs, as Snakemake
resolves that input (input functions and ``unpack`` included).
"""

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

from snakemake.io import get_wildcard_names, is_callable, strip_wildcard_constraints
from snakemake.iocontainers import Wildcards

from seedlock.errors import SeedlockError
from seedlock.steps import BOOKKEEPING, RESULTS, StepGraph

# The values of each wildcard, for the step of this name.
WildcardValues = Callable[[str], Mapping[str, Sequence[str]]]


# Sampled values of one wildcard when resolving what a step reads (see _sample_jobs).
SAMPLED_VALUES = 32


class RuleGraphError(SeedlockError):
    """A rule breaks the results/<rule>/ convention, or names a wildcard without values."""


def _where(rule) -> str:
    return f"rule {rule.name} ({rule.snakefile}, line {rule.lineno})"


def output_patterns(rule) -> list[str]:
    return [strip_wildcard_constraints(str(output)) for output in rule.output]


def is_step(rule) -> bool:
    if rule.name in BOOKKEEPING:
        return False
    patterns = output_patterns(rule)
    folder = f"{RESULTS}/{rule.name}/"
    return bool(patterns) and all(pattern.startswith(folder) for pattern in patterns)


def placement_problems(rules: Iterable) -> list[str]:
    """Rules that write under results/ outside their own folder (their outputs would be neither
    a step's, verified, nor plainly outside the verified tree), and step outputs verification
    cannot follow: temp() files are deleted before verify reads them, and a directory() is not
    a file to checksum."""
    problems = []
    for rule in rules:
        if rule.name in BOOKKEEPING:
            continue
        if is_step(rule):
            for output in rule.output:
                if output.is_temp or output.is_directory:
                    kind = "temp()" if output.is_temp else "directory()"
                    problems.append(
                        f"{_where(rule)}: {kind} output {output}: a verified step's outputs are "
                        f"files that stay; declare the files, or write {kind} outside {RESULTS}/"
                    )
            continue
        stray = [p for p in output_patterns(rule) if p.startswith(f"{RESULTS}/")]
        if stray:
            problems.append(
                f"{_where(rule)} writes {stray[0]}: a verified step writes only under "
                f"{RESULTS}/{rule.name}/; move its outputs there, or outside {RESULTS}/"
            )
    return problems


def _jobs(rule, values_for: WildcardValues) -> list[dict[str, str]]:
    """Every job of ``rule``: one per combination of its wildcards' values, in expand()'s order."""
    values = values_for(rule.name)
    names = rule.wildcard_names
    unknown = sorted(names - set(values))
    if unknown:
        raise RuleGraphError(
            f"{_where(rule)}: wildcard {{{unknown[0]}}} has no values; name them in the "
            f"workflow's wildcard_values() (known: {', '.join(values) or 'none'})"
        )
    ordered = [name for name in values if name in names]
    return [
        dict(zip(ordered, combination, strict=True))
        for combination in itertools.product(*(values[name] for name in ordered))
    ]


def expand_pattern(pattern: str, values: Mapping[str, Sequence[str]]) -> list[str]:
    """``pattern`` filled with every combination of the values of the wildcards it names, in
    the order Snakemake's expand() gives. Plain ``str.format``: expand() itself took 3 s of a
    15 s dry run with 100 replicates (6,400 jobs)."""
    pattern = strip_wildcard_constraints(str(pattern))
    names = get_wildcard_names(pattern)
    ordered = [name for name in values if name in names]
    return [
        pattern.format(**dict(zip(ordered, combination, strict=True)))
        for combination in itertools.product(*(values[name] for name in ordered))
    ]


def step_outputs(rule, values_for: WildcardValues) -> list[str]:
    """Every output of one step for this config: what its checksum rule hashes."""
    _jobs(rule, values_for)  # every wildcard has values
    values = values_for(rule.name)
    return [path for pattern in output_patterns(rule) for path in expand_pattern(pattern, values)]


def _sample_jobs(jobs: list[dict[str, str]], values: Mapping[str, Sequence[str]]) -> list[dict]:
    """Jobs in which every value of every wildcard appears at least once (the first
    SAMPLED_VALUES of a longer list): what a rule reads may depend on a wildcard's value (one
    value's job may read a file another's does not), but rarely on a combination, and resolving
    every job's inputs would double a large dry run (300 replicates: 1,215 jobs resolved took
    more time than the rest of the graph)."""
    if not jobs:
        return []
    names = list(jobs[0])
    count = min(max((len(values[name]) for name in names), default=1), SAMPLED_VALUES)
    return [{name: values[name][i % len(values[name])] for name in names} for i in range(count)]


class _Resolver:
    """Which rules feed which, following inputs through rules that are not steps."""

    def __init__(self, rules: Sequence):
        self.rules = list(rules)
        self.steps = {rule.name for rule in self.rules if is_step(rule)}
        self.producers: dict[str, str | None] = {}

    def producer(self, path: str) -> str | None:
        parts = path.split("/", 2)
        if len(parts) == 3 and parts[0] == RESULTS and parts[1] in self.steps:
            return parts[1]
        if path not in self.producers:
            self.producers[path] = next(
                (rule.name for rule in self.rules if rule.is_producer(path)), None
            )
        return self.producers[path]

    def inputs(self, rule, wildcards: Mapping[str, str]) -> list[str]:
        if not rule.wildcard_names and not any(is_callable(item) for item in rule.input):
            # Plain paths (a gathering step's thousands of inputs): nothing to resolve.
            return [str(path) for path in rule.input]
        files, *_ = rule.expand_input(Wildcards(fromdict=dict(wildcards)))
        return [str(path) for path in files]

    def feeding(self, rule, jobs: Iterable[Mapping[str, str]], seen: set) -> set[str]:
        """The steps whose outputs these jobs of ``rule`` read, directly or through other rules."""
        found = set()
        for job in jobs:
            for path in self.inputs(rule, job):
                name = self.producer(path)
                if name is None or name == rule.name:
                    continue
                if name in self.steps:
                    found.add(name)
                elif (name, path) not in seen:
                    seen.add((name, path))
                    other = next(r for r in self.rules if r.name == name)
                    found |= self.feeding(other, [other.get_wildcards(path)], seen)
        return found


def step_graph(rules: Iterable, values_for: WildcardValues) -> StepGraph:
    """The steps in DAG order (ties in the order the rules are defined), each with every step
    upstream of it."""
    rules = list(rules)
    problems = placement_problems(rules)
    if problems:
        raise RuleGraphError(problems[0])
    resolver = _Resolver(rules)
    steps = [rule for rule in rules if is_step(rule)]
    direct = {
        rule.name: resolver.feeding(
            rule, _sample_jobs(_jobs(rule, values_for), values_for(rule.name)), set()
        )
        for rule in steps
    }
    order: list[str] = []
    remaining = [rule.name for rule in steps]
    while remaining:
        ready = [name for name in remaining if direct[name] <= set(order)]
        if not ready:
            raise RuleGraphError(f"the steps {', '.join(remaining)} read each other's outputs")
        order.append(ready[0])
        remaining.remove(ready[0])
    upstream: dict[str, tuple[str, ...]] = {}
    for name in order:
        ancestors = set(direct[name])
        for parent in direct[name]:
            ancestors |= set(upstream[parent])
        upstream[name] = tuple(step for step in order if step in ancestors)
    return StepGraph(upstream)
