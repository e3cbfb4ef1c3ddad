"""One verification for the workflow's verify rule and ``seedlock verify``: the same profile,
the same references, the same environment audit and the same report, from the same run."""

from collections.abc import Mapping
from pathlib import Path

from seedlock.audit import audit
from seedlock.checksums import Entry
from seedlock.profiles import canonical_digest, profile_of, select_reference
from seedlock.verify import Settings, build_report


def verify_run(
    root: Path,
    run: Mapping,
    fingerprints: Mapping[str, dict],
    current: Mapping[str, Entry],
    settings: Settings,
) -> dict:
    """The report of a run (its validated run record, its envs' fingerprints and its outputs
    now on disk) against its config's references of its profile."""
    key = profile_of(root, fingerprints)
    reference, exact = select_reference(root, key, run["config_sha256"])
    recorded = {
        **run,
        "fingerprints": {name: canonical_digest(fp) for name, fp in fingerprints.items()},
    }
    return build_report(
        root,
        current,
        key,
        reference,
        exact,
        settings,
        recorded,
        # Each env against its lock, and where its steps imported from.
        environment=audit(root, fingerprints),
        fingerprints=fingerprints,
    )
