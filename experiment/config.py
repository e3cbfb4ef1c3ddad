"""Load and validate the experiment configuration.

The JSON schema (``schemas/config.schema.yaml``) checks shapes and fills defaults; the checks here
cover what a schema cannot see: that an estimator, scorer or splitter exists and suits the task,
that its hyperparameters exist, that a CSV file, its columns and the selected rows are there.
Every problem becomes one ``ConfigError`` line naming the key.
"""

import csv
import difflib
import hashlib
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from experiment.data_checks import check_data, held_out_count
from experiment.datasets import BUNDLED, GROUPS, REGRESSION, DataError, feature_names, row_range
from experiment.estimators import check_model_spec, import_class, step_specs
from experiment.scoring import scorer_task
from experiment.splitters import needs_groups, splitter_spec
from seedlock.errors import ConfigError
from seedlock.settings import (
    KEYS,
    SETTINGS_SCHEMA,
    check_replicate_seeds,
    read_config,
    read_yaml,
    refined,
    validated,
)
from seedlock.writers import write_text

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"
# Analyses of (dataset, model) pairs that each cover all models or a list of them.
ANALYSES = ("permutation_test", "learning_curve")


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    """The experiment's schema with the toolchain's keys (seeds, threads, compute_baseline,
    verify) added from seedlock's settings schema, refined by what this schema says of them."""
    schema = read_yaml(path)
    toolchain = read_yaml(SETTINGS_SCHEMA)
    own = schema.get("properties", {})
    schema["$defs"] = {**toolchain["$defs"], **schema.get("$defs", {})}
    schema["properties"] = {
        **{key: refined(toolchain["properties"][key], own.get(key, {})) for key in KEYS},
        **{key: value for key, value in own.items() if key not in KEYS},
    }
    return schema


def package_stamp(class_path: str) -> list | None:
    """Where the top-level package of ``class_path`` is installed, and when it was last written,
    found without importing it; None if it is not installed."""
    spec = importlib.util.find_spec(class_path.split(".", 1)[0])
    if spec is None or spec.origin is None or not os.path.isfile(spec.origin):
        return None  # not installed, or built in (frozen): checked on every run
    stat = os.stat(spec.origin)
    return [spec.origin, stat.st_mtime_ns, stat.st_size]


def _imported_parts(config: Mapping) -> dict:
    """What the import checks read: their result depends on nothing else in the config."""
    return {
        "models": config["models"],
        "metrics": config["metrics"],
        "scoring": [config[section]["scoring"] for section in ANALYSES],
        "splitters": {
            section: config[section].get("splitter") for section in ("split", "cross_validation")
        },
        "grouped": sorted(n for n, d in config["datasets"].items() if d.get("groups")),
    }


def experiment_task(config: Mapping, source: str, checked: Path | None = None) -> str:
    """The experiment's task, classification or regression, from its estimators; raises
    ``ConfigError`` unless every class imports, every hyperparameter, scorer and splitter is valid
    and suits that task. ``checked`` names a file that remembers a config that passed with the
    same packages installed: importing scikit-learn takes the Snakemake driver about 2 s, on
    every invocation, even a dry run or a rerun with nothing to do."""
    parts = _imported_parts(config)
    class_paths = [path for model in config["models"].values() for path, _ in step_specs(model)]
    for section in parts["splitters"].values():
        if section:
            class_paths.append(splitter_spec(section)["class"])
    stamps = {path: package_stamp(path) for path in ["sklearn.base", *class_paths]}
    key = hashlib.sha256(
        json.dumps([sys.executable, parts, stamps], sort_keys=True).encode()
    ).hexdigest()
    if checked is not None and None not in stamps.values():
        try:
            remembered_key, task = checked.read_text(encoding="utf-8").split()
            if remembered_key == key:
                return task
        except (OSError, ValueError):
            pass  # not checked yet
    task = _check_with_imports(config, source)
    if checked is not None:
        write_text(checked, f"{key} {task}\n")
    return task


