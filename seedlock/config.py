"""Load and validate the experiment configuration.

The JSON schema (``schemas/config.schema.yaml``) checks shapes and fills defaults; the checks here
cover what a schema cannot see: that an estimator imports, that its hyperparameters exist, that a
CSV file and its columns are there. Every problem becomes one ``ConfigError`` line naming the key.
"""

import copy
import csv
import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import yaml

from seedlock.errors import ConfigError
from seedlock.estimators import check_model_spec, step_specs
from seedlock.writers import write_text

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"

SKLEARN_DATASETS = ("breast_cancer", "digits", "iris", "wine")


def _fill_defaults(validator_class):
    """A validator class that also writes each missing property's default into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties_with_defaults})


DefaultFillingValidator = _fill_defaults(jsonschema.Draft202012Validator)


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def key_path(parts) -> str:
    """``models.svc.params.C`` or ``metrics[0]`` from a jsonschema path, or ``(top level)``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def package_stamp(class_path: str) -> list | None:
    """Where the top-level package of ``class_path`` is installed, and when it was last written,
    found without importing it; None if it is not installed."""
    spec = importlib.util.find_spec(class_path.split(".", 1)[0])
    if spec is None or spec.origin is None:
        return None
    stat = os.stat(spec.origin)
    return [spec.origin, stat.st_mtime_ns, stat.st_size]


def check_models(source: str, models: Mapping, checked: Path | None) -> None:
    """Import every model's classes and check their hyperparameters, unless ``checked`` records
    that these models passed with the same packages installed. Importing scikit-learn takes the
    Snakemake driver about 2 s, on every invocation, even a dry run or a rerun with nothing to do.
    """
    stamps = {
        class_path: package_stamp(class_path)
        for model in models.values()
        for class_path, _ in step_specs(model)
    }
    key = hashlib.sha256(
        json.dumps([sys.executable, models, stamps], sort_keys=True).encode()
    ).hexdigest()
    if checked is not None and None not in stamps.values():
        try:
            if checked.read_text(encoding="utf-8").strip() == key:
                return
        except OSError:
            pass  # not checked yet
    for name, model in models.items():
        check_model_spec(source, f"models.{name}", model)
    if checked is not None:
        write_text(checked, key + "\n")


def validate_config(
    config: Mapping,
    source: str,
    base_dir: Path,
    check_imports: bool = True,
    checked_models: Path | None = None,
) -> dict:
    """A validated copy of ``config`` with defaults filled in, or a ``ConfigError`` for the first
    problem. ``source`` names the config file in messages; ``base_dir`` resolves relative CSV paths.
    ``check_imports=False`` skips importing the estimators (for tools that only read settings);
    ``checked_models`` names a file that remembers models that passed that check.
    """
    resolved = copy.deepcopy(dict(config))
    validator = DefaultFillingValidator(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(resolved))
    if error is not None:
        raise ConfigError(source, key_path(error.absolute_path), error.message)
    # A schema default inside a default is not filled on the first pass; a second pass fills them.
    validator.validate(resolved)

    for name, dataset in resolved["datasets"].items():
        _check_dataset(source, f"datasets.{name}", name, dataset, base_dir)
    if check_imports:
        check_models(source, resolved["models"], checked_models)
    explicit = resolved["seeds"]["explicit"]
    if len(set(explicit)) != len(explicit):
        raise ConfigError(source, "seeds.explicit", "lists a seed twice; replicates must differ")
    return resolved


def _check_dataset(source: str, key: str, name: str, dataset: Mapping, base_dir: Path) -> None:
    if dataset["source"] == "sklearn":
        sklearn_name = dataset.get("name", name)
        if sklearn_name not in SKLEARN_DATASETS:
            raise ConfigError(
                source,
                f"{key}.name" if "name" in dataset else key,
                f"unknown scikit-learn dataset {sklearn_name!r}; choose one of "
                f"{', '.join(SKLEARN_DATASETS)}, or set source: csv with a path",
            )
        return
    path = base_dir / dataset["path"]
    if not path.is_file():
        raise ConfigError(source, f"{key}.path", f"file {dataset['path']!r} does not exist")
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    if dataset["target"] not in header:
        raise ConfigError(
            source,
            f"{key}.target",
            f"column {dataset['target']!r} is not in {dataset['path']} "
            f"(columns: {', '.join(header) or 'none'})",
        )
    missing = [column for column in dataset.get("features", []) if column not in header]
    if missing:
        raise ConfigError(
            source, f"{key}.features", f"columns not in {dataset['path']}: {', '.join(missing)}"
        )
    if dataset["target"] in dataset.get("features", []):
        raise ConfigError(source, f"{key}.features", "lists the target column as a feature")


def load_config(path: Path, base_dir: Path | None = None, check_imports: bool = True) -> dict:
    """Read a YAML config file and validate it (for the CLI and tests; Snakemake reads its own)."""
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
    except OSError as error:
        raise ConfigError(str(path), "(file)", f"cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(str(path), "(file)", f"not valid YAML: {error}") from None
    if not isinstance(config, dict):
        raise ConfigError(str(path), "(top level)", "must be a mapping of keys to values")
    return validate_config(config, str(path), base_dir or Path.cwd(), check_imports)
