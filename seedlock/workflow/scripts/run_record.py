"""run_record: what this run was made from (config, seeds, threads), for verify and bless.

A file of its own, independent of the references, so that bless can read it even when the
comparison could not be made.
"""

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
        from seedlock.writers import write_json

        write_json(job.output.record, dict(job.params.record))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