def _check_with_imports(config: Mapping, source: str) -> str:
    tasks = {
        name: check_model_spec(source, f"models.{name}", model)
        for name, model in config["models"].items()
    }
    task = next(iter(tasks.values()))
    for name, other in tasks.items():
        if other != task:
            first = next(iter(tasks))
            raise ConfigError(
                source,
                f"models.{name}.estimator",
                f"is a {_estimator_kind(other)} but models.{first} is a "
                f"{_estimator_kind(task)}; one config runs one task (split it into two configs)",
            )
    _check_scorers(source, "metrics", config["metrics"], task)
    for section in ANALYSES:
        if config[section]["scoring"] is not None:
            _check_scorers(source, f"{section}.scoring", [config[section]["scoring"]], task)
    for section in ("split", "cross_validation"):
        if config[section].get("splitter"):
            _check_splitter(
                source, f"{section}.splitter", config[section]["splitter"], config, task
            )
    return task


def _estimator_kind(task: str) -> str:
    return "regressor" if task == REGRESSION else "classifier"


def _check_scorers(source: str, key: str, names: list[str], task: str) -> None:
    """Every name is a scorer in scikit-learn's registry, for the models' task."""
    from sklearn.metrics import get_scorer_names

    known = get_scorer_names()
    for index, name in enumerate(names):
        where = f"{key}[{index}]" if key == "metrics" else key
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ConfigError(
                source,
                where,
                f"{name!r} is not a scikit-learn scorer; {hint}"
                "every name sklearn.metrics.get_scorer_names() lists is accepted",
            )
        if scorer_task(name) != task:
            raise ConfigError(
                source,
                where,
                f"{name} is a {scorer_task(name)} scorer but the models are "
                f"{_estimator_kind(task)}s; choose {task} scorers (e.g. "
                + ("r2, neg_mean_squared_error" if task == REGRESSION else "accuracy, f1_macro")
                + ")",
            )


def _similar(class_path: str) -> str:
    """ "; did you mean ..." for a class path whose module imports but lacks the class."""
    module_name, _, name = class_path.rpartition(".")
    try:
        names = dir(importlib.import_module(module_name))
    except ImportError:
        return ""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(f'{module_name}.{n}' for n in close)}?" if close else ""


