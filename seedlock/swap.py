"""Replace a folder so that a kill at any instant leaves the old or the new one in its place.

Linux exchanges two folders in one step (``renameat2`` with ``RENAME_EXCHANGE``, on ext4, xfs,
btrfs, tmpfs and overlayfs): the target's name never points at nothing. File systems without it
(NFS) get two renames, the old folder first parked as ``.<name>.retired``; a kill between them is
undone by ``recover``, which every writer runs first. Writers hold ``exclusive`` on the parent
folder, so a leftover found under it belongs to no live writer and can be removed.
"""

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

RENAME_EXCHANGE = 2
AT_FDCWD = -100
STAGING = ".staging-"
RETIRED = ".retired"


def _renameat2():
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (glibc before 2.28, musl)
        return None


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders' names in one step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@contextlib.contextmanager
def exclusive(folder: Path):
    """Hold an exclusive lock on ``folder`` (released when the process dies, even by kill -9)."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def staging_folder(target: Path) -> Path:
    """A new hidden folder beside ``target`` to build its replacement in."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING}", dir=target.parent))


def recover(parent: Path) -> list[str]:
    """Under ``exclusive(parent)``: put back a folder that a kill left parked, and remove the
    staging folders and parked copies of killed writers. Returns what it did, for the user."""
    done = []
    if not parent.is_dir():
        return done
    for entry in sorted(parent.iterdir()):
        name = entry.name
        if not name.startswith(".") or not entry.is_dir() or entry.is_symlink():
            continue
        if name.endswith(RETIRED):
            original = parent / name[1 : -len(RETIRED)]
            if not original.exists():
                entry.rename(original)
                done.append(f"restored {original} (a replacement was interrupted)")
                continue
        elif STAGING not in name:
            continue
        shutil.rmtree(entry)
        done.append(f"removed {entry} (left by an interrupted writer)")
    return done


def replace_folder(staging: Path, target: Path) -> None:
    """Put ``staging`` in ``target``'s place and remove the old ``target``."""
    if not target.exists():
        staging.rename(target)
        return
    if exchange(staging, target):
        shutil.rmtree(staging)  # now the old folder
        return
    retired = target.with_name(f".{target.name}{RETIRED}")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired)
