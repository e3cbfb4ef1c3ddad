"""train: fit one model on the training part of one split and save it."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import json

        import pandas as pd

        from experiment.datasets import split_table
        from experiment.estimators import build_estimator, single_threaded_for_prediction
        from seedlock.writers import write_pickle

        features, target, _ = split_table(pd.read_csv(job.input.table))
        with open(job.input.indices, encoding="utf-8") as handle:
            train_rows = json.load(handle)["train"]
        estimator = build_estimator(job.params.spec, job.seed, job.threads)
        job.log.info("fitting %s on %d rows", estimator, len(train_rows))
        estimator.fit(features[train_rows], target[train_rows])
        single_threaded_for_prediction(estimator)
        write_pickle(job.output.model, estimator)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