def _constructor_params(cls: type) -> set[str] | None:
    """The keyword arguments a class's constructor takes, or None if it takes any."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _check_splitter(source: str, key: str, value, config: Mapping, task: str) -> None:
    spec = splitter_spec(value)
    try:
        cls = import_class(spec["class"])
    except ImportError as error:
        raise ConfigError(
            source, key, f"cannot import {spec['class']!r}: {error}{_similar(spec['class'])}"
        ) from None
    if not (callable(getattr(cls, "split", None)) and callable(getattr(cls, "get_n_splits", None))):
        raise ConfigError(
            source, key, f"{spec['class']} is not a splitter (it has no split and get_n_splits)"
        )
    if "random_state" in spec["params"]:
        raise ConfigError(
            source,
            f"{key}.params.random_state",
            "seedlock sets random_state itself from the job's seed; "
            "set seeds.root or seeds.explicit instead",
        )
    accepted = _constructor_params(cls)
    for name in spec["params"]:
        if accepted is not None and name not in accepted:
            raise ConfigError(
                source,
                f"{key}.params.{name}",
                f"not a parameter of {spec['class']}; valid: "
                + (", ".join(sorted(accepted - {"random_state"})) or "none"),
            )
    try:
        splitter = cls(**spec["params"])
    except (TypeError, ValueError) as error:
        raise ConfigError(source, f"{key}.params", f"{spec['class']}: {error}") from None
    if task == REGRESSION and "Stratified" in cls.__name__:
        raise ConfigError(
            source,
            key,
            f"{spec['class']} stratifies by class, and a regression target has none; "
            "use its unstratified counterpart (e.g. KFold, ShuffleSplit)",
        )
    if needs_groups(splitter):
        lacking = sorted(n for n, d in config["datasets"].items() if not d.get("groups"))
        if lacking:
            raise ConfigError(
                source,
                key,
                f"{spec['class']} splits by groups but datasets {', '.join(lacking)} "
                "name no groups column; add groups: <column> to each (source csv)",
            )


def validate_config(
    config: Mapping,
    source: str,
    base_dir: Path,
    check_imports: bool = True,
    checked_models: Path | None = None,
) -> dict:
    """A validated copy of ``config`` with defaults filled in, or a ``ConfigError`` for the first
    problem. ``source`` names the config file in messages; ``base_dir`` resolves relative CSV paths.
    ``check_imports=False`` skips importing estimators, scorers and splitters (for tools that
    only read settings); ``checked_models`` names a file that remembers a config that passed.
    """
    resolved = validated(config, load_schema(), source)

    _check_short_keys_beside_splitter(source, config)
    sizes = {
        name: _check_dataset(source, f"datasets.{name}", name, dataset, base_dir)
        for name, dataset in resolved["datasets"].items()
    }
    _check_split(source, resolved["split"], sizes)
    for section in ANALYSES:
        _check_model_names(source, f"{section}.models", resolved[section]["models"], resolved)
    _check_train_sizes(source, resolved["learning_curve"]["train_sizes"])
    _check_folds(source, resolved, sizes)
    task = experiment_task(resolved, source, checked_models) if check_imports else None
    if task is not None:
        _check_dataset_tasks(source, resolved, task)
        checked_data = checked_models.with_name("checked-data") if checked_models else None
        check_data(resolved, source, base_dir, task, checked_data)
    check_replicate_seeds(resolved, source)
    return resolved


def _check_model_names(source: str, key: str, names, config: Mapping) -> None:
    if names == "all":
        return
    for index, name in enumerate(names):
        if name not in config["models"]:
            close = difflib.get_close_matches(name, list(config["models"]), n=1)
            hint = f"did you mean {close[0]}?" if close else "name one under models"
            raise ConfigError(source, f"{key}[{index}]", f"{name!r} is not a model; {hint}")


def _check_train_sizes(source: str, sizes: list) -> None:
    fractions = [size for size in sizes if isinstance(size, float)]
    if fractions and len(fractions) < len(sizes):
        raise ConfigError(
            source,
            "learning_curve.train_sizes",
            "mixes fractions and counts; give all as fractions (0.5) or all as counts (50)",
        )
    if any(size > 1 for size in fractions):
        raise ConfigError(
            source,
            "learning_curve.train_sizes",
            "a fraction above 1.0; fractions are of each fold's training rows, at most 1.0",
        )


def selected_models(config: Mapping, section: str) -> list[str]:
    """The models one analysis (permutation_test, learning_curve) covers, sorted."""
    names = config[section]["models"]
    return sorted(config["models"] if names == "all" else names)


def analysis_scoring(config: Mapping, section: str) -> str:
    """The scorer one analysis uses: its own, or the first of metrics."""
    return config[section]["scoring"] or config["metrics"][0]


def _check_short_keys_beside_splitter(source: str, config: Mapping) -> None:
    """A splitter replaces the short keys; both at once would leave one of them silently unused."""
    short = {
        "split": ("test_size", "shuffle", "stratify"),
        "cross_validation": ("folds", "shuffle", "stratify"),
    }
    for section, keys in short.items():
        given = config.get(section) or {}
        if isinstance(given, Mapping) and given.get("splitter"):
            for key in keys:
                if key in given:
                    raise ConfigError(
                        source,
                        f"{section}.{key}",
                        f"{section}.splitter replaces {', '.join(keys)}; "
                        "give the splitter's own params instead (n_splits, test_size, ...)",
                    )


def _check_split(source: str, split: Mapping, sizes: Mapping[str, int]) -> None:
    if split.get("splitter"):
        return
    if split["stratify"] is True and not split["shuffle"]:
        raise ConfigError(
            source,
            "split.stratify",
            "train_test_split cannot stratify without shuffling; "
            "set stratify: false (or shuffle: true)",
        )
    test_size = split["test_size"]
    if isinstance(test_size, float) and test_size >= 1:
        raise ConfigError(
            source,
            "split.test_size",
            f"{test_size} is neither a fraction below 1 nor a count; write a count without a "
            f"decimal point ({int(test_size)})",
        )
    if isinstance(test_size, int):
        for name, n_samples in sizes.items():
            if test_size >= n_samples:
                raise ConfigError(
                    source,
                    "split.test_size",
                    f"{test_size} test samples leave none to train on in dataset {name} "
                    f"({n_samples} rows); use a smaller count or a fraction",
                )


def _check_folds(source: str, config: Mapping, sizes: Mapping[str, int]) -> None:
    """(Stratified)KFold needs at least as many samples as folds in what it cross-validates."""
    cv = config["cross_validation"]
    if cv.get("splitter"):
        return
    split = config["split"]
    for name, n_samples in sizes.items():
        n_rows = n_samples
        if cv["data"] == "train" and not split.get("splitter"):
            test = split["test_size"]
            n_test = held_out_count(test, n_samples)
            n_rows = n_samples - n_test
        if cv["folds"] > n_rows:
            raise ConfigError(
                source,
                "cross_validation.folds",
                f"{cv['folds']} folds need at least {cv['folds']} samples; dataset {name} "
                f"cross-validates {n_rows}",
            )


def _check_dataset_tasks(source: str, config: Mapping, task: str) -> None:
    for name, dataset in config["datasets"].items():
        if dataset["source"] != "sklearn":
            continue
        bundled = dataset.get("name", name)
        if BUNDLED[bundled].task != task:
            raise ConfigError(
                source,
                f"datasets.{name}",
                f"{bundled} is a {BUNDLED[bundled].task} dataset but the models are "
                f"{_estimator_kind(task)}s",
            )
    stratify = [s for s in ("split", "cross_validation") if config[s].get("stratify") is True]
    if task == REGRESSION and stratify and not config[stratify[0]].get("splitter"):
        raise ConfigError(
            source,
            f"{stratify[0]}.stratify",
            "a regression target has no classes to stratify by; set stratify: false (or auto)",
        )


def _check_dataset(source: str, key: str, name: str, dataset: Mapping, base_dir: Path) -> int:
    """Check one dataset entry; returns its number of rows after the config's selection."""
    if dataset["source"] == "sklearn":
        return _check_bundled(source, key, name, dataset)
    relative = Path(dataset["path"])
    if relative.is_absolute() or dataset["path"].startswith("~") or ".." in relative.parts:
        raise ConfigError(
            source,
            f"{key}.path",
            f"{dataset['path']!r} leaves the workflow folder; give a path inside it (e.g. "
            "data/my_data.csv), so that a copy of the workflow carries its data",
        )
    path = base_dir / dataset["path"]
    if not path.is_file():
        raise ConfigError(source, f"{key}.path", f"file {dataset['path']!r} does not exist")
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            n_rows = sum(1 for row in reader if row)
    except UnicodeDecodeError as error:
        raise ConfigError(
            source,
            f"{key}.path",
            f"{dataset['path']} is not UTF-8 text (byte {error.start}); save it as UTF-8",
        ) from None
    except csv.Error as error:
        raise ConfigError(source, f"{key}.path", f"{dataset['path']}: {error}") from None
    for column_key in ("target", "groups"):
        column = dataset.get(column_key)
        if column is not None and column not in header:
            raise ConfigError(
                source,
                f"{key}.{column_key}",
                f"column {column!r} is not in {dataset['path']} "
                f"(columns: {', '.join(header) or 'none'})",
            )
    if GROUPS in header and GROUPS not in (dataset["target"], dataset.get("groups")):
        raise ConfigError(
            source,
            key,
            f"{dataset['path']} has a column named {GROUPS!r}, the name the prepared table gives "
            f"the groups; rename it, or declare it with groups: {GROUPS}",
        )
    candidates = [c for c in header if c not in (dataset["target"], dataset.get("groups"))]
    _check_features(source, key, dataset, candidates, dataset["path"])
    return _selected_rows(source, key, dataset, n_rows)


