"""checksum_<step>: a sha256sum-compatible manifest of one step's outputs, with their sizes."""

import sys
from pathlib import Path

# The seedlock package these scripts ship in, not another installed copy. Everything else is
# imported inside main(), after start_job has set the thread variables that numpy and OpenMP
# read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seedlock.runtime import start_job


def main(snakemake):
    # Bookkeeping, with no numerical library to preload: its own interpreter starts as fast
    # as a fork would.
    with start_job(snakemake, fork=False) as job:
        from seedlock.checksums import hash_files, manifest_text
        from seedlock.writers import write_text

        entries = hash_files(Path.cwd(), list(job.input), workers=job.threads)
        write_text(job.output.manifest, manifest_text(entries))
        job.log.info("%d files, %d bytes", len(entries), sum(e.size for e in entries.values()))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
