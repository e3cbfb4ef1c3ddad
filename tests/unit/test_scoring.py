"""Registry scorers give exactly what cross_val_score gives, for classifiers and regressors."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, cross_val_score
from sklearn.svm import SVC

from experiment.evaluation import cross_validate
from experiment.scoring import score, scorer_task

CLASSIFIER_SCORERS = [
    "accuracy",
    "precision_macro",
    "recall_weighted",
    "neg_log_loss",
    "roc_auc_ovr",
]


@pytest.mark.parametrize(
    "splitter",
    [StratifiedKFold(5), ShuffleSplit(n_splits=4, test_size=0.3, random_state=0)],
    ids=["stratified_kfold", "shuffle_split"],
)
def test_fold_scores_equal_cross_val_score_bit_for_bit(splitter):
    features, labels = load_iris(return_X_y=True)
    model = SVC(kernel="linear", C=1, probability=True, random_state=0)
    rows = np.arange(len(labels))
    folds, _ = cross_validate(model, features, labels, None, rows, splitter, CLASSIFIER_SCORERS)
    for name in CLASSIFIER_SCORERS:
        expected = cross_val_score(model, features, labels, cv=splitter, scoring=name)
        assert folds[name].tolist() == expected.tolist(), name


def test_regression_scores_equal_cross_val_score():
    features, target = load_diabetes(return_X_y=True)
    features, target = features[:150], target[:150]
    names = ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"]
    folds, _ = cross_validate(Lasso(), features, target, None, np.arange(150), KFold(3), names)
    for name in names:
        expected = cross_val_score(Lasso(), features, target, cv=KFold(3), scoring=name)
        assert folds[name].tolist() == expected.tolist(), name


def test_an_undefined_score_is_none_with_its_reason():
    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(features, labels)
    test = labels < 2  # class 2 is absent from this test part
    values, notes = score(model, features[test], labels[test], ["roc_auc_ovr", "accuracy"])
    assert values["roc_auc_ovr"] is None and values["accuracy"] > 0.9
    assert any(note.startswith("roc_auc_ovr is undefined: ValueError") for note in notes), notes


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("accuracy", "classification"),
        ("neg_log_loss", "classification"),
        ("roc_auc_ovr", "classification"),
        ("r2", "regression"),
        ("neg_mean_squared_error", "regression"),
        ("explained_variance", "regression"),
    ],
)
def test_scorer_task(name, task):
    assert scorer_task(name) == task
