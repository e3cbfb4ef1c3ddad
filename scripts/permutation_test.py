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

        from experiment.evaluation import analysis_of, permutation_test
        from seedlock.writers import write_json

        table = pd.read_csv(job.input.table)
        analysis = analysis_of(table, job.params.cv, job.params.task, job.params.spec, job.seed)
        job.log.info("splitter %r, estimator %r", analysis.splitter, analysis.estimator)
        result = permutation_test(analysis, job.params.scoring, job.params.n_permutations)
        write_json(job.output.test, {**job.wildcards, **result})
        job.log.info("%s %.6g, p = %.6g", result["scoring"], result["score"], result["p_value"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
