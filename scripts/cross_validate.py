"""cross_validate: cross-validation of one model on one dataset for one replicate."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import json

        import numpy as np
        import pandas as pd

        from experiment.datasets import split_table
        from experiment.estimators import build_estimator
        from experiment.evaluation import cross_validate
        from experiment.splitters import build_splitter, cv_splitter_spec
        from seedlock.writers import write_csv

        features, target, groups = split_table(pd.read_csv(job.input.table))
        cv = job.params.cv
        if cv["data"] == "train":
            with open(job.input.indices, encoding="utf-8") as handle:
                rows = np.asarray(json.load(handle)["train"])
        else:
            rows = np.arange(len(target))
        splitter = build_splitter(cv_splitter_spec(cv, job.params.task), job.seed)
        job.log.info("splitter %r", splitter)
        estimator = build_estimator(job.params.spec, job.seed, job.threads)
        folds, notes = cross_validate(
            estimator, features, target, groups, rows, splitter, job.params.metrics
        )
        for note in notes:
            job.log.info("%s", note)
        folds.insert(0, "replicate", int(job.wildcards["replicate"]))
        folds.insert(0, "model", job.wildcards["model"])
        folds.insert(0, "dataset", job.wildcards["dataset"])
        write_csv(job.output.folds, folds)
        job.log.info("%d folds over %d rows", len(folds), len(rows))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
