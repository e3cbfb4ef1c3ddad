"""Snakemake's locks left by a killed run: removed when no run of the workflow is alive; and one
run at a time that runs jobs.

Snakemake locks a working directory with files under ``.snakemake/locks/``; a run killed with
kill -9 leaves them, and every later run stops with "Directory cannot be locked" until someone
runs ``--unlock``, which would as readily unlock a directory a live run is using. Every Snakemake
process that parses the workflow here holds a lock of the kernel's (``flock``) on one file for
as long as it lives; the kernel drops it when the process dies, however it dies. A process that
finds nobody else holding it knows that Snakemake's lock files belong to no live run.

Snakemake's own lock is a check followed by a write, so two runs started at the same instant can
both pass the check and both run jobs, each deleting the other's outputs before it reruns them.
A run about to start jobs (Snakemake's ``onstart``, which dry runs and cluster jobs skip) takes
a second lock of the kernel's exclusively; a run that cannot take it stops before any job.
"""

import fcntl
import os
import time
from pathlib import Path

ALIVE = "seedlock-alive.lock"
RUNNING = "seedlock-running.lock"
# How long to wait for another process that holds the lock exclusively for an instant.
SHARED_WAIT_SECONDS = 10.0

_held: list[int] = []  # open for the life of the process: closing it would release the lock


def claim(workdir: Path = Path(".")) -> list[str]:
    """Hold the shared "alive" lock of ``workdir`` for the life of this process; when no other
    process holds it, first remove Snakemake's stale locks. Returns the files removed."""
    state = workdir / ".snakemake"
    state.mkdir(exist_ok=True)
    descriptor = os.open(state / ALIVE, os.O_RDWR | os.O_CREAT, 0o644)
    removed = []
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass  # another run of the workflow is alive here: its locks are its own
    else:
        locks = state / "locks"
        for path in sorted(locks.glob("*.lock")) if locks.is_dir() else []:
            path.unlink(missing_ok=True)
            removed.append(str(path))
    deadline = time.monotonic() + SHARED_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(descriptor)
                return removed  # unprotected, but Snakemake's own lock still guards the run
            time.sleep(0.05)
    _held.append(descriptor)
    return removed


def _holder_message(descriptor: int, workdir: Path) -> str:
    holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    which = f" (pid {holder})" if holder.isdigit() else ""
    return (
        f"another Snakemake run{which} is running jobs in {workdir.resolve()}; "
        "wait for it to end, then run again"
    )


def running_elsewhere(workdir: Path = Path(".")) -> str | None:
    """One line naming the run that holds the "running" lock, or None. The lock is only
    tested: this process holds nothing afterwards (a lock of its own would block its onstart)."""
    path = workdir / ".snakemake" / RUNNING
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder_message(descriptor, workdir)
    finally:
        os.close(descriptor)  # closing releases a lock taken here
    return None


def hold_running(workdir: Path = Path(".")) -> str | None:
    """Hold the exclusive "running" lock of ``workdir`` for the life of this process: None, or,
    when another process holds it, one line saying which."""
    path = workdir / ".snakemake" / RUNNING
    path.parent.mkdir(exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        message = _holder_message(descriptor, workdir)
        os.close(descriptor)
        return message
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, str(os.getpid()).encode("ascii"), 0)
    _held.append(descriptor)
    return None
