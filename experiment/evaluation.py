"""Predictions, cross-validation, permutation tests and learning curves of one (dataset, model)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiment.datasets import split_table
from experiment.estimators import build_estimator, single_threaded_for_prediction
from experiment.scoring import score
from experiment.splitters import build_splitter, cv_splitter_spec, needs_groups, splitter_errors


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


def _groups_for(splitter, groups: np.ndarray | None) -> dict:
    """``groups=`` for a splitter that takes them: given to any other, permutation_test_score
    would shuffle the target only within groups."""
    return {"groups": groups} if groups is not None and needs_groups(splitter) else {}


@dataclass(frozen=True)
class Analysis:
    """What an analysis of one (dataset, model) cross-validates: the data, the cross-validation
    splitter and the estimator, and the job's seed for what the analysis draws itself."""

    features: np.ndarray
    target: np.ndarray
    groups: np.ndarray | None
    splitter: object
    estimator: object
    seed: int


def analysis_of(table: pd.DataFrame, cv: Mapping, task: str, spec: Mapping, seed: int) -> Analysis:
    """The analysis of a prepared table with the config's cross-validation and model spec."""
    features, target, groups = split_table(table)
    splitter = build_splitter(cv_splitter_spec(cv, task), seed)
    # n_jobs=1: scikit-learn predicts inside the analysis, and a forest's predict_proba with
    # n_jobs>1 sums its trees in thread order, which changes the last bits from run to run.
    # The job's BLAS and OpenMP pools still get its threads.
    estimator = build_estimator(spec, seed, threads=1)
    return Analysis(features, target, groups, splitter, estimator, seed)


def permutation_test(analysis: Analysis, scoring: str, n_permutations: int) -> dict:
    """sklearn's permutation_test_score: the cross-validated score, the scores of the same
    cross-validation with the target shuffled (within groups, if the splitter has them), and
    the p-value (1 + permuted scores >= score) / (1 + n_permutations)."""
    from sklearn.model_selection import permutation_test_score

    with splitter_errors("cross_validation", repr(analysis.splitter)):
        true_score, permuted, p_value = permutation_test_score(
            analysis.estimator,
            analysis.features,
            analysis.target,
            cv=analysis.splitter,
            scoring=scoring,
            n_permutations=n_permutations,
            random_state=analysis.seed,
            **_groups_for(analysis.splitter, analysis.groups),
        )
    return {
        "scoring": scoring,
        "score": float(true_score),
        "p_value": float(p_value),
        "n_permutations": n_permutations,
        "permutation_scores": [float(value) for value in permuted],
        "n_samples": len(analysis.target),
    }


def learning_curve_table(
    analysis: Analysis, scoring: str, train_sizes: Sequence[float | int]
) -> pd.DataFrame:
    """sklearn's learning_curve in long form: one row per training size and fold, with the
    score on the rows trained on and on the fold's test rows. Each fold's training rows are
    shuffled (with ``seed``) before the first n are taken: in file order, a dataset sorted by
    class (iris) would train its smaller sizes on one or two classes only."""
    from sklearn.model_selection import learning_curve

    with splitter_errors("cross_validation", repr(analysis.splitter)):
        sizes, train_scores, test_scores = learning_curve(
            analysis.estimator,
            analysis.features,
            analysis.target,
            train_sizes=np.asarray(train_sizes),
            cv=analysis.splitter,
            scoring=scoring,
            shuffle=True,
            random_state=analysis.seed,
            **_groups_for(analysis.splitter, analysis.groups),
        )
    records = [
        {
            "n_train": int(size),
            "fold": fold,
            "train_score": float(train_scores[index, fold]),
            "test_score": float(test_scores[index, fold]),
        }
        for index, size in enumerate(sizes)
        for fold in range(train_scores.shape[1])
    ]
    return pd.DataFrame.from_records(records)
