"""verify_report: compare this run's outputs with its config's references; write the report.

It succeeds whenever the comparison could be made, so the report survives a failed verification;
the verify rule then passes or fails on it.
"""

import sys
from pathlib import Path

# The seedlock package these scripts ship in, not another installed copy. Everything else is
# imported inside main(), after start_job has set the thread variables that numpy and OpenMP
# read as they load.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from seedlock.runtime import start_job


def main(snakemake):
    # Bookkeeping, with no numerical library to preload: its own interpreter starts as fast
    # as a fork would.
    with start_job(snakemake, fork=False) as job:
        from seedlock.checksums import read_manifest
        from seedlock.profiles import parse_json, read_fingerprints, validate_run_record
        from seedlock.report_page import verification_page
        from seedlock.trees import current_entries
        from seedlock.verification import verify_run
        from seedlock.verify import Settings
        from seedlock.writers import write_json, write_text

        Path(job.params.stale_verdict).unlink(missing_ok=True)
        root = Path(".")  # relative, so that messages name files as the user sees them
        manifests = {}
        for path in job.input.manifests:
            manifests.update(read_manifest(path))
        record = job.input.record
        fix = f"remove {record} and rerun the workflow"
        run = validate_run_record(parse_json(Path(record), fix), record)
        report = verify_run(
            root,
            run,
            read_fingerprints(job.input.fingerprints),
            current_entries(root, manifests),
            Settings.from_config(job.params.settings),
            declared=manifests.keys(),
        )
        write_json(job.output.json, report)
        write_text(job.output.html, verification_page(report))
        job.log.info("verify %s against %s", report["status"], report["profile"]["reference"])


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
