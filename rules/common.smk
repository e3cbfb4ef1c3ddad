# Helpers shared by the rules: config validation, seeds, threads and target lists.
# No rules here.
import os
import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy.
sys.path.insert(0, workflow.basedir)

from seedlock.config import validate_config
from seedlock.errors import SeedlockError
from seedlock.runtime import FIXED_ENVIRONMENT
from seedlock.seeds import job_seed, replicate_ids

# Inherited by every job this Snakemake process starts, locally or through a cluster executor.
os.environ.update(FIXED_ENVIRONMENT)


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    model=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    replicate=r"\d+",


def config_source():
    """How the config files are named in error messages: relative to the workflow folder."""
    names = [os.path.relpath(path) for path in workflow.configfiles]
    return ", ".join(names) or "config"


def validated_experiment():
    """The config with defaults filled in; exits with one clear line if it is invalid."""
    try:
        return validate_config(config, config_source(), Path.cwd())
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        sys.exit(2)


def dataset_files(wildcards):
    """A user CSV is an input of its prepare_data job, so editing it reruns what depends on it."""
    spec = experiment["datasets"][wildcards.dataset]
    return {"csv": spec["path"]} if spec["source"] == "csv" else {}


def seed_for(step):
    """A params function: the job's seed, from the root seed, the step and its wildcards."""
    return lambda wildcards: job_seed(
        experiment["seeds"], step, dict(wildcards.items())
    )


def threads_for(step):
    """Threads the config declares for a rule: they, not --cores, set the job's thread pools."""
    return experiment["threads"][step]


def datasets():
    return sorted(experiment["datasets"])


def models():
    return sorted(experiment["models"])


def replicates():
    return replicate_ids(experiment["seeds"])


def per_replicate(pattern, **fixed):
    """``pattern`` expanded over every dataset, model and replicate (unless fixed)."""
    values = {
        "dataset": datasets(),
        "model": models(),
        "replicate": replicates(),
    }
    values.update({key: [value] for key, value in fixed.items()})
    return expand(pattern, **values)
