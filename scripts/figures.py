"""figures: held-out metric bars and confusion matrices, as PNG and SVG."""

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

        from seedlock.figures import confusion_counts, confusion_grid, metric_bars
        from seedlock.writers import write_figure

        long = pd.read_csv(job.input.long)
        class_names = {}
        for path in job.input.meta:
            with open(path, encoding="utf-8") as handle:
                meta = json.load(handle)
            class_names[meta["dataset"]] = meta["classes"]
        counts = {}
        for path in job.input.predictions:
            # results/evaluate/{dataset}/{model}/rep{replicate}.predictions.csv
            dataset, model = Path(path).parts[-3:-1]
            pooled = counts.setdefault((dataset, model), 0)
            counts[(dataset, model)] = pooled + confusion_counts(
                pd.read_csv(path), len(class_names[dataset])
            )
        bars = metric_bars(long, job.params.metrics)
        write_figure(job.output.bars_png, bars)
        write_figure(job.output.bars_svg, bars)
        confusion = confusion_grid(counts, class_names)
        write_figure(job.output.confusion_png, confusion)
        write_figure(job.output.confusion_svg, confusion)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
