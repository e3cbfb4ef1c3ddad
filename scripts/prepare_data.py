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

        from experiment.datasets import GROUPS, TARGET, encode, load_dataset
        from seedlock.writers import write_csv, write_json

        features, target, taken, names = load_dataset(
            job.wildcards["dataset"], job.params.spec, job.input
        )
        table, classes = encode(features, target, job.params.task, names)
        write_csv(job.output.table, table)
        with open(job.output.table, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        meta = {
            "dataset": job.wildcards["dataset"],
            "source": dict(job.params.spec),
            "task": job.params.task,
            # What the config took of the source: these rows (a slice) and feature columns.
            **taken,
            "n_samples": len(table),
            "n_features": len(taken["features"]),
            "n_groups": int(table[GROUPS].nunique()) if GROUPS in table.columns else None,
        }
        if classes is not None:
            # labels: the target's values, in scikit-learn's order; classes: their names.
            meta.update(classes)
            counts = table[TARGET].value_counts()
            meta["class_counts"] = [int(counts[label]) for label in classes["labels"]]
        # The data version: the prepared table's own hash.
        meta["table_sha256"] = digest
        write_json(job.output.meta, meta)
        job.log.info("%d samples, rows %s, sha256 %s", len(table), taken["rows"], digest)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
