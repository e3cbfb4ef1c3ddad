"""Hashing: seedlock's hasher against `openssl dgst -sha256`, parallel against one worker, and
BLAKE3 (`b3sum`, where installed) against SHA-256, on the same data split into files.

    .venv/bin/python benchmarks/hashing.py                # 1 GiB in 256 files of 4 MiB
    .venv/bin/python benchmarks/hashing.py --smoke        # 16 MiB, one round: does it still run?

The files are read once before timing, so every contender hashes from the page cache and the
figures compare hashing, not the disk.
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from common import best_of, report, run

from seedlock.checksums import hash_files


def make_files(folder: Path, total: int, count: int) -> list[str]:
    size = total // count
    names = []
    for index in range(count):
        name = f"part{index:04d}.bin"
        (folder / name).write_bytes(os.urandom(size))
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="total size in MiB")
    parser.add_argument("--files", type=int, default=256, help="number of files")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="16 MiB, 8 files, one round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.mib, arguments.files, arguments.rounds = 16, 8, 1

    folder = Path(tempfile.mkdtemp(prefix="seedlock-bench-hash-"))
    try:
        names = make_files(folder, arguments.mib * 2**20, arguments.files)
        paths = [str(folder / name) for name in names]
        hash_files(folder, names, workers=1)  # warm the page cache

        def openssl():
            run(["openssl", "dgst", "-sha256", *paths])

        def sha256sum():
            run(["sha256sum", *paths])

        def seedlock_one_worker():
            hash_files(folder, names, workers=1)

        def seedlock_all_cores():
            hash_files(folder, names)

        contenders = [openssl, sha256sum, seedlock_one_worker, seedlock_all_cores]
        b3sum = shutil.which("b3sum")
        if b3sum:

            def blake3_one_thread():
                run([b3sum, "--num-threads", "1", *paths])

            def blake3_all_cores():
                run([b3sum, *paths])

            contenders += [blake3_one_thread, blake3_all_cores]
        times = dict(
            zip(
                (f.__name__ for f in contenders),
                best_of(arguments.rounds, *contenders),
                strict=True,
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    mib = arguments.mib
    figures = {
        "data": f"{mib} MiB in {arguments.files} files",
        "seconds": {name: round(seconds, 3) for name, seconds in times.items()},
        "mib_per_second": {name: round(mib / seconds, 1) for name, seconds in times.items()},
        # Goal >= 0.95: one seedlock worker hashes at least 95 % as fast as openssl on one core.
        "seedlock_vs_openssl_per_core": round(times["openssl"] / times["seedlock_one_worker"], 3),
        # Goal >= 1.8 on 2 cores.
        "parallel_speedup": round(times["seedlock_one_worker"] / times["seedlock_all_cores"], 3),
        "workers": os.cpu_count(),
    }
    if b3sum:
        figures["blake3_vs_sha256_one_core"] = round(
            times["seedlock_one_worker"] / times["blake3_one_thread"], 3
        )
        figures["blake3_vs_sha256_all_cores"] = round(
            times["seedlock_all_cores"] / times["blake3_all_cores"], 3
        )
    else:
        figures["blake3"] = "b3sum not installed (Debian: apt-get install b3sum)"
    report("hashing", figures, arguments.json)


if __name__ == "__main__":
    main()
