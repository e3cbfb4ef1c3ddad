"""Splits, metrics and predictions: the evaluation of one (dataset, model, replicate)."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from seedlock.estimators import single_threaded_for_prediction


def holdout_split(labels: np.ndarray, test_size: float, stratify: bool, seed: int) -> dict:
    """Sorted train and test row indices of one held-out split."""
    rows = np.arange(len(labels))
    train, test = train_test_split(
        rows, test_size=test_size, random_state=seed, stratify=labels if stratify else None
    )
    return {"train": sorted(train.tolist()), "test": sorted(test.tolist())}


def cv_splitter(folds: int, shuffle: bool, stratify: bool, seed: int):
    splitter = StratifiedKFold if stratify else KFold
    # random_state is only allowed, and only used, when shuffling.
    return splitter(n_splits=folds, shuffle=shuffle, random_state=seed if shuffle else None)


def class_scores(estimator, features: np.ndarray, n_classes: int) -> tuple[np.ndarray, bool]:
    """Per-class scores with one column per class of the dataset, and whether they are
    probabilities. A model fit on a subset of the classes (a fold without some class) gets zero
    probability for the classes it never saw."""
    seen = np.asarray(estimator.classes_)
    if hasattr(estimator, "predict_proba"):
        raw, is_probability = estimator.predict_proba(features), True
    else:
        raw, is_probability = estimator.decision_function(features), False
        if raw.ndim == 1:  # binary decision function: the score of the positive class
            raw = np.column_stack([-raw, raw])
    scores = (
        np.zeros((len(features), n_classes))
        if is_probability
        else np.full((len(features), n_classes), -np.inf)
    )
    scores[:, seen] = raw
    return scores, is_probability


def compute_metrics(
    names: Sequence[str],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    scores: np.ndarray,
    is_probability: bool,
) -> dict[str, float | None]:
    """The requested metrics; ``None`` where a metric is undefined (e.g. ROC AUC when the test
    part lacks a class, log loss without probabilities)."""
    n_classes = scores.shape[1]
    labels = np.arange(n_classes)
    present = np.unique(y_true)
    values: dict[str, float | None] = {}
    for name in names:
        if name == "accuracy":
            values[name] = skm.accuracy_score(y_true, y_pred)
        elif name == "balanced_accuracy":
            values[name] = skm.balanced_accuracy_score(y_true, y_pred)
        elif name == "f1_macro":
            values[name] = skm.f1_score(
                y_true, y_pred, labels=labels, average="macro", zero_division=0
            )
        elif name == "roc_auc_ovr":
            values[name] = _roc_auc(y_true, scores, is_probability, present, n_classes)
        elif name == "log_loss":
            values[name] = skm.log_loss(y_true, scores, labels=labels) if is_probability else None
        else:
            raise ValueError(f"unknown metric {name!r}")
    return {name: None if value is None else float(value) for name, value in values.items()}


def _roc_auc(y_true, scores, is_probability, present, n_classes) -> float | None:
    if len(present) < n_classes:
        return None
    if n_classes == 2:
        return skm.roc_auc_score(y_true, scores[:, 1])
    if not is_probability:
        # One-vs-rest AUC per class from decision scores, averaged (macro).
        return float(
            np.mean([skm.roc_auc_score(y_true == k, scores[:, k]) for k in range(n_classes)])
        )
    return skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro")


def prediction_table(
    rows: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray
) -> pd.DataFrame:
    """One line per test sample: its row in the prepared data, true and predicted class, and the
    score of every class."""
    table = pd.DataFrame({"row": rows, "y_true": y_true, "y_pred": y_pred})
    for k in range(scores.shape[1]):
        table[f"score_{k}"] = scores[:, k]
    return table


def fit_and_score(estimator, features, labels, train_rows, test_rows, metric_names, n_classes):
    """Fit a clone of ``estimator`` on ``train_rows``; metrics on ``test_rows``."""
    model = clone(estimator).fit(features[train_rows], labels[train_rows])
    single_threaded_for_prediction(model)
    scores, is_probability = class_scores(model, features[test_rows], n_classes)
    predicted = model.predict(features[test_rows])
    return compute_metrics(metric_names, labels[test_rows], predicted, scores, is_probability)


def cross_validate(
    estimator,
    features: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    cv: Mapping,
    metric_names: Sequence[str],
    n_classes: int,
    seed: int,
) -> pd.DataFrame:
    """Per-fold metrics of k-fold cross-validation over ``rows`` of the data."""
    splitter = cv_splitter(cv["folds"], cv["shuffle"], cv["stratify"], seed)
    records = []
    for fold, (train_part, test_part) in enumerate(splitter.split(rows, labels[rows])):
        scores = fit_and_score(
            estimator, features, labels, rows[train_part], rows[test_part], metric_names, n_classes
        )
        records.append(
            {"fold": fold, "n_train": len(train_part), "n_test": len(test_part), **scores}
        )
    return pd.DataFrame.from_records(records)
