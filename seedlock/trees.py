"""Output trees: the verified outputs of a run on disk, or those a reference profile records.

Both kinds answer the same two questions, so that verify, probe and compare treat them alike:
``entries`` (hash and size of every output, by path relative to the repository root) and
``content(path)`` (the bytes, where they are available: a profile keeps copies of small outputs
only).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from seedlock.checksums import Entry, hash_files
from seedlock.errors import SeedlockError
from seedlock.profiles import CHECKSUMS, PROVENANCE, read_reference
from seedlock.steps import RESULTS, STEPS


class Tree(Protocol):
    entries: dict[str, Entry]

    def content(self, path: str) -> bytes | None: ...


def output_files(root: Path) -> list[str]:
    """Every file under the verified steps' folders, relative to ``root``, with '/' separators.
    Plain string joins: a run may hold tens of thousands of outputs."""
    paths = []
    for step in STEPS:
        for directory, _, names in os.walk(root / RESULTS / step):
            folder = os.path.relpath(directory, root).replace(os.sep, "/")
            paths.extend(f"{folder}/{name}" for name in names)
    return sorted(paths)


def current_entries(root: Path, manifests: Mapping[str, Entry] | None = None) -> dict[str, Entry]:
    """Hash and size of every output now on disk. Digests the checksum rules just wrote are reused
    when the size still agrees; any other file (an output no rule declares) is hashed here."""
    manifests = manifests or {}
    entries, to_hash = {}, []
    for path in output_files(root):
        known = manifests.get(path)
        if known is not None and known.size == (root / path).stat().st_size:
            entries[path] = known
        else:
            to_hash.append(path)
    entries.update(hash_files(root, to_hash))
    return entries


class ResultTree:
    """The outputs under ``root/results/<step>/``."""

    def __init__(self, root: Path, entries: Mapping[str, Entry] | None = None):
        self.root = root
        self.entries = dict(entries) if entries is not None else current_entries(root)

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
        if any((root / RESULTS / step).is_dir() for step in STEPS) and (
            root == path or path.name == RESULTS
        ):
            return ResultTree(root)
    raise SeedlockError(
        f"{path}: neither a result tree (a folder with {RESULTS}/<step>/ in it) nor a reference "
        f"profile (a folder with {CHECKSUMS} and {PROVENANCE}); name one of those"
    )
