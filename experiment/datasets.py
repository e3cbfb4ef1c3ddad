"""Load datasets into one table: numeric feature columns, an optional ``groups`` column, then the
``target`` column.

The target keeps the values scikit-learn sees in a published snippet: a bundled dataset's own
integer codes (breast_cancer: 0 malignant, 1 benign), a CSV file's own labels. Re-coding them would
change which class a binary scorer (f1, precision, ...) counts as positive and the order in which
stratified splitters walk the classes. The class names tables and figures show are kept in the
dataset's metadata. For regression the target is a float.

A config may take part of a dataset, as published snippets do (``X[:150]``, ``X[:, 2:3]``):
``rows`` is a Python slice of the samples, ``features`` a list of column names or 0-based positions.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seedlock.errors import SeedlockError


class DataError(SeedlockError):
    """A dataset cannot be loaded or is not usable for the task."""


TARGET = "target"
GROUPS = "groups"
MAX_ABS_VALUE = 1e154
CLASSIFICATION = "classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Bundled:
    """A dataset shipped inside scikit-learn (no download): what it predicts and its size, known
    without loading it so that a config is checked before any job (a unit test compares them with
    the loaded data)."""

    task: str
    n_samples: int
    n_features: int
    targets: tuple[str, ...] = ()  # the target columns of a multi-target dataset


BUNDLED = {
    "breast_cancer": Bundled(CLASSIFICATION, 569, 30),
    "diabetes": Bundled(REGRESSION, 442, 10),
    "digits": Bundled(CLASSIFICATION, 1797, 64),
    "iris": Bundled(CLASSIFICATION, 150, 4),
    "linnerud": Bundled(REGRESSION, 20, 3, targets=("Weight", "Waist", "Pulse")),
    "wine": Bundled(CLASSIFICATION, 178, 13),
}


def load_sklearn(name: str, target: str | None) -> tuple[pd.DataFrame, pd.Series, list | None]:
    """Features, target and class names of a dataset bundled with scikit-learn (no download);
    ``target`` picks one column of a multi-target dataset."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    values = bunch.target[target] if BUNDLED[name].targets else bunch.target
    names = None
    if BUNDLED[name].task == CLASSIFICATION:
        names = [str(label) for label in bunch.target_names]
    return bunch.data.reset_index(drop=True), values.reset_index(drop=True).rename(TARGET), names


def feature_names(name: str) -> list[str]:
    """The feature columns of a bundled dataset (loads it)."""
    from sklearn import datasets

    return [str(column) for column in getattr(datasets, f"load_{name}")(as_frame=True).data]


