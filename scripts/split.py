"""split: the held-out split of one dataset for one replicate."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import pandas as pd

        from experiment.datasets import split_table
        from experiment.splitters import holdout_split
        from seedlock.writers import write_json

        _, target, groups = split_table(pd.read_csv(job.input.table))
        split = holdout_split(target, groups, job.params.split, job.params.task, job.seed)
        write_json(job.output.indices, {**split, "seed": job.seed})
        job.log.info("%d train, %d test rows", len(split["train"]), len(split["test"]))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
