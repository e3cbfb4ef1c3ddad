# The experiment's helpers for its rules: config validation and the values of its wildcards.
# seedlock's own helpers (settings, seeds, threads, code digests) come from
# seedlock/workflow/common.smk, included before this file. No rules here.
import sys
from pathlib import Path

# The workflow's own experiment package (SOURCE: the workflow's folder, from seedlock's common.smk).
sys.path.insert(0, str(SOURCE))

from experiment.config import (
    ANALYSES,
    analysis_scoring,
    experiment_task,
    selected_models,
    validate_config,
)
from seedlock.rule_graph import expand_pattern
from seedlock.seeds import replicate_ids


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    model=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    replicate=r"\d+",


# Remembers a config whose estimators, scorers and splitters passed the import checks.
CHECKED = Path(".snakemake", "seedlock", "checked-models")


def validated_experiment():
    """The config with defaults filled in; exits with one clear line if it is invalid.
    Models that passed the import check with the same packages are not imported again.
    """
    try:
        validated = validate_config(
            config, config_source(), Path.cwd(), checked_models=CHECKED
        )
    except SeedlockError as error:
        stop(error)
    # As Snakemake's validate() does: the defaults go into config, which seedlock records.
    config.update(validated)
    return validated


def validated_task():
    """The experiment's task; the check behind it ran (or was remembered) in validation."""
    try:
        return experiment_task(experiment, config_source(), CHECKED)
    except SeedlockError as error:
        stop(error)


def dataset_files(wildcards):
    """A user CSV is an input of its prepare_data job, so editing it reruns what depends on it."""
    spec = experiment["datasets"][wildcards.dataset]
    return {"csv": spec["path"]} if spec["source"] == "csv" else {}


# The figures rule's second figure, by task.
DETAIL_FIGURE = {
    "classification": "confusion_matrices",
    "regression": "regression_diagnostics",
}


def datasets():
    return sorted(experiment["datasets"])


def models():
    return sorted(experiment["models"])


def replicates():
    return replicate_ids(experiment["seeds"])


def wildcard_values(step):
    """Every value of each wildcard ``step``'s outputs name: its outputs for this config are
    its output patterns filled with every combination (see seedlock/rule_graph.py). The
    analyses the config limits to some models (permutation_test, learning_curve) have those.
    """
    values = {"dataset": datasets(), "model": models(), "replicate": replicates()}
    if step in ANALYSES:
        values["model"] = selected_models(experiment, step)
    return values


def outputs_of(step, pattern):
    """Every file ``pattern`` (an output of ``step``) names for this config."""
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    values = wildcard_values(step)
    return [path for each in patterns for path in expand_pattern(each, values)]


def per_replicate(pattern):
    """``pattern`` expanded over every dataset, model and replicate."""
    return outputs_of("train", pattern)
