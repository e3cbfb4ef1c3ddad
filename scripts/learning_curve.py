"""learning_curve: one model's scores on one dataset as its training rows grow."""

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
        from experiment.estimators import build_estimator
        from experiment.evaluation import learning_curve_table
        from experiment.splitters import build_splitter, cv_splitter_spec
        from seedlock.writers import write_csv

        features, target, groups = split_table(pd.read_csv(job.input.table))
        splitter = build_splitter(cv_splitter_spec(job.params.cv, job.params.task), job.seed)
        # n_jobs=1: scikit-learn predicts inside this step, and a forest's predict_proba with
        # n_jobs>1 sums its trees in thread order, which changes the last bits from run to run.
        # The job's BLAS and OpenMP pools still get its threads.
        estimator = build_estimator(job.params.spec, job.seed, threads=1)
        job.log.info("splitter %r, estimator %r", splitter, estimator)
        curve = learning_curve_table(
            estimator,
            features,
            target,
            groups,
            splitter,
            job.params.scoring,
            job.params.train_sizes,
            job.seed,
        )
        curve.insert(0, "scoring", job.params.scoring)
        curve.insert(0, "model", job.wildcards["model"])
        curve.insert(0, "dataset", job.wildcards["dataset"])
        write_csv(job.output.curve, curve)
        job.log.info("%d sizes x folds", len(curve))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
