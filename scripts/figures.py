"""figures: held-out score bars, and confusion matrices (classification) or predicted against true
values and residuals (regression), as PNG and SVG."""

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

        from experiment.datasets import CLASSIFICATION
        from experiment.figures import (
            confusion_counts,
            confusion_grid,
            metric_bars,
            regression_grid,
        )
        from seedlock.writers import write_figure

        long = pd.read_csv(job.input.long)
        bars = metric_bars(long, job.params.metrics)
        write_figure(job.output.bars_png, bars)
        write_figure(job.output.bars_svg, bars)
        # results/evaluate/{dataset}/{model}/rep{replicate}.predictions.csv
        pooled = {}
        for path in job.input.predictions:
            dataset, model = Path(path).parts[-3:-1]
            pooled.setdefault((dataset, model), []).append(pd.read_csv(path))
        if job.params.task == CLASSIFICATION:
            class_names, labels = {}, {}
            for path in job.input.meta:
                with open(path, encoding="utf-8") as handle:
                    meta = json.load(handle)
                class_names[meta["dataset"]] = meta["classes"]
                labels[meta["dataset"]] = meta["labels"]
            counts = {
                key: sum(confusion_counts(table, labels[key[0]]) for table in tables)
                for key, tables in pooled.items()
            }
            detail = confusion_grid(counts, class_names)
        else:
            detail = regression_grid(
                {key: pd.concat(tables, ignore_index=True) for key, tables in pooled.items()}
            )
        write_figure(job.output.detail_png, detail)
        write_figure(job.output.detail_svg, detail)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
