"""Shared test helpers: a temporary copy of the workflow, and Snakemake runs inside it."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "config" / "tiny.yaml"

# What a user's checkout holds that a run needs; results, logs and .snakemake are left behind.
WORKFLOW_PARTS = (
    "Snakefile",
    "config.yaml",
    "workflow",
    "config",
    "requirements.lock",
    "rules",
    "scripts",
    "seedlock",
    "experiment",
    "schemas",
    "envs",
    "profiles",
    "report",
    "examples",
    "tests/config",
)


def copy_workflow(destination: Path) -> Path:
    """Copy the workflow's own files into ``destination`` (created), as a user checkout would be."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=ignore)
        else:
            (destination / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / part)
    return destination


def run_snakemake(
    workdir: Path, *arguments: str, check: bool = True, environment: dict | None = None
) -> subprocess.CompletedProcess:
    """Run this interpreter's Snakemake in ``workdir``; output is captured for assertions.
    ``environment`` replaces this process's environment."""
    environment = {
        k: v for k, v in (environment or os.environ).items() if not k.startswith("SNAKEMAKE")
    }
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", *arguments],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )
    if check and completed.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(arguments)} exited {completed.returncode}\n"
            f"--- stderr ---\n{completed.stderr[-6000:]}"
        )
    return completed


def run_seedlock(
    workdir: Path, *arguments: str, timeout: int = 1800
) -> subprocess.CompletedProcess:
    """Run this interpreter's ``seedlock`` command in ``workdir``; output is captured."""
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *arguments],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tree_digests(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by path relative to it."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def write_reference(tree: Path, paths, parent: Path, keep=()) -> Path:
    """A reference profile of ``paths`` under ``tree``, laid out and cross-checked as bless
    writes one, in ``parent`` (a references/ folder): the committed profile's provenance with
    these outputs' manifest digest and steps, and copies of the outputs in ``keep``. Returns
    its folder."""
    import json

    from seedlock.checksums import hash_files, manifest_text
    from seedlock.profiles import (
        CHECKSUMS,
        PROVENANCE,
        REFERENCES,
        VALUES,
        blessed_steps,
        graph_of,
        reference_folders,
    )

    committed = reference_folders(REPO / REFERENCES)[0]
    provenance = json.loads((committed / PROVENANCE).read_text(encoding="utf-8"))
    entries = hash_files(tree, paths)
    manifest = manifest_text(entries).encode("utf-8")
    provenance["manifest"] = {
        "sha256": hashlib.sha256(manifest).hexdigest(),
        "outputs": len(entries),
    }
    provenance["steps"] = blessed_steps(graph_of(provenance), entries)
    # As if the outputs not kept were too large for a copy.
    not_kept = [entry.size for path, entry in entries.items() if path not in keep]
    if not_kept:
        provenance["values_max_bytes"] = min(not_kept) - 1
    # Under its config's folder, as in references/<config>/<profile>/.
    folder = parent / committed.parent.name / provenance["profile"]
    folder.mkdir(parents=True)
    (folder / PROVENANCE).write_text(json.dumps(provenance), encoding="utf-8")
    (folder / CHECKSUMS).write_bytes(manifest)
    for path in keep:
        (folder / VALUES / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / VALUES / path).write_bytes((tree / path).read_bytes())
    return folder


# A stand-in for a live run: it holds both of seedlock's run locks until its stdin is closed.
_HOLD_RUN_LOCKS = (
    "import sys\n"
    "from seedlock.run_lock import claim, hold_running\n"
    "claim()\n"
    "assert hold_running() is None\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def hold_run_locks(workdir: Path) -> subprocess.Popen:
    """A process in ``workdir`` that holds the "alive" and "running" locks as a live run does,
    until the caller closes its stdin or kills it."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD_RUN_LOCKS],
        cwd=workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process
