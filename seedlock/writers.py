"""Deterministic, atomic writers: the same data gives the same bytes, in any process, on any run.

Every writer goes through ``atomic_path``: the data is written to a temporary file in the target's
folder and renamed over the target, so a killed job never leaves a plausible half-written file.
The temporary file's name (``is_partial``) tells verify to pass it over, and a later write of the
same target removes what a killed writer left.
"""

import contextlib
import glob
import json
import math
import os
import pickle
import tempfile
import time
from pathlib import Path

PICKLE_PROTOCOL = 5
PARTIAL = ".partial"
STALE_PARTIAL_SECONDS = 3600


def is_partial(name: str) -> bool:
    """Whether a file name is one of ``atomic_path``'s temporary files."""
    return name.startswith(".") and name.endswith(PARTIAL)


@contextlib.contextmanager
def atomic_path(target):
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A killed writer's file; one written to in the last hour may be a live writer's that
    # outlived its killed Snakemake run (verify passes over both).
    old = time.time() - STALE_PARTIAL_SECONDS
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*{PARTIAL}"):
        with contextlib.suppress(FileNotFoundError):
            if stale.stat().st_mtime < old:
                stale.unlink()
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=PARTIAL, dir=target.parent
    )
    os.close(descriptor)
    try:
        yield Path(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_bytes(target, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def to_plain(value):
    """``value`` with numpy scalars and arrays turned into Python ones, so ``json`` can write it."""
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return to_plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot write non-finite number {value!r} to JSON; use None instead")
    return value


def json_text(obj) -> str:
    """Canonical JSON: sorted keys, two-space indent, shortest round-trip floats, final newline."""
    return json.dumps(to_plain(obj), sort_keys=True, indent=2, allow_nan=False) + "\n"


def write_json(target, obj) -> None:
    write_bytes(target, json_text(obj).encode("utf-8"))


def write_csv(target, frame) -> None:
    """A pandas DataFrame as CSV, in its given row and column order, floats in round-trip repr."""
    text = frame.to_csv(index=False, lineterminator="\n")
    write_bytes(target, text.encode("utf-8"))


def write_text(target, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_pickle(target, obj) -> None:
    write_bytes(target, pickle.dumps(obj, protocol=PICKLE_PROTOCOL))


def read_pickle(path):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def configure_matplotlib() -> None:
    """Select the non-interactive backend and fix what would otherwise vary between runs.

    SVG element ids are random unless ``svg.hashsalt`` is set, and SVG/PDF carry a creation date
    unless ``SOURCE_DATE_EPOCH`` is set (the workflow sets it for every job).
    """
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "seedlock"
    matplotlib.rcParams["path.simplify"] = True


def write_figure(target, figure) -> None:
    """Save a matplotlib figure; the format follows the file extension (png, svg, pdf)."""
    target = Path(target)
    with atomic_path(target) as temporary:
        figure.savefig(temporary, format=target.suffix.lstrip("."), dpi=100)
