"""learning_curves: the learning curve of every drawn (dataset, model), one panel per dataset."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import pandas as pd

        from experiment.figures import learning_curve_grid
        from seedlock.writers import write_figure

        # results/learning_curve/{dataset}/{model}.csv
        curves = {
            (Path(path).parent.name, Path(path).stem): pd.read_csv(path)
            for path in job.input.curves
        }
        figure = learning_curve_grid(curves, job.params.scoring)
        write_figure(job.output.png, figure)
        write_figure(job.output.svg, figure)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
