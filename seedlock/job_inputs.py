"""Which files the job that wrote an output read, from the record Snakemake keeps of each output.

Snakemake stores, per output, a JSON record under ``.snakemake/metadata/`` (the file named by
the output path in URL-safe base64, cut into pieces that fit a file name) with the ``input``
list of its job. verify uses it to trace a difference to the output it follows from, file by
file, rather than step by step. Reading it needs no Snakemake (the bookkeeping env has none);
where a record is missing or unreadable (another Snakemake, a tree copied without
``.snakemake/``) the caller falls back to the steps.
"""

import base64
import os
from collections.abc import Iterable
from pathlib import Path

from seedlock.trees import json_object

METADATA = Path(".snakemake") / "metadata"


def record_path(folder: Path, output: str) -> Path:
    """Where Snakemake's file backend keeps the record of ``output``."""
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    encoded = base64.urlsafe_b64encode(output.encode()).decode()
    pieces = [encoded[i : i + longest - 1] for i in range(0, len(encoded), longest - 1)]
    return folder.joinpath(*["@" + piece for piece in pieces[:-1]], pieces[-1])


def job_inputs(root: Path, outputs: Iterable[str]) -> dict[str, list[str]]:
    """Each output's job's input files, for the outputs Snakemake has a record of."""
    folder = root / METADATA
    if not folder.is_dir():
        return {}
    inputs = {}
    for output in outputs:
        record = json_object(record_path(folder, output))
        listed = record.get("input") if record is not None else None
        if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
            inputs[output] = listed
    return inputs


def recorded_outputs(root: Path, paths: Iterable[str]) -> set[str]:
    """The ``paths`` that Snakemake has a record of, that is, files some job of this workflow
    wrote (in this run or an earlier one, with this config or another)."""
    folder = root / METADATA
    if not folder.is_dir():
        return set()
    return {path for path in paths if record_path(folder, path).is_file()}
