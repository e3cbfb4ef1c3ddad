"""evaluate: scores and per-sample predictions of one trained model on its held-out rows."""

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

        from experiment.datasets import CLASSIFICATION, split_table
        from experiment.evaluation import class_scores, prediction_table
        from experiment.scoring import score
        from seedlock.writers import read_pickle, write_csv, write_json

        features, target, _ = split_table(pd.read_csv(job.input.table))
        with open(job.input.indices, encoding="utf-8") as handle:
            split = json.load(handle)
        test_rows = np.asarray(split["test"])
        estimator = read_pickle(job.input.model)
        values, notes = score(estimator, features[test_rows], target[test_rows], job.params.metrics)
        for note in notes:
            job.log.info("%s", note)
        result = {
            **job.wildcards,
            "replicate": int(job.wildcards["replicate"]),
            "n_train": len(split["train"]),
            "n_test": len(test_rows),
        }
        scores = None
        if job.params.task == CLASSIFICATION:
            scores, result["scores_are_probabilities"] = class_scores(
                estimator, features[test_rows], np.unique(target)
            )
        predicted = estimator.predict(features[test_rows])
        write_csv(
            job.output.predictions,
            prediction_table(test_rows, target[test_rows], predicted, scores),
        )
        write_json(job.output.metrics, {**result, "metrics": values})
        job.log.info("metrics %s", values)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
