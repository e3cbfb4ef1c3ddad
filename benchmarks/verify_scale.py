"""verify at scale: a whole verification (read the reference manifest, hash every output, classify,
trace, format the report) against only hashing the same files in one process.

    .venv/bin/python benchmarks/verify_scale.py            # 20,000 files of 1 KiB + 3 of 128 MiB
    .venv/bin/python benchmarks/verify_scale.py --smoke    # 500 small files, one of 4 MiB

The run's outputs and its reference profile are written by this script in a temporary folder;
the profile's provenance is the committed one, renamed.
"""

import argparse
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from common import REPO, best_of, report

from seedlock.checksums import hash_files, manifest_text
from seedlock.profiles import (
    CHECKSUMS,
    PROVENANCE,
    REFERENCES,
    blessed_steps,
    graph_of,
    read_reference,
    reference_folders,
)
from seedlock.trees import current_entries, output_files, tree_graph
from seedlock.verify import Settings, build_report, report_text


def make_run(root: Path, small: int, large: int, large_mib: int) -> None:
    for index in range(small):
        path = root / "results" / "evaluate" / f"group{index % 100:03d}" / f"out{index:05d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1024))
    for index in range(large):
        path = root / "results" / "train" / f"model{index}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(large_mib * 2**20))


def make_profile(root: Path) -> Path:
    """The committed profile's provenance, with this run's manifest digest and steps."""
    committed = reference_folders(REPO / REFERENCES)[0]
    provenance = json.loads((committed / PROVENANCE).read_text(encoding="utf-8"))
    folder = root / "references" / committed.parent.name / provenance["profile"]
    folder.mkdir(parents=True)
    entries = hash_files(root, output_files(root, tree_graph(root)))
    manifest = manifest_text(entries).encode("utf-8")
    provenance["manifest"] = {
        "sha256": hashlib.sha256(manifest).hexdigest(),
        "outputs": len(entries),
    }
    provenance["steps"] = blessed_steps(graph_of(provenance), entries)
    provenance["values_max_bytes"] = 0  # no copies kept: the benchmark times the hashing
    (folder / PROVENANCE).write_text(json.dumps(provenance), encoding="utf-8")
    (folder / CHECKSUMS).write_bytes(manifest)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--large-mib", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.small, arguments.large, arguments.large_mib, arguments.rounds = 500, 1, 4, 1

    root = Path(tempfile.mkdtemp(prefix="seedlock-bench-verify-"))
    try:
        make_run(root, arguments.small, arguments.large, arguments.large_mib)
        folder = make_profile(root)
        paths = output_files(root, tree_graph(root))
        outcome = {}

        def hashing_only():
            hash_files(root, paths)

        def whole_verify():
            reference = read_reference(folder)
            # The run's record, as the workflow writes it: the references' config.
            run = {"config_sha256": reference.provenance["config_sha256"]}
            verdict = build_report(
                root, current_entries(root), reference.key, reference, True, Settings(), run
            )
            report_text(verdict)
            outcome["status"] = verdict["status"]

        hashing, verifying = best_of(arguments.rounds, hashing_only, whole_verify)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if outcome["status"] != "PASS":
        raise SystemExit("benchmark: verify did not pass on unchanged files")
    report(
        "verify_scale",
        {
            "files": f"{arguments.small} x 1 KiB + {arguments.large} x {arguments.large_mib} MiB",
            "seconds": {"hashing_only": round(hashing, 3), "whole_verify": round(verifying, 3)},
            # Goal <= 1.2: verify costs little beyond the hashing itself.
            "verify_vs_hashing": round(verifying / hashing, 3),
        },
        arguments.json,
    )


if __name__ == "__main__":
    main()
