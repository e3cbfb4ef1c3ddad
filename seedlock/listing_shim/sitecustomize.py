"""Loaded by every Python process of a probe's varied run (its folder is put first on PYTHONPATH):
directory listings come back in the reverse of the file system's order, so that code which relies
on that order, instead of sorting, writes different outputs in the two runs.

Not part of the seedlock package: nothing imports it but Python's own start-up.
"""

import os

_listdir, _scandir = os.listdir, os.scandir


class _ReversedScandir:
    """What ``os.scandir`` returns (an iterator and a context manager), reversed."""

    def __init__(self, iterator):
        with iterator:
            self._entries = list(iterator)  # taken from the end

    def __iter__(self):
        return self

    def __next__(self):
        if not self._entries:
            raise StopIteration
        return self._entries.pop()

    def close(self):
        self._entries = []

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


def listdir(path="."):
    return _listdir(path)[::-1]


def scandir(path="."):
    return _ReversedScandir(_scandir(path))


os.listdir, os.scandir = listdir, scandir
REVERSED_LISTINGS = True
