"""environment: the fingerprint of one env, taken inside it, as its steps see it."""

import sys
from pathlib import Path

# The seedlock package these scripts ship in, not another installed copy. Everything else is
# imported inside main(), after start_job has set the thread variables that numpy and OpenMP
# read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seedlock.runtime import start_job


def main(snakemake):
    # Bookkeeping, with no numerical library to preload: its own interpreter starts as fast
    # as a fork, and the fingerprint describes an interpreter that loaded only what it needs.
    with start_job(snakemake, fork=False) as job:
        from seedlock.fingerprint import fingerprint
        from seedlock.writers import write_json

        # The workflow's folder, where its scripts and packages are; jobs run in the working
        # directory, which may be another.
        workflow = Path(job.params.workflow).resolve()
        record = fingerprint(job.wildcards["env"], job.params.scripts, workflow)
        write_json(job.output.fingerprint, record)
        job.log.info(
            "%s mode, %d packages, %d modules from %d scripts",
            record["mode"],
            len(record["packages"]),
            len(record["modules"]),
            len(job.params.scripts),
        )


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
