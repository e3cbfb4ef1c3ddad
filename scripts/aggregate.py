"""aggregate: every score in one long table, each replicate's cross-validation summary, and Table 1
(mean ± std across replicates) as CSV, Markdown and HTML."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import json

        from experiment.tables import (
            fold_summary,
            long_metrics,
            markdown_table_html,
            table_one,
            table_one_markdown,
            with_permutation_tests,
        )
        from seedlock.writers import write_csv, write_text

        long = long_metrics(job.input.metrics, job.input.folds)
        tests = []
        for path in job.input.tests:
            with open(path, encoding="utf-8") as handle:
                tests.append(json.load(handle))
        table = with_permutation_tests(table_one(long, job.params.metrics), tests)
        folds = fold_summary(job.input.folds, job.params.metrics)
        write_csv(job.output.long, long)
        write_csv(job.output.table, table)
        write_csv(job.output.cv_folds, folds)
        markdown = table_one_markdown(table, folds, job.params.metrics, tests)
        write_text(job.output.markdown, markdown)
        write_text(job.output.html, markdown_table_html(markdown, "Table 1"))
        job.log.info("%d scores, %d table rows", len(long), len(table))


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
