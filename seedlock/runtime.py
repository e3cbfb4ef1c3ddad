"""What every job does first: pin threads, seed the global generators, send stderr to the log.

This module imports only the standard library at load time: the thread variables must be in the
environment before numpy, OpenBLAS or OpenMP are loaded, because those read them once, at load.
"""

import contextlib
import json
import logging
import os
import random
import sys

from seedlock import forkserver
from seedlock.compute import KERNEL_VARIABLES
from seedlock.errors import SeedlockError

# Constant for every job, set by the workflow (seedlock/workflow/common.smk) before any job starts.
# PYTHONHASHSEED only takes effect when an interpreter starts: a job cannot set it for itself.
FIXED_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    # 2000-01-01T00:00:00Z: the date written into SVG and PDF metadata, instead of "now".
    "SOURCE_DATE_EPOCH": "946684800",
    "TZ": "UTC",
    "LC_ALL": "C.UTF-8",
}

# `seedlock probe` sets this to a JSON object that replaces some of the values above in its
# varied run, to show that no output depends on them.
PROBE_OVERRIDES = "SEEDLOCK_PROBE_ENVIRONMENT"

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def fixed_environment() -> dict[str, str]:
    """FIXED_ENVIRONMENT, with the values a probe varies replaced."""
    try:
        overrides = json.loads(os.environ.get(PROBE_OVERRIDES) or "{}")
    except json.JSONDecodeError:
        raise SeedlockError(f"{PROBE_OVERRIDES}: not a JSON object; unset it") from None
    if not isinstance(overrides, dict) or set(overrides) - set(FIXED_ENVIRONMENT):
        raise SeedlockError(
            f"{PROBE_OVERRIDES}: must map some of {', '.join(FIXED_ENVIRONMENT)} to values; "
            "unset it"
        )
    return {**FIXED_ENVIRONMENT, **{name: str(value) for name, value in overrides.items()}}


def job_environment(threads: int) -> dict[str, str]:
    """The environment variables determinism depends on, for a job with ``threads`` threads."""
    return {**fixed_environment(), **{name: str(threads) for name in THREAD_VARIABLES}}


class Job:
    """The parts of Snakemake's ``snakemake`` object a step uses, plus its pinned settings."""

    def __init__(self, snakemake):
        self.input = snakemake.input
        self.output = snakemake.output
        self.params = snakemake.params
        self.wildcards = dict(snakemake.wildcards.items())
        self.rule = snakemake.rule
        self.seed = int(snakemake.params.seed)
        self.threads = int(snakemake.params.threads)
        self.log = logging.getLogger(f"seedlock.{self.rule}")


@contextlib.contextmanager
def start_job(snakemake, fork: bool = True):
    """Set up a job and yield a ``Job``; a failure is logged with its traceback, then re-raised.

    With ``fork``, the job's script runs in a fork of a warm interpreter when one can be had
    (see seedlock/forkserver.py): then this process exits here with that child's status, and the
    body of the ``with`` block runs only in the child.
    """
    job = Job(snakemake)
    environment = job_environment(job.threads)
    if fork:
        how_started = forkserver.hand_over(environment)
    else:
        how_started = "started in its own interpreter: a step that loads no numerical library"
    with open(snakemake.log[0], "w", encoding="utf-8") as log_file:
        # Send both Python's and C libraries' stderr to the rule's log.
        sys.stderr.flush()
        os.dup2(log_file.fileno(), 2)
        sys.stderr = log_file
        logging.basicConfig(
            stream=log_file,
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            force=True,
        )
        logging.captureWarnings(True)
        os.environ.update(environment)
        _seed_global_generators(job.seed)
        _pin_thread_pools(job.threads)
        job.log.info(
            "job %s %s seed=%d threads=%d environment=%s",
            job.rule,
            json.dumps(job.wildcards, sort_keys=True),
            job.seed,
            job.threads,
            json.dumps(
                {name: os.environ.get(name) for name in (*environment, *KERNEL_VARIABLES)},
                sort_keys=True,
            ),
        )
        job.log.info("%s", how_started)
        try:
            yield job
            _check_kernels(job)
            if forkserver.IN_CHILD:
                job.log.info("%s", forkserver.job_resources())
        except SeedlockError as error:
            # A user's mistake (e.g. a text column in a CSV): one line in the log, no traceback.
            job.log.error("%s", error)
            raise SystemExit(f"seedlock: error: {error}") from None
        except Exception:
            job.log.exception("job failed")
            raise
        finally:
            # The log file closes when this block ends; what Python prints after it (the exit
            # message of a failed job) goes to file descriptor 2, which is the log too, instead
            # of a closed stream ("lost sys.stderr").
            log_file.flush()
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 (lives on)


def _check_kernels(job: Job) -> None:
    """The kernels this job really computed with, in its log; under a compute baseline, a job
    whose BLAS or numpy escaped the pins fails, so its outputs are not kept."""
    from seedlock.compute import describe, kernels_in_use, violations

    kernels = kernels_in_use()
    job.log.info("%s", describe(kernels))
    problems = violations(kernels)
    if problems:
        raise SeedlockError(f"{job.rule}: " + "; ".join(problems))


def _seed_global_generators(seed: int) -> None:
    # Steps pass their seed explicitly everywhere; seeding the global generators is a guard
    # against library code that draws from them unseeded. The bookkeeping env has no numpy.
    random.seed(seed)
    try:
        import numpy as np
    except ImportError:
        return
    np.random.seed(seed)


def _pin_thread_pools(threads: int) -> None:
    # The variables cover pools loaded from now on; this covers any loaded before them.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return  # no numerical libraries in this env, so no thread pools to pin
    threadpool_limits(limits=threads)
