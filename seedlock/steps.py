"""The verified steps of a workflow and their upstream relations, read from its rules.

A verified step is a rule whose outputs all live under ``results/<rule>/``, so a path names its
step. Which steps exist and which feed which come from the rules Snakemake parsed (their declared
outputs and the inputs of their jobs), never from a hand-kept table: a rule file added to the
workflow is a step as soon as it is included. The graph is recorded with every run
(``results/run_record/run.json``) and with every reference profile, so that verify, bless, probe
and compare read it without parsing the workflow again.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

RESULTS = "results"
# The toolchain's own folders under results/: bookkeeping about the steps, never a step.
BOOKKEEPING = ("checksums", "environment", "run_record", "verify")


@dataclass(frozen=True)
class StepGraph:
    """Each step with the steps upstream of it (direct and indirect), both in DAG order."""

    upstream: Mapping[str, tuple[str, ...]]

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(self.upstream)

    def step_of(self, path: str) -> str | None:
        """The step that wrote ``path`` (relative to the workflow's folder), or None."""
        parts = path.split("/", 2)
        if len(parts) == 3 and parts[0] == RESULTS and parts[1] in self.upstream and parts[2]:
            return parts[1]
        return None

    def position(self, step: str | None) -> int:
        """Where ``step`` comes in DAG order; files of no step sort last."""
        return self.steps.index(step) if step in self.upstream else len(self.upstream)

    def as_dict(self) -> dict[str, list[str]]:
        return {step: list(upstream) for step, upstream in self.upstream.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Sequence[str]]) -> "StepGraph":
        """The graph as recorded. JSON files are written with sorted keys, so an order that is
        not one of the DAG is rebuilt: a step has more upstream steps than any step upstream of
        it, so ordering by their count (stable: by name, in a JSON file) is one."""
        ordered = list(data)
        if any(not set(data[step]) <= set(ordered[:index]) for index, step in enumerate(ordered)):
            ordered.sort(key=lambda step: len(data[step]))
        upstream = {step: tuple(data[step]) for step in ordered}
        # Each list in that same order, whatever order it was recorded in.
        return cls({step: tuple(s for s in ordered if s in upstream[step]) for step in ordered})

    def merged(self, other: "StepGraph") -> "StepGraph":
        """This graph, with the steps only ``other`` knows after its own."""
        extra = {step: up for step, up in other.upstream.items() if step not in self.upstream}
        return StepGraph({**self.upstream, **extra})

    @classmethod
    def of_folders(cls, names: Iterable[str]) -> "StepGraph":
        """Steps known only by their folders (a tree without a recorded graph): sorted by name,
        with no upstream relations, so that no difference is called another's consequence."""
        return cls({name: () for name in sorted(set(names) - set(BOOKKEEPING))})