def _check_bundled(source: str, key: str, name: str, dataset: Mapping) -> int:
    bundled_name = dataset.get("name", name)
    if bundled_name not in BUNDLED:
        raise ConfigError(
            source,
            f"{key}.name" if "name" in dataset else key,
            f"unknown scikit-learn dataset {bundled_name!r}; choose one of "
            f"{', '.join(sorted(BUNDLED))}, or set source: csv with a path",
        )
    bundled = BUNDLED[bundled_name]
    if "groups" in dataset:
        raise ConfigError(source, f"{key}.groups", "a bundled dataset has no groups column")
    target = dataset.get("target")
    if bundled.targets and target not in bundled.targets:
        raise ConfigError(
            source,
            f"{key}.target",
            f"{bundled_name} has {len(bundled.targets)} targets; choose one with target: "
            + " | ".join(bundled.targets),
        )
    if not bundled.targets and target is not None:
        raise ConfigError(source, f"{key}.target", f"{bundled_name} has one target; leave it out")
    names = [c for c in dataset["features"] if isinstance(c, str)]
    if names:
        # Only a config that names features pays for loading the dataset here.
        known = feature_names(bundled_name)
        missing = [name for name in names if name not in known]
        if missing:
            close = difflib.get_close_matches(missing[0], known, n=3, cutoff=0.5)
            raise ConfigError(
                source,
                f"{key}.features",
                f"{bundled_name} has no feature {', '.join(missing)}; "
                + (f"did you mean {', '.join(close)}? " if close else "")
                + f"its features: {', '.join(known)}",
            )
    positions = [c for c in dataset["features"] if isinstance(c, int)]
    if positions and max(positions) >= bundled.n_features:
        raise ConfigError(
            source,
            f"{key}.features",
            f"position {max(positions)} is outside {bundled_name}'s {bundled.n_features} "
            f"features (0..{bundled.n_features - 1})",
        )
    return _selected_rows(source, key, dataset, bundled.n_samples)


def _check_features(source, key, dataset, candidates: list[str], origin: str) -> None:
    for feature in dataset["features"]:
        if isinstance(feature, int) and feature >= len(candidates):
            raise ConfigError(
                source,
                f"{key}.features",
                f"position {feature} is outside the {len(candidates)} feature columns of {origin}",
            )
    missing = [f for f in dataset["features"] if isinstance(f, str) and f not in candidates]
    if missing:
        problem = (
            "lists the target or groups column as a feature"
            if set(missing) & {dataset.get("target"), dataset.get("groups")}
            else f"columns not in {origin}: {', '.join(missing)}"
        )
        raise ConfigError(source, f"{key}.features", problem)


def _selected_rows(source: str, key: str, dataset: Mapping, n_rows: int) -> int:
    try:
        start, stop = row_range(dataset["rows"], n_rows, key)
    except DataError as error:
        field, _, problem = str(error).partition(": ")
        raise ConfigError(source, field, problem) from None
    return stop - start


def load_config(path: Path, base_dir: Path | None = None, check_imports: bool = True) -> dict:
    """Read a YAML config file and validate it (for the CLI and tests; Snakemake reads its own)."""
    config = read_config(path)
    return validate_config(config, str(path), base_dir or Path.cwd(), check_imports)
