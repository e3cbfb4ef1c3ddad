"""sha256 manifests in ``sha256sum`` format, with each file's size on a comment line above it.

    # seedlock manifest; check with: sha256sum -c FILE (from the repository root)
    # size 1234
    9f86d08...  results/greeting/en.txt

GNU ``sha256sum -c`` skips the ``#`` lines, so the file checks with coreutils as it is, and a diff
of two manifests shows both the size and the hash of every changed file.
"""

import concurrent.futures
import hashlib
import itertools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from seedlock.errors import ManifestError

HEADER = "# seedlock manifest; check with: sha256sum -c FILE (from the repository root)"
_ENTRY = re.compile(r"^(?P<digest>\S+) [ *](?P<path>.+)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# 2**64 has 20 digits: a longer size is an edit, not a file.
MAX_SIZE_DIGITS = 20


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int | None


def file_sha256(path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def listing_digest(entries: Iterable[tuple[str, str]]) -> str:
    """sha256 over one ``name digest`` line per entry, in the order given: one digest for a set of
    files that changes when any file's name or content does."""
    digest = hashlib.sha256()
    for name, file_digest in entries:
        digest.update(f"{name} {file_digest}\n".encode())
    return digest.hexdigest()


# Files smaller than this are hashed in batches: for 20,000 files of 1 KiB, one thread-pool task
# per file cost as much as the hashing itself.
SMALL_FILE_BYTES = 1 << 20
BATCH_FILES = 64


def hash_files(root: Path, paths: Iterable[str], workers: int | None = None) -> dict[str, Entry]:
    """Hash files (paths relative to ``root``) in parallel threads; hashlib releases the GIL.
    Large files are one task each, so that they spread over the workers."""
    paths = sorted(set(paths))
    base = os.fspath(root)
    sizes = {path: os.stat(os.path.join(base, path)).st_size for path in paths}
    small = [path for path in paths if sizes[path] < SMALL_FILE_BYTES]
    tasks = [[path] for path in paths if sizes[path] >= SMALL_FILE_BYTES]
    tasks += [small[start : start + BATCH_FILES] for start in range(0, len(small), BATCH_FILES)]

    def hash_task(task: list[str]) -> list[tuple[str, Entry]]:
        return [(path, Entry(file_sha256(os.path.join(base, path)), sizes[path])) for path in task]

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        hashed = dict(itertools.chain.from_iterable(pool.map(hash_task, tasks)))
    return {path: hashed[path] for path in paths}


def check_relative_path(path: str, source: str, line_number: int) -> str:
    """``path`` if it stays inside the repository; a ``ManifestError`` otherwise.
    Plain string checks: a manifest may hold tens of thousands of paths."""
    if "\0" in path:
        raise ManifestError(f"{source}:{line_number}: path {path!r} contains a NUL character")
    if path.startswith(("/", "~")) or "\\" in path:
        raise ManifestError(
            f"{source}:{line_number}: path {path!r} is absolute; "
            "manifests hold paths relative to the repository root"
        )
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ManifestError(
            f"{source}:{line_number}: path {path!r} is not a plain relative path "
            "(no '..', '.', or doubled '/')"
        )
    return path


def manifest_text(entries: Mapping[str, Entry]) -> str:
    lines = [HEADER]
    for path in sorted(entries):
        entry = entries[path]
        if entry.size is not None:
            lines.append(f"# size {entry.size}")
        lines.append(f"{entry.sha256}  {path}")
    return "\n".join(lines) + "\n"


def parse_manifest(text: str, source: str) -> dict[str, Entry]:
    """Entries of a manifest; any fault is a ``ManifestError`` naming the file and line."""
    entries: dict[str, Entry] = {}
    pending_size = None
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            digits = line[7:] if line.startswith("# size ") else ""
            if digits.isascii() and digits.isdigit():
                if len(digits) > MAX_SIZE_DIGITS:
                    raise ManifestError(
                        f"{source}:{line_number}: size {digits[:20]}… has {len(digits)} digits; "
                        "no file is that large"
                    )
                pending_size = int(digits)
            continue
        # sha256sum's own layout, '<64 hex>  <path>' (or ' *' for binary mode), read by slicing;
        # the pattern only for anything else, to name what is wrong.
        if len(line) > 66 and line[64] == " " and line[65] in " *":
            digest, path = line[:64], line[66:]
        else:
            match = _ENTRY.match(line)
            if not match:
                raise ManifestError(
                    f"{source}:{line_number}: malformed line; expected '<sha256>  <path>' "
                    f"as sha256sum writes it: {line[:80]!r}"
                )
            digest, path = match["digest"], match["path"]
        if not _HEX64.match(digest):
            raise ManifestError(
                f"{source}:{line_number}: {digest[:80]!r} is not a sha256 digest "
                "(64 lowercase hex characters)"
            )
        check_relative_path(path, source, line_number)
        if path in entries:
            raise ManifestError(f"{source}:{line_number}: path {path!r} is listed twice")
        entries[path] = Entry(digest, pending_size)
        pending_size = None
    return entries


def parse_manifest_bytes(data: bytes, source: str) -> dict[str, Entry]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(f"{source}: not a text file") from None
    return parse_manifest(text, source)


def read_manifest(path) -> dict[str, Entry]:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ManifestError(f"{path}: cannot read: {error.strerror}") from None
    return parse_manifest_bytes(data, str(path))
