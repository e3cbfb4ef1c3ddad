"""verify: print the verification report into this rule's log, and fail the run if it failed.

Snakemake shows this log for a failed job (--show-failed-logs), so the explanation of every
difference ends up in front of the user.
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
        import json

        from seedlock.verify import report_text
        from seedlock.writers import write_text

        with open(job.input.report, encoding="utf-8") as handle:
            report = json.load(handle)
        text = report_text(report)
        sys.stderr.write(text)  # stderr is this rule's log
        if report["exit_code"] != 0:
            sys.stderr.flush()
            raise SystemExit(report["exit_code"])
        write_text(job.output.verdict, text)


if __name__ == "__main__":
    main(snakemake)  # noqa: F821  (injected by Snakemake)
