"""Verify a run against its reference profile and explain every difference.

Each output gets one class: MATCH (same bytes), EQUIVALENT (differs within the tolerance config
declares for it, or differs in a file config ignores with a reason), DIFFERENT, MISSING (in the
reference, not in the run) or UNEXPECTED (in the run, not in the reference). Differences are
traced to the upstream-most step that diverged, in DAG order; the differences of its downstream
steps are marked as its consequences.
"""

import fnmatch
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedlock.checksums import Entry
from seedlock.compare import (
    DIFFERENT,
    EQUIVALENT,
    MATCH,
    MISSING,
    UNEXPECTED,
    Difference,
    Tolerance,
    compare_content,
)
from seedlock.environment_diff import differences
from seedlock.job_inputs import job_inputs
from seedlock.profiles import (
    CONFIG_DIGITS,
    PROVENANCE,
    REFERENCES,
    ProfileKey,
    Reference,
    config_digest_of,
    config_folders,
    differing_fields,
    uncommitted_changes,
)
from seedlock.steps import RESULTS, StepGraph
from seedlock.trees import ResultTree, Tree, references_root

CLASSES = (MATCH, EQUIVALENT, DIFFERENT, MISSING, UNEXPECTED)
EXIT_PASS, EXIT_FAIL = 0, 1
REPORT_SCHEMA_VERSION = 1
REPORT = Path(RESULTS) / "verify" / "report.json"
# The verdict of a run whose config has no references yet: nothing to verify against.
UNVERIFIED = "UNVERIFIED"
EXACT = Tolerance()  # what an output without a matching tolerance rule must meet: same bytes


@dataclass
class Settings:
    tolerances: list[Tolerance] = field(default_factory=list)
    cross_env_tolerances: list[Tolerance] = field(default_factory=list)
    strict: bool = False
    cross_env: bool = False
    require_references: bool = False

    @classmethod
    def from_config(cls, verify_config: Mapping, strict=None, cross_env=None) -> "Settings":
        def rules(items):
            return [Tolerance(**item) for item in items]

        return cls(
            tolerances=rules(verify_config.get("tolerances", [])),
            cross_env_tolerances=rules(verify_config.get("cross_env_tolerances", [])),
            strict=verify_config.get("strict", False) if strict is None else strict,
            cross_env=verify_config.get("cross_env", False) if cross_env is None else cross_env,
            require_references=verify_config.get("require_references", False),
        )


@dataclass
class FileResult:
    path: str
    step: str | None
    status: str
    tolerance: Tolerance
    difference: Difference | None = None
    consequence_of: str | None = None

    def as_dict(self) -> dict:
        result = {
            "path": self.path,
            "step": self.step,
            "class": self.status,
            "policy": self.tolerance.policy,
        }
        if self.tolerance.pattern:
            result["pattern"] = self.tolerance.pattern
        if self.tolerance.reason:
            result["reason"] = self.tolerance.reason
        if self.consequence_of:
            result["consequence_of"] = self.consequence_of
        if self.difference is not None:
            result["difference"] = self.difference.as_dict()
        return result


def tolerance_for(path: str, rules: Sequence[Tolerance]) -> Tolerance:
    """The first rule whose pattern matches ``path`` (shell-style; ``*`` also matches ``/``)."""
    for rule in rules:
        if fnmatch.fnmatchcase(path, rule.pattern):
            return rule
    return EXACT


def classify(
    current: Tree, reference: Tree, rules: Sequence[Tolerance], graph: StepGraph
) -> list[FileResult]:
    step_of = graph.step_of
    results = []
    for path in sorted(set(current.entries) | set(reference.entries)):
        now, then = current.entries.get(path), reference.entries.get(path)
        if now is not None and then is not None and now.sha256 == then.sha256:
            results.append(FileResult(path, step_of(path), MATCH, EXACT))
            continue  # the common case: no tolerance to look up
        tolerance = tolerance_for(path, rules)
        result = FileResult(path, step_of(path), MATCH, tolerance)
        if now is None:
            result.status = MISSING
        elif then is None:
            result.status = UNEXPECTED
        elif now.sha256 != then.sha256:
            result.difference = compare_content(
                path,
                current.content(path) or b"",
                reference.content(path),
                tolerance,
                now.size,
                then.size,
            )
            if tolerance.policy == "ignore" or (
                tolerance.policy == "numeric" and result.difference.within_tolerance
            ):
                result.status = EQUIVALENT
            else:
                result.status = DIFFERENT
        results.append(result)
    return results


