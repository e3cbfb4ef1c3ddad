"""Held-out splits and CV splitters are scikit-learn's own, seeded only where the class takes a
seed, with rows in the order scikit-learn gives them."""

import numpy as np
import pytest
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneOut,
    ShuffleSplit,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from experiment.splitters import build_splitter, cv_splitter_spec, holdout_split, needs_groups

LABELS = np.repeat([0, 1, 2], 50)


def split_config(**changes):
    return {"test_size": 0.2, "shuffle": True, "stratify": "auto", **changes}


def test_holdout_is_train_test_split_in_its_order():
    split = holdout_split(LABELS, None, split_config(), "classification", seed=4)
    train, test = train_test_split(np.arange(150), test_size=0.2, random_state=4, stratify=LABELS)
    assert split == {"train": train.tolist(), "test": test.tolist()}
    assert split["train"] != sorted(split["train"])  # the order a published fit sees
    assert np.bincount(LABELS[split["test"]]).tolist() == [10, 10, 10]
    assert split != holdout_split(LABELS, None, split_config(), "classification", seed=5)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_unshuffled_count_tests_on_the_last_rows(task):
    split = holdout_split(LABELS, None, split_config(test_size=20, shuffle=False), task, seed=4)
    assert split == {"train": list(range(130)), "test": list(range(130, 150))}


def test_auto_stratify_is_off_for_regression():
    target = np.linspace(0.0, 1.0, 150)
    split = holdout_split(target, None, split_config(), "regression", seed=4)
    train, test = train_test_split(np.arange(150), test_size=0.2, random_state=4)
    assert split == {"train": train.tolist(), "test": test.tolist()}


def test_holdout_from_a_group_splitter_keeps_groups_apart():
    groups = np.repeat(np.arange(15), 10)
    config = {
        "splitter": {
            "class": "sklearn.model_selection.GroupShuffleSplit",
            "params": {"n_splits": 1, "test_size": 0.2},
        }
    }
    split = holdout_split(LABELS, groups, config, "classification", seed=3)
    assert not set(groups[split["train"]]) & set(groups[split["test"]])
    assert split == holdout_split(LABELS, groups, config, "classification", seed=3)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"class": "sklearn.model_selection.KFold", "params": {"n_splits": 3}}, KFold(3)),
        (
            {"class": "sklearn.model_selection.KFold", "params": {"shuffle": True}},
            KFold(shuffle=True, random_state=9),
        ),
        (
            {"class": "sklearn.model_selection.ShuffleSplit", "params": {"n_splits": 2}},
            ShuffleSplit(n_splits=2, random_state=9),
        ),
        ({"class": "sklearn.model_selection.LeaveOneOut"}, LeaveOneOut()),
        ({"class": "sklearn.model_selection.TimeSeriesSplit"}, TimeSeriesSplit()),
    ],
    ids=["kfold_unshuffled", "kfold_shuffled", "shuffle_split", "leave_one_out", "time_series"],
)
def test_random_state_only_where_the_class_takes_and_uses_one(spec, expected):
    assert repr(build_splitter(spec, seed=9)) == repr(expected)


def test_short_keys_make_stratified_kfold_for_classifiers_and_kfold_for_regressors():
    cv = {"folds": 4, "shuffle": False, "stratify": "auto"}
    assert repr(build_splitter(cv_splitter_spec(cv, "classification"), 1)) == repr(
        StratifiedKFold(4)
    )
    assert repr(build_splitter(cv_splitter_spec(cv, "regression"), 1)) == repr(KFold(4))


def test_group_splitters_ask_for_groups():
    assert needs_groups(GroupKFold(3)) and not needs_groups(KFold(3))


def test_a_splitter_that_cannot_split_the_data_is_one_line_naming_the_key():
    from experiment.datasets import DataError

    config = {
        "splitter": {"class": "sklearn.model_selection.ShuffleSplit", "params": {"test_size": 2.0}}
    }
    with pytest.raises(DataError, match=r"^split\.splitter: ShuffleSplit\(.*cannot split") as e:
        holdout_split(LABELS, None, config, "classification", seed=1)
    assert "\n" not in str(e.value)
