"""Predictions and cross-validation of one (dataset, model, replicate)."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seedlock.estimators import single_threaded_for_prediction
from seedlock.scoring import score
from seedlock.splitters import splitter_errors


def class_scores(estimator, features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, bool]:
    """Per-class scores with one column per class label of the dataset (``labels``, sorted as
    ``np.unique`` sorts them), and whether they are probabilities. A model fit on a subset of the
    classes (a fold without some class) gets zero probability for the classes it never saw."""
    n_classes = len(labels)
    seen = np.searchsorted(labels, estimator.classes_)
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


def prediction_table(
    rows: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None
) -> pd.DataFrame:
    """One line per test sample: its row in the prepared data, the true and predicted value, and
    the score of every class (classification) or the residual true - predicted (regression)."""
    table = pd.DataFrame({"row": rows, "y_true": y_true, "y_pred": y_pred})
    if scores is None:
        table["residual"] = y_true - y_pred
    else:
        for k in range(scores.shape[1]):
            table[f"score_{k}"] = scores[:, k]
    return table


def fit_and_score(estimator, features, target, train_rows, test_rows, names):
    """Fit a clone of ``estimator`` on ``train_rows``; scores on ``test_rows``."""
    from sklearn.base import clone

    model = clone(estimator).fit(features[train_rows], target[train_rows])
    single_threaded_for_prediction(model)
    return score(model, features[test_rows], target[test_rows], names)


def cross_validate(
    estimator,
    features: np.ndarray,
    target: np.ndarray,
    groups: np.ndarray | None,
    rows: np.ndarray,
    splitter,
    names: Sequence[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Per-fold scores of cross-validation over ``rows`` of the data, and the log notes."""
    records, notes = [], []
    part_groups = None if groups is None else groups[rows]
    with splitter_errors("cross_validation", repr(splitter)):
        splits = list(splitter.split(features[rows], target[rows], part_groups))
    for fold, (train_part, test_part) in enumerate(splits):
        values, fold_notes = fit_and_score(
            estimator, features, target, rows[train_part], rows[test_part], names
        )
        notes += [f"fold {fold}: {note}" for note in fold_notes]
        records.append(
            {"fold": fold, "n_train": len(train_part), "n_test": len(test_part), **values}
        )
    return pd.DataFrame.from_records(records), notes
