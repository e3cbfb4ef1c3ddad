"""Bundled datasets, row ranges and feature subsets."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from experiment.datasets import BUNDLED, DataError, encode, load_dataset, row_range, split_table


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_table_matches_the_loaded_data(name):
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    bundled = BUNDLED[name]
    assert bunch.data.shape == (bundled.n_samples, bundled.n_features)
    if bundled.targets:
        assert tuple(bunch.target.columns) == bundled.targets
    else:
        assert ("target_names" in bunch) == (bundled.task == "classification")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({}, (0, 150)),
        ({"stop": 100}, (0, 100)),
        ({"start": -20}, (130, 150)),
        ({"start": 10, "stop": -10}, (10, 140)),
    ],
)
def test_row_ranges_are_python_slices(rows, expected):
    assert row_range(rows, 150, "datasets.iris") == expected


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ({"stop": 151}, "datasets.iris.rows.stop: 151 is outside the data's 150 rows"),
        ({"start": -151}, "datasets.iris.rows.start: -151 is outside"),
        ({"start": 50, "stop": 50}, "datasets.iris.rows: 50..50 selects no row"),
    ],
)
def test_row_ranges_outside_the_data_are_refused(rows, problem):
    with pytest.raises(DataError, match="^" + problem.replace(".", r"\.")):
        row_range(rows, 150, "datasets.iris")


def test_a_published_slice_of_diabetes():
    spec = {"source": "sklearn", "features": [2], "rows": {"stop": -20}}
    features, target, taken, names = load_dataset("diabetes", spec, {})
    assert taken == {"features": ["bmi"], "rows": {"start": 0, "stop": 422}} and names is None
    table, classes = encode(features, target, "regression")
    assert classes is None and list(table.columns) == ["bmi", "target"]
    x, y, groups = split_table(table)
    from sklearn.datasets import load_diabetes

    expected_x, expected_y = load_diabetes(return_X_y=True)
    np.testing.assert_array_equal(x, expected_x[:-20, 2:3])
    np.testing.assert_array_equal(y, expected_y[:-20])
    assert groups is None


def test_csv_groups_are_kept_apart_from_the_features(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "site": ["a", "a", "b", "b"], "y": ["u", "v", "u", "v"]}
    ).to_csv(path, index=False)
    spec = {"source": "csv", "target": "y", "groups": "site"}
    features, target, taken, _ = load_dataset("d", spec, {"csv": str(path)})
    table, classes = encode(features, target, "classification")
    assert taken["features"] == ["x"] and classes == {"labels": ["u", "v"], "classes": ["u", "v"]}
    x, y, groups = split_table(table)
    assert x.shape == (4, 1) and groups.tolist() == ["a", "a", "b", "b"]
    assert y.tolist() == ["u", "v", "u", "v"]


def test_class_labels_are_scikit_learns_own():
    # breast_cancer: 0 is malignant, as load_breast_cancer(return_X_y=True) gives it, so that
    # binary scorers count the same class as positive.
    features, target, _, names = load_dataset("breast_cancer", {"source": "sklearn"}, {})
    _, classes = encode(features, target, "classification", names)
    assert classes == {"labels": [0, 1], "classes": ["malignant", "benign"]}
    assert target.tolist() == load_breast_cancer(return_X_y=True)[1].tolist()
    # CSV labels stay as they are, in numeric order (10 after 2)
    numbers = pd.Series([10, 2, 1, 2, 10, 1])
    table, classes = encode(pd.DataFrame({"x": range(6)}), numbers, "classification")
    assert classes["labels"] == [1, 2, 10] and table.target.tolist() == numbers.tolist()


def test_a_classifier_refuses_a_continuous_target():
    with pytest.raises(DataError, match="the target is continuous, not class labels"):
        encode(pd.DataFrame({"x": [0.0, 1.0, 2.0]}), pd.Series([0.5, 1.5, 2.25]), "classification")
