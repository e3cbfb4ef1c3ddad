"""Helpers for the tests that start from one blessed tiny run (the ``blessed`` and ``damaged``
fixtures in conftest.py)."""

from pathlib import Path

from seedlock.cli import main as seedlock_main
from seedlock.profiles import REFERENCES, reference_folders
from seedlock.trees import tree_graph
from tests.conftest import run_snakemake

TINY = "tests/config/tiny.yaml"


def run_workflow(workdir: Path, *targets: str, cores: int = 2, check: bool = True):
    # Targets go first: --configfile takes every word after it.
    return run_snakemake(
        workdir, *targets, "--cores", str(cores), "--configfile", TINY, check=check
    )


def seedlock(workdir: Path, capsys, monkeypatch, *arguments: str) -> tuple[int, str, str]:
    """Run the seedlock CLI in-process in ``workdir``; (exit code, stdout, stderr)."""
    monkeypatch.chdir(workdir)
    capsys.readouterr()
    code = seedlock_main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def outputs(workdir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(workdir))
        for p in (workdir / "results").rglob("*")
        if p.is_file() and tree_graph(workdir).step_of(str(p.relative_to(workdir)))
    )


def reference_folder(workdir: Path) -> Path:
    (folder,) = reference_folders(workdir / REFERENCES)
    return folder


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
