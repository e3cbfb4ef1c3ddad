"""Output trees: the verified outputs of a run on disk, or those a reference profile records.

Both kinds answer the same two questions, so that verify, probe and compare treat them alike:
``entries`` (hash and size of every output, by path relative to the repository root) and
``content(path)`` (the bytes, where they are available: a profile keeps copies of small outputs
only).
"""

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from seedlock.checksums import Entry, hash_files, read_manifest
from seedlock.errors import SeedlockError
from seedlock.profiles import CHECKSUMS, PROVENANCE, REFERENCES, read_reference
from seedlock.steps import RESULTS, StepGraph
from seedlock.writers import is_partial

# Where a run records what it was made from, its steps included (the workflow's run_record rule).
RUN_RECORD = f"{RESULTS}/run_record/run.json"
# Where the checksum rules write each step's manifest.
CHECKSUM_FOLDER = Path(RESULTS) / "checksums"


class Tree(Protocol):
    entries: dict[str, Entry]
    graph: StepGraph

    def content(self, path: str) -> bytes | None: ...


def json_object(path: Path) -> dict | None:
    """The JSON object in ``path``, or None where there is none to read (missing, unreadable,
    malformed, or not an object): for files whose absence has a meaning of its own."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def recorded_run(root: Path) -> dict | None:
    """The run record of the result tree in ``root``, or None if there is none to read."""
    return json_object(root / RUN_RECORD)


def source_root(root: Path, run: Mapping | None = None) -> Path:
    """The workflow's own folder for the run whose outputs are in ``root``: where its locks and
    references are. The run record names it from the working directory (``.`` unless the run
    used -d); without a record, ``root`` itself."""
    run = run if run is not None else recorded_run(root)
    folder = run.get("workflow") if run else None
    return root / folder if isinstance(folder, str) and folder else root


def references_root(root: Path, run: Mapping | None = None) -> Path:
    """The references folder of the run whose outputs are in ``root``: as its run record names
    it from the working directory (the config's verify.references), else references/ in the
    workflow's own folder."""
    run = run if run is not None else recorded_run(root)
    folder = run.get("references") if run else None
    if isinstance(folder, str) and folder:
        return root / folder
    return source_root(root, run) / REFERENCES


def tree_graph(root: Path, run: Mapping | None = None) -> StepGraph:
    """The steps of the result tree in ``root``: as its run recorded them from the workflow's
    rules, or, without a record, the folders under results/ (with no upstream relations)."""
    run = run if run is not None else recorded_run(root)
    recorded = run.get("steps") if run else None
    if isinstance(recorded, Mapping):
        return StepGraph.from_dict(recorded)
    folder = root / RESULTS
    names = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    return StepGraph.of_folders(names)


def output_files(root: Path, graph: StepGraph) -> list[str]:
    """Every file under the verified steps' folders, relative to ``root``, with '/' separators,
    except the temporary files of writers (a killed one leaves its file behind). Plain string
    joins: a run may hold tens of thousands of outputs."""
    paths = []
    inside = os.path.realpath(root)
    for step in graph.steps:
        for directory, _, names in os.walk(root / RESULTS / step):
            folder = os.path.relpath(directory, root).replace(os.sep, "/")
            for name in names:
                if is_partial(name):
                    continue
                full = os.path.join(directory, name)
                if os.path.islink(full) and not os.path.realpath(full).startswith(inside + os.sep):
                    raise SeedlockError(
                        f"{folder}/{name}: a symbolic link out of the workflow folder; a step's "
                        "outputs must be files inside it"
                    )
                paths.append(f"{folder}/{name}")
    return sorted(paths)


def current_entries(
    root: Path, manifests: Mapping[str, Entry] | None = None, graph: StepGraph | None = None
) -> dict[str, Entry]:
    """Hash and size of every output now on disk. Digests the checksum rules just wrote are reused
    when the size still agrees; any other file (an output no rule declares) is hashed here."""
    manifests = manifests or {}
    entries, to_hash = {}, []
    for path in output_files(root, graph or tree_graph(root)):
        known = manifests.get(path)
        if known is not None and known.size == (root / path).stat().st_size:
            entries[path] = known
        else:
            to_hash.append(path)
    entries.update(hash_files(root, to_hash))
    return entries


def declared_outputs(root: Path, graph: StepGraph) -> set[str] | None:
    """The outputs this run's checksum manifests list, which are those its rules declare; None
    when a step has no manifest (the run did not finish), since its outputs are then unknown."""
    declared = set()
    for step in graph.steps:
        manifest = root / CHECKSUM_FOLDER / f"{step}.sha256"
        if not manifest.is_file():
            return None
        declared.update(read_manifest(manifest))
    return declared


class ResultTree:
    """The outputs under ``root/results/<step>/``."""

    def __init__(
        self, root: Path, entries: Mapping[str, Entry] | None = None, run: Mapping | None = None
    ):
        self.root = root
        self.graph = tree_graph(root, run)
        self.entries = (
            dict(entries) if entries is not None else current_entries(root, graph=self.graph)
        )

    @property
    def id(self) -> str:
        return str(self.root)

    def content(self, path: str) -> bytes | None:
        return (self.root / path).read_bytes()


def open_tree(path: Path) -> Tree:
    """A reference profile folder, or a folder holding ``results/`` (or ``results/`` itself)."""
    if (path / CHECKSUMS).is_file() and (path / PROVENANCE).is_file():
        return read_reference(path)
    for root in (path, path.parent):
        if tree_graph(root).steps and (root == path or path.name == RESULTS):
            return ResultTree(root)
    raise SeedlockError(
        f"{path}: neither a result tree (a folder with {RESULTS}/<step>/ in it) nor a reference "
        f"profile (a folder with {CHECKSUMS} and {PROVENANCE}); name one of those"
    )