def trace_divergence(
    results: Sequence[FileResult],
    graph: StepGraph,
    inputs: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Mark each difference that follows from another as its consequence; return the diverged
    steps that follow from no other (the root causes), in DAG order.

    With ``inputs`` (each output's job's input files), an output is a consequence of the
    upstream-most diverged file it read, directly or through diverged files; an output whose
    inputs all match diverged by itself. Without a record of its inputs, an output is a
    consequence of the first diverged step upstream of its own."""
    inputs = inputs or {}
    # An unexpected extra file changes nothing a later step reads, so it causes nothing.
    diverged_files = {r.path for r in results if r.status not in (MATCH, UNEXPECTED)}
    diverged = {r.step for r in results if r.path in diverged_files and r.step}

    def origin(path: str, seen: frozenset = frozenset()) -> str | None:
        """The upstream-most diverged file that ``path`` follows from, or None."""
        for source in inputs.get(path, ()):
            if source in diverged_files and source not in seen:
                return origin(source, seen | {path}) or source
        return None

    for result in results:
        if result.status == MATCH or result.step is None:
            continue
        if result.path in inputs:
            result.consequence_of = origin(result.path)
        else:
            upstream = [step for step in graph.upstream[result.step] if step in diverged]
            result.consequence_of = upstream[0] if upstream else None
    roots = {r.step for r in results if r.status != MATCH and r.step and not r.consequence_of}
    return [step for step in graph.steps if step in roots]


def differing_inputs(root: Path, results: Sequence[FileResult]) -> dict[str, list[str]]:
    """The input files of the jobs that wrote the outputs that differ, from Snakemake's records."""
    return job_inputs(root, [result.path for result in results if result.status != MATCH])


def in_dag_order(results: Sequence[FileResult], graph: StepGraph) -> list[FileResult]:
    return sorted(results, key=lambda result: (graph.position(result.step), result.path))


def failing(result: FileResult, strict: bool) -> bool:
    if result.status in (DIFFERENT, MISSING):
        return True
    if result.status == UNEXPECTED:
        # An output of a step that the references do not hold is unverified, unless a
        # tolerance rule names it; a file outside every step's folder only under --strict.
        named = result.tolerance is not EXACT
        return strict or (result.step is not None and not named)
    return strict and result.status == EQUIVALENT and result.tolerance.policy != "ignore"


def build_report(
    root: Path,
    current: Mapping[str, Entry],
    key: ProfileKey,
    reference: Reference | None,
    exact: bool,
    settings: Settings,
    run: Mapping | None = None,
    environment: Sequence[str] = (),
    fingerprints: Mapping[str, Mapping] | None = None,
) -> dict:
    """The verification report as a JSON-ready dict, with its exit code. ``environment`` holds
    the problems the environment audit found; any of them fails verification. ``fingerprints``
    (this run's envs) are compared with the references' to name what differs between them."""
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "profile": {
            "current": key.id,
            "reference": reference.id if reference else None,
            "folder": str(reference.folder) if reference else None,
            "exact": exact,
            "differs_in": differing_fields(key, reference.key) if reference else [],
        },
        "strict": settings.strict,
        "cross_env": settings.cross_env,
        "run": dict(run or {}),
        "outputs": len(current),
        "environment": list(environment),
        "environment_differences": (
            differences(fingerprints, reference.provenance["fingerprints"])
            if reference and fingerprints
            else []
        ),
    }
    if reference is None:
        # A config nobody blessed yet: nothing to compare, which is not a failed reproduction.
        run_config = str((run or {}).get("config_sha256") or "")
        references = references_root(root, run)
        others = [
            folder.name
            for folder in config_folders(references)
            if config_digest_of(folder) != run_config[:CONFIG_DIGITS]
        ]
        problems = [
            f"no references for this config (config_sha256 {run_config[:CONFIG_DIGITS]}) on any "
            f"profile yet; check the outputs, then write them with: seedlock bless (profile "
            f"{key.id})"
        ]
        if others:
            problems.append(
                f"{references}/ holds references of other configs only ({', '.join(others)}): "
                "run with one of those configs to verify against them"
            )
        required = settings.require_references
        if required:
            problems.append("verify.require_references is true, so a run without references fails")
        report.update(
            status="FAIL" if required else UNVERIFIED,
            exit_code=EXIT_FAIL if required else EXIT_PASS,
            counts={},
            files=[],
            root_causes=[],
            problems=problems,
        )
        return report
    rules = settings.tolerances if exact else settings.cross_env_tolerances + settings.tolerances
    tree = ResultTree(root, current, run)
    graph = tree.graph.merged(reference.graph)
    report["steps"] = list(graph.steps)
    results = classify(tree, reference, rules, graph)
    roots = trace_divergence(results, graph, differing_inputs(root, results))
    counts = Counter(result.status for result in results)
    problems = []
    if not exact:
        problems.append(
            f"no reference profile matches this environment ({key.id}); compared with the "
            f"closest, {reference.id}, which differs in "
            f"{', '.join(report['profile']['differs_in'])}"
            + (
                ""
                if settings.cross_env
                else "; pass --cross-env to accept a cross-environment "
                "comparison, or bless this profile"
            )
        )
    failed = any(failing(result, settings.strict) for result in results) or bool(environment)
    if not exact and not settings.cross_env:
        failed = True
    # References made with other settings are no evidence for this run, even where the bytes
    # agree: both differences fail.
    run_threads = (run or {}).get("threads")
    blessed_threads = reference.provenance.get("threads")
    if run_threads and blessed_threads and run_threads != blessed_threads:
        changed = sorted(
            step
            for step in set(run_threads) | set(blessed_threads)
            if run_threads.get(step) != blessed_threads.get(step)
        )
        problems.append(
            "the threads setting differs from the references' ("
            + ", ".join(
                f"{step}: {run_threads.get(step)} now, {blessed_threads.get(step)} then"
                for step in changed
            )
            + "); thread counts change the last bits of BLAS-heavy results: set them as "
            f"in {REFERENCES}/{reference.id}/{PROVENANCE} to reproduce those bits"
        )
        failed = True
    run_seeds, blessed_seeds = (run or {}).get("seeds"), reference.provenance.get("seeds")
    if run_seeds and blessed_seeds and run_seeds != blessed_seeds:
        # The seeds are part of the config, so the config digests then disagree too, unless the
        # provenance was edited: either way these references are no evidence for this run.
        problems.append(
            f"the seeds differ from the references' ({run_seeds} now, {blessed_seeds} then): "
            f"run with the seeds in {REFERENCES}/.../{PROVENANCE}, or restore it"
        )
        failed = True
    run_config = (run or {}).get("config_sha256")
    if run_config is None:
        problems.append(
            f"the run records no config ({RESULTS}/run_record/run.json is missing), so it cannot "
            "be matched with the references' config: rerun the workflow"
        )
        failed = True
    elif run_config != reference.provenance["config_sha256"]:
        problems.append(
            "the config differs from the one the references were blessed with (config_sha256 "
            f"{str(run_config)[:12]} now, {reference.provenance['config_sha256'][:12]} then; "
            "the verify section does not count): run with that config, or bless this one"
        )
        failed = True
    report["warnings"] = uncommitted_changes(reference.folder)
    blessed = reference.provenance
    report["references"] = {
        "folder": str(reference.folder),
        **{
            name: blessed.get(name)
            for name in ("blessed_at", "git", "config_sha256", "seeds", "threads", "cpu", "tools")
        },
        "probe": (blessed.get("probe") or {}).get("status"),
    }
    report.update(
        status="FAIL" if failed else "PASS",
        exit_code=EXIT_FAIL if failed else EXIT_PASS,
        counts={name: counts.get(name, 0) for name in CLASSES},
        root_causes=roots,
        problems=problems,
        files=[
            result.as_dict()
            for result in in_dag_order([r for r in results if r.status != MATCH], graph)
        ],
    )
    return report


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _value(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_difference(difference: Mapping) -> str:
    parts = []
    for name, stats in difference.get("numeric", {}).items():
        parts.append(
            f"{name}: max abs {_number(stats['max_abs'])}, max rel "
            f"{_number(stats['max_rel'])} ({stats['values_changed']} values)"
        )
    for name, count in difference.get("labels_changed", {}).items():
        # A label is any value that is not a float: a class, a count, an index, a name.
        parts.append(f"{name}: {count} label{'' if count == 1 else 's'} changed")
    parts.extend(difference.get("structure", []))
    examples = difference.get("examples", [])
    if examples:
        parts.append(
            "first differences: "
            + ", ".join(
                (f"row {e['row']} {e['column']}" if "row" in e else str(e["key"]))
                + f" {_value(e['current'])} now, {_value(e['reference'])} reference"
                for e in examples
            )
        )
    found = difference.get("pickle")
    if found:
        where = found.get("path") or "the top-level object"
        inside = f" (in {found['class']})" if found.get("class") else ""
        changed = (
            f"{found['current']} now, {found['reference']} reference"
            if found["current"] != found["reference"]
            else found["current"]
        )
        data = (
            f"; byte {found['data_offset']} of its data differs"
            if found.get("data_offset") is not None
            else ""
        )
        parts.append(
            f"pickle differs first at {where}{inside}: opcode {found['opcode_index']}, "
            f"{changed}{data}"
        )
    if "size" in difference and not found:
        size = difference["size"]
        offset = difference["first_differing_byte"]
        # Two different byte strings always have a first differing byte; None means that the
        # reference's bytes were not kept (bless keeps value copies of small files only).
        where = (
            f"first differing byte at offset {offset}"
            if offset is not None
            else "first differing byte unknown (no reference copy in values/)"
        )
        parts.append(f"size {size['current']} bytes, reference {size['reference']} bytes; {where}")
    return "; ".join(parts)


def shows_environment_differences(report: Mapping) -> bool:
    """Whether the environment's differences explain something: when outputs differ, or when
    another profile's references stand in. On a pass, a CPU model that differs is no news."""
    return bool(report.get("environment_differences")) and (
        not report["profile"]["exact"] or bool(report["files"])
    )


def report_text(report: Mapping) -> str:
    """The report for people: the rule's log, the CLI's output."""
    profile = report["profile"]
    lines = [
        f"seedlock verify: {report['status']}",
        f"profile: {profile['current']}"
        + (
            f" (references: {profile.get('folder') or profile['reference']}"
            + (")" if profile["exact"] else ", a different profile)")
            if profile["reference"]
            else " (no references)"
        ),
    ]
    if shows_environment_differences(report):
        lines.append("the environment differs from the references' in:")
        lines.extend(f"  {line}" for line in report["environment_differences"])
    if report["counts"]:
        lines.append("outputs: " + ", ".join(f"{report['counts'][c]} {c}" for c in CLASSES))
    lines.extend(f"environment: {problem}" for problem in report["environment"])
    # Without references nothing failed: what the verdict says is a note, not a problem.
    label = "note" if report["status"] == UNVERIFIED else "problem"
    lines.extend(f"{label}: {problem}" for problem in report["problems"])
    lines.extend(f"warning: {warning}" for warning in report.get("warnings", []))
    if report["root_causes"]:
        lines.append(root_cause_line(report["root_causes"], report["files"], report["steps"]))
    lines.extend(file_lines(report["files"]))
    return "\n".join(lines) + "\n"


def root_cause_line(
    root_causes: Sequence[str], files: Sequence[Mapping], steps: Sequence[str]
) -> str:
    first, *others = root_causes
    consequences = [
        step for step in steps if any(f["step"] == step and f.get("consequence_of") for f in files)
    ]
    return (
        f"first diverged step: {first}"
        + (f" (also diverged independently: {', '.join(others)})" if others else "")
        + (f"; downstream consequences in: {', '.join(consequences)}" if consequences else "")
    )


def file_lines(files: Sequence[Mapping]) -> list[str]:
    """One line per output that is not a MATCH: its class, step and what differs."""
    lines = []
    for item in files:
        where = item["step"] or "no step"
        if item.get("consequence_of"):
            where += f", consequence of {item['consequence_of']}"
        detail = describe_difference(item["difference"]) if "difference" in item else ""
        if item.get("reason"):
            detail = f"ignored: {item['reason']}" + (f"; {detail}" if detail else "")
        lines.append(
            f"{item['class']:<10} {item['path']}  [{where}]" + (f"  {detail}" if detail else "")
        )
        lines.extend(f"           | {line}" for line in item.get("difference", {}).get("diff", []))
    return lines


def compare_report(current: Tree, reference: Tree, rules: Sequence[Tolerance]) -> dict:
    """Two trees compared output by output: ``current`` (A) against ``reference`` (B)."""
    graph = current.graph.merged(reference.graph)
    results = classify(current, reference, rules, graph)
    where = getattr(current, "root", None)  # a result tree's job records, if it has any
    roots = trace_divergence(
        results, graph, differing_inputs(where, results) if where is not None else None
    )
    counts = Counter(result.status for result in results)
    differs = any(result.status in (DIFFERENT, MISSING, UNEXPECTED) for result in results)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "a": current.id,
        "b": reference.id,
        "status": DIFFERENT if differs else EQUIVALENT if counts[EQUIVALENT] else MATCH,
        "exit_code": EXIT_FAIL if differs else EXIT_PASS,
        "outputs": len(results),
        "counts": {name: counts.get(name, 0) for name in CLASSES},
        "steps": list(graph.steps),
        "root_causes": roots,
        "files": [
            result.as_dict()
            for result in in_dag_order([r for r in results if r.status != MATCH], graph)
        ],
    }


def compare_text(report: Mapping) -> str:
    lines = [
        f"seedlock compare: {report['status']}",
        f"A: {report['a']}",
        f"B: {report['b']} (the baseline: MISSING = only in B, UNEXPECTED = only in A)",
        "outputs: " + ", ".join(f"{report['counts'][c]} {c}" for c in CLASSES),
    ]
    if report["root_causes"]:
        lines.append(root_cause_line(report["root_causes"], report["files"], report["steps"]))
    lines.extend(file_lines(report["files"]))
    return "\n".join(lines) + "\n"
