"""Load datasets into one table: numeric feature columns, then an integer ``target`` column.

Class labels are encoded as 0..k-1 in the sorted order of their original values; the original
labels are kept in the dataset's metadata so tables and figures can show them.
"""

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from seedlock.errors import DataError

TARGET = "target"


def load_sklearn(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels of a dataset bundled with scikit-learn (no download)."""
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    bunch = loader(as_frame=True)
    labels = pd.Series(np.asarray(bunch.target_names)[bunch.target.to_numpy()], name=TARGET)
    return bunch.data.reset_index(drop=True), labels


def load_csv(path: Path, target: str, features: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels from a user CSV file; every feature must be numeric and complete."""
    table = pd.read_csv(path)
    feature_columns = features or [column for column in table.columns if column != target]
    frame = table[feature_columns]
    non_numeric = [c for c in feature_columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise DataError(
            f"{path}: feature columns {', '.join(non_numeric)} are not numeric; "
            "encode them or leave them out with features: [...]"
        )
    incomplete = [c for c in [*feature_columns, target] if table[c].isna().any()]
    if incomplete:
        raise DataError(f"{path}: columns {', '.join(incomplete)} have missing values")
    return frame.astype("float64").reset_index(drop=True), table[target].rename(TARGET)


def load_dataset(name: str, spec: Mapping, files: Mapping) -> tuple[pd.DataFrame, pd.Series]:
    """Load a dataset by its config entry; ``files["csv"]`` is the path of a user CSV."""
    if spec["source"] == "sklearn":
        return load_sklearn(spec.get("name", name))
    return load_csv(Path(files["csv"]), spec["target"], list(spec.get("features", [])))


def encode(features: pd.DataFrame, labels: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """The prepared table (features, then integer target) and the original class labels."""
    classes = sorted(labels.unique().tolist(), key=str)
    if len(classes) < 2:
        raise DataError(f"the target has {len(classes)} class; classification needs at least 2")
    codes = labels.map({label: code for code, label in enumerate(classes)}).astype("int64")
    table = features.copy()
    table.columns = [str(column) for column in table.columns]
    if TARGET in table.columns:
        raise DataError(f"a feature column is named {TARGET!r}; rename it")
    table[TARGET] = codes.to_numpy()
    return table, [str(label) for label in classes]


def split_table(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Features as a float array and the integer target, from a prepared table."""
    return table.drop(columns=[TARGET]).to_numpy(dtype="float64"), table[TARGET].to_numpy()