def read_csv(path: Path, target: str, groups: str | None) -> tuple[pd.DataFrame, pd.Series]:
    """Every column but the target (and groups) of a user CSV file, and the target."""
    try:
        table = pd.read_csv(path, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except pd.errors.ParserError as error:
        first = str(error).strip().splitlines()[0]
        raise DataError(f"{path}: not a well-formed CSV file ({first})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty; a CSV file needs a header and rows") from None
    if GROUPS in table.columns and GROUPS not in (target, groups):
        raise DataError(
            f"{path}: a column is named {GROUPS!r}, the name the prepared table gives the groups; "
            f"rename it, or declare it with groups: {GROUPS}"
        )
    features = table.drop(columns=[c for c in (target, groups) if c])
    if groups:
        features[GROUPS] = table[groups]
    return features, table[target].rename(TARGET)


def select(
    features: pd.DataFrame, target: pd.Series, spec: Mapping, where: str
) -> tuple[pd.DataFrame, pd.Series, dict]:
    """The config's part of a dataset: its feature columns (names or positions) and row slice.
    Returns the part and what was taken (feature names, first row, end row), for the metadata."""
    has_groups = GROUPS in features.columns
    columns = [c for c in features.columns if c != GROUPS]
    chosen = [columns[c] if isinstance(c, int) else c for c in spec.get("features") or []]
    missing = [str(c) for c in chosen if c not in columns]
    if missing:
        raise DataError(f"{where}.features: no column {', '.join(missing)}")
    twice = sorted({str(c) for c in chosen if chosen.count(c) > 1})
    if twice:
        raise DataError(f"{where}.features: lists {', '.join(twice)} twice (by name and position)")
    chosen = chosen or columns
    start, stop = row_range(spec.get("rows") or {}, len(features), where)
    part = features.iloc[start:stop][chosen + ([GROUPS] if has_groups else [])]
    taken = {"features": [str(c) for c in chosen], "rows": {"start": start, "stop": stop}}
    return part.reset_index(drop=True), target.iloc[start:stop].reset_index(drop=True), taken


def row_range(rows: Mapping, n_samples: int, where: str) -> tuple[int, int]:
    """``rows: {start, stop}`` as a Python slice (negative counts from the end, as in
    ``X[-100:]``) resolved to 0 <= start < stop <= n_samples; a bound outside the data, or an empty
    range, is an error rather than the silently shorter result a Python slice would give."""
    bounds = []
    for key, default in (("start", 0), ("stop", n_samples)):
        value = rows.get(key)
        if value is None:
            bounds.append(default)
            continue
        if not -n_samples <= value <= n_samples:
            raise DataError(
                f"{where}.rows.{key}: {value} is outside the data's {n_samples} rows "
                f"(use -{n_samples}..{n_samples})"
            )
        bounds.append(value + n_samples if value < 0 else value)
    start, stop = bounds
    if start >= stop:
        raise DataError(f"{where}.rows: {start}..{stop} selects no row; start must be < stop")
    return start, stop


def check_features(features: pd.DataFrame, path: str) -> pd.DataFrame:
    """The feature columns as float64; every one must be numeric and complete."""
    columns = [c for c in features.columns if c != GROUPS]
    non_numeric = [str(c) for c in columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise DataError(
            f"{path}: feature columns {', '.join(non_numeric)} are not numeric; "
            "encode them or leave them out with features: [...]"
        )
    incomplete = [str(c) for c in features.columns if features[c].isna().any()]
    if incomplete:
        raise DataError(f"{path}: columns {', '.join(incomplete)} have missing values")
    checked = features.copy()
    checked[columns] = checked[columns].astype("float64")
    values = checked[columns].to_numpy()
    # Squares of larger values overflow float64: every variance, scaling and distance does.
    within = (np.abs(values) < MAX_ABS_VALUE).all(axis=0)
    huge = [str(c) for c, fine in zip(columns, within, strict=True) if not fine]
    if huge:
        raise DataError(
            f"{path}: columns {', '.join(huge)} hold infinite values or values beyond "
            f"±{MAX_ABS_VALUE:.0e}, whose squares overflow float64; rescale or drop them"
        )
    return checked


def load_dataset(
    name: str, spec: Mapping, files: Mapping
) -> tuple[pd.DataFrame, pd.Series, dict, list | None]:
    """The config's part of a dataset (features, target), what was taken, and the class names of
    a bundled classification dataset; ``files["csv"]`` is the path of a user CSV."""
    where = f"datasets.{name}"
    names = None
    if spec["source"] == "sklearn":
        features, target, names = load_sklearn(spec.get("name", name), spec.get("target"))
        origin = f"scikit-learn's {spec.get('name', name)}"
    else:
        features, target = read_csv(Path(files["csv"]), spec["target"], spec.get("groups"))
        origin = str(files["csv"])
    features, target, taken = select(features, target, spec, where)
    features = check_features(features, origin)
    if target.isna().any():
        column = spec.get("target", TARGET)
        raise DataError(f"{origin}: the target column {column!r} has missing values")
    return features, target, taken, names


def encode(
    features: pd.DataFrame, target: pd.Series, task: str, names: list | None = None
) -> tuple[pd.DataFrame, dict | None]:
    """The prepared table (features, groups, then the target as it is) and, for classification,
    its class labels in scikit-learn's order (``np.unique``, as ``classes_``) with their names."""
    table = features.copy()
    table.columns = [str(column) for column in table.columns]
    if TARGET in table.columns:
        raise DataError(f"a feature column is named {TARGET!r}; rename it")
    if task == REGRESSION:
        if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
            raise DataError("the target is not numeric; a regressor needs a numeric target")
        table[TARGET] = target.astype("float64").to_numpy()
        return table, None
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(target.to_numpy())
    if kind not in ("binary", "multiclass"):
        raise DataError(
            f"the target is {kind}, not class labels; a classifier needs classes "
            "(for a numeric target, use a regressor)"
        )
    labels = np.unique(target.to_numpy()).tolist()
    if len(labels) < 2:
        raise DataError(f"the target has {len(labels)} class; classification needs at least 2")
    table[TARGET] = target.to_numpy()
    names = names or [str(label) for label in labels]
    return table, {"labels": labels, "classes": names}


def split_table(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Features as a float array, the target, and the groups (None without a groups column)."""
    groups = table[GROUPS].to_numpy() if GROUPS in table.columns else None
    features = table.drop(columns=[c for c in (TARGET, GROUPS) if c in table.columns])
    return features.to_numpy(dtype="float64"), table[TARGET].to_numpy(), groups
