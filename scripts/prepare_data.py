"""prepare_data: load one dataset, encode its classes, write the table and its metadata."""

import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy. Everything else is imported inside
# main(), after start_job has set the thread variables that numpy and OpenMP read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seedlock.runtime import start_job


def main(snakemake):
    with start_job(snakemake) as job:
        import hashlib

        from seedlock.datasets import encode, load_dataset
        from seedlock.writers import write_csv, write_json

        features, labels = load_dataset(job.wildcards["dataset"], job.params.spec, job.input)
        table, classes = encode(features, labels)
        write_csv(job.output.table, table)
        with open(job.output.table, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        write_json(
            job.output.meta,
            {
                "dataset": job.wildcards["dataset"],
                "source": dict(job.params.spec),
                "n_samples": len(table),
                "n_features": table.shape[1] - 1,
                "classes": classes,
                "class_counts": table["target"].value_counts().sort_index().tolist(),
                # The data version: the prepared table's own hash.
                "table_sha256": digest,
            },
        )
        job.log.info("%d samples, %d classes, sha256 %s", len(table), len(classes), digest)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
