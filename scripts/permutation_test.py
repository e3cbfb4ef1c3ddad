"""permutation_test: is one model's cross-validated score on one dataset better than chance?"""

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
        from experiment.evaluation import permutation_test
        from experiment.splitters import build_splitter, cv_splitter_spec
        from seedlock.writers import write_json

        features, target, groups = split_table(pd.read_csv(job.input.table))
        splitter = build_splitter(cv_splitter_spec(job.params.cv, job.params.task), job.seed)
        # n_jobs=1: scikit-learn predicts inside this step, and a forest's predict_proba with
        # n_jobs>1 sums its trees in thread order, which changes the last bits from run to run.
        # The job's BLAS and OpenMP pools still get its threads.
        estimator = build_estimator(job.params.spec, job.seed, threads=1)
        job.log.info("splitter %r, estimator %r", splitter, estimator)
        result = permutation_test(
            estimator,
            features,
            target,
            groups,
            splitter,
            job.params.scoring,
            job.params.n_permutations,
            job.seed,
        )
        write_json(job.output.test, {**job.wildcards, **result})
        job.log.info("%s %.6g, p = %.6g", result["scoring"], result["score"], result["p_value"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
