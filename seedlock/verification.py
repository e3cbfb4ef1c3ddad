"""One verification for the workflow's verify rule and ``seedlock verify``: the same profile,
the same references, the same environment audit and the same report, from the same run."""

from collections.abc import Collection, Mapping
from pathlib import Path

from seedlock.audit import audit
from seedlock.checksums import Entry
from seedlock.job_inputs import recorded_outputs
from seedlock.profiles import canonical_digest, profile_of, select_reference
from seedlock.trees import references_root, source_root
from seedlock.verify import Settings, build_report


def verify_run(
    root: Path,
    run: Mapping,
    fingerprints: Mapping[str, dict],
    current: Mapping[str, Entry],
    settings: Settings,
    declared: Collection[str] | None = None,
) -> dict:
    """The report of a run (its validated run record, its envs' fingerprints and its outputs
    now on disk) against its config's references of its profile. ``declared``: the outputs the
    run's rules declare (its checksum manifests), where known."""
    stale = leftovers(root, current, declared)
    current = {path: entry for path, entry in current.items() if path not in stale}
    source = source_root(root, run)  # the locks, maybe in another folder
    key = profile_of(source, fingerprints)
    references = references_root(root, run)
    reference, exact = select_reference(references, key, run["config_sha256"])
    recorded = {
        **run,
        "fingerprints": {name: canonical_digest(fp) for name, fp in fingerprints.items()},
    }
    report = build_report(
        root,
        current,
        key,
        reference,
        exact,
        settings,
        recorded,
        # Each env against its lock, and where its steps imported from.
        environment=audit(source, fingerprints),
        fingerprints=fingerprints,
    )
    if stale:
        first = sorted(stale)[0]
        report.setdefault("warnings", []).append(
            f"{len(stale)} files under results/ were written by an earlier run (another config, or "
            f"other code) and are not outputs of this one (the first: {first}); they were not "
            "verified; remove them to keep results/ to this run (make clean removes every "
            "output)"
        )
    report["stale_outputs"] = sorted(stale)
    return report


def leftovers(root: Path, current: Mapping[str, Entry], declared: Collection[str] | None) -> set:
    """Files in the steps' folders that this run does not declare but a job of this workflow
    wrote: outputs of an earlier run with another config (more replicates, other datasets). Not
    this run's to verify or to fail on. A file no job wrote (a copy, an edit's leftover) stays
    in ``current``, an UNEXPECTED output."""
    if declared is None:
        return set()
    declared = set(declared)
    return recorded_outputs(root, (path for path in current if path not in declared))
