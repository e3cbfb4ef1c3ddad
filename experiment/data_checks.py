"""The datasets as the jobs will see them, checked when the config is: numeric, finite, complete,
at least two classes, and enough rows and class members for the held-out split and the folds.

``prepare_data`` loads each dataset with the same functions, so a dataset that passes here loads
there; what passes is remembered (by the datasets' config, the CSV files' bytes and the installed
packages), so that reruns do not load the data again in the Snakemake driver.
"""

import hashlib
import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from experiment.datasets import CLASSIFICATION, DataError, encode, load_dataset
from experiment.splitters import stratified
from seedlock.checksums import file_sha256
from seedlock.errors import ConfigError
from seedlock.writers import write_text


def check_data(
    config: Mapping, source: str, base_dir: Path, task: str, remember: Path | None = None
) -> None:
    """Raise ``ConfigError`` for the first dataset that a job would fail on."""
    key = _key(config, base_dir, task)
    if remember is not None and remember.is_file() and remember.read_text().strip() == key:
        return
    for name, spec in config["datasets"].items():
        where = f"datasets.{name}"
        # Named in messages as the user would: relative to the working directory.
        csv = os.path.relpath(base_dir / spec["path"]) if spec["source"] == "csv" else None
        files = {"csv": csv} if csv else {}
        try:
            features, target, _, names = load_dataset(name, spec, files)
            encode(features, target, task, names)
        except DataError as error:
            field, _, problem = str(error).partition(": ")
            if field.startswith(where):
                raise ConfigError(source, field, problem) from None
            raise ConfigError(source, where, str(error)) from None
        if task == CLASSIFICATION:
            counts = target.value_counts().tolist()
            _check_split(source, config, name, len(target), counts, task)
            _check_folds(source, config, name, len(target), counts, task)
    if remember is not None:
        write_text(remember, key + "\n")


def _key(config: Mapping, base_dir: Path, task: str) -> str:
    import pandas
    import sklearn

    files = {
        name: file_sha256(base_dir / spec["path"])
        for name, spec in config["datasets"].items()
        if spec["source"] == "csv" and (base_dir / spec["path"]).is_file()
    }
    parts = [
        sys.executable,
        sklearn.__version__,
        pandas.__version__,
        task,
        {key: config[key] for key in ("datasets", "split", "cross_validation")},
        files,
    ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def held_out_count(test_size, n_samples: int) -> int:
    # train_test_split's own rounding: a fraction rounds the test part up.
    return test_size if isinstance(test_size, int) else math.ceil(test_size * n_samples)


def _check_split(source, config, name, n_samples, counts, task) -> None:
    split = config["split"]
    if split.get("splitter"):
        return
    if not (
        stratified(split["stratify"], task) and (split["shuffle"] or split["stratify"] is True)
    ):
        return
    n_test = held_out_count(split["test_size"], n_samples)
    n_classes = len(counts)
    if min(counts) < 2:
        raise ConfigError(
            source,
            "split.stratify",
            f"a class of dataset {name} has a single sample, which a stratified split cannot "
            "put in both parts; drop that class's rows or set stratify: false",
        )
    for part, size in (("test", n_test), ("training", n_samples - n_test)):
        if size < n_classes:
            raise ConfigError(
                source,
                "split.test_size",
                f"leaves {size} {part} samples of dataset {name}, fewer than its {n_classes} "
                "classes, so a stratified split cannot give each class one; "
                + ("use a larger test_size" if part == "test" else "use a smaller test_size"),
            )


def _check_folds(source, config, name, n_samples, counts, task) -> None:
    cv = config["cross_validation"]
    if cv.get("splitter") or not stratified(cv["stratify"], task):
        return
    split = config["split"]
    share = 1.0
    if cv["data"] == "train" and not split.get("splitter"):
        share = 1 - held_out_count(split["test_size"], n_samples) / n_samples
    largest = math.floor(max(counts) * share)
    if cv["folds"] > largest:
        raise ConfigError(
            source,
            "cross_validation.folds",
            f"{cv['folds']} stratified folds need a class with at least {cv['folds']} samples; "
            f"the largest class of dataset {name} has about {largest} in the cross-validated "
            "data; use fewer folds",
        )
