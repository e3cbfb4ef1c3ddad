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

        from experiment.evaluation import analysis_of, learning_curve_table
        from seedlock.writers import write_csv

        table = pd.read_csv(job.input.table)
        analysis = analysis_of(table, job.params.cv, job.params.task, job.params.spec, job.seed)
        job.log.info("splitter %r, estimator %r", analysis.splitter, analysis.estimator)
        curve = learning_curve_table(analysis, job.params.scoring, job.params.train_sizes)
        curve.insert(0, "scoring", job.params.scoring)
        curve.insert(0, "model", job.wildcards["model"])
        curve.insert(0, "dataset", job.wildcards["dataset"])
        write_csv(job.output.curve, curve)
        job.log.info("%d sizes x folds", len(curve))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
