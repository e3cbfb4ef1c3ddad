"""seedlock: regenerate machine-learning results bit for bit, and prove it."""

from pathlib import Path

__version__ = "0.1.0"


def snakefile(name: str) -> str:
    """The path of one of seedlock's rule files, for a workflow's ``include:``: ``common.smk``
    (settings, seeds, threads, pinned compute; first) or ``verify.smk`` (checksums, run record,
    verify; last)."""
    path = Path(__file__).resolve().parent / "workflow" / name
    if not path.is_file():
        raise FileNotFoundError(f"seedlock has no rule file {name!r}: common.smk or verify.smk")
    return str(path)
