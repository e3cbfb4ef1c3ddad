"""Metrics, scores and aggregation on small hand-made cases."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from experiment.estimators import build_estimator, single_threaded_for_prediction
from experiment.evaluation import (
    Analysis,
    class_scores,
    cross_validate,
    learning_curve_table,
    permutation_test,
)
from experiment.scoring import score
from experiment.tables import (
    fold_summary,
    long_metrics,
    table_one,
    table_one_markdown,
    with_permutation_tests,
)

ALL_METRICS = ["accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss"]


def test_model_fit_on_some_classes_scores_all_classes():
    features, labels = load_iris(return_X_y=True)
    subset = labels < 2
    model = LogisticRegression().fit(features[subset], labels[subset])
    scores, is_probability = class_scores(model, features[:5], np.arange(3))
    assert is_probability and scores.shape == (5, 3)
    assert (scores[:, 2] == 0).all()
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)


def test_decision_function_models_get_roc_auc_but_no_log_loss():
    features, labels = load_iris(return_X_y=True)
    model = LinearSVC(random_state=0).fit(features, labels)
    _, is_probability = class_scores(model, features, np.arange(3))
    assert not is_probability
    values, notes = score(model, features, labels, ALL_METRICS)
    assert values["neg_log_loss"] is None and values["roc_auc_ovr"] is None
    assert values["accuracy"] > 0.9
    assert any(note.startswith("neg_log_loss is undefined: ") for note in notes), notes


def test_pipeline_gets_seed_and_threads_and_predicts_single_threaded():
    model = {
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        "params": {"n_estimators": 3, "max_depth": [2][0]},
        "preprocessing": ["sklearn.preprocessing.StandardScaler"],
    }
    estimator = build_estimator(model, seed=11, threads=2)
    final = estimator.steps[-1][1]
    assert final.random_state == 11 and final.n_jobs == 2 and final.max_depth == 2
    single_threaded_for_prediction(estimator)
    assert final.n_jobs is None


@pytest.mark.parametrize(
    "model",
    [
        {"estimator": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 8}},
        {
            "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
            "params": {"max_iter": 5},
            "preprocessing": ["sklearn.preprocessing.StandardScaler"],
        },
    ],
    ids=["random_forest", "hist_gradient_boosting_pipeline"],
)
def test_saved_model_bytes_do_not_depend_on_the_fitting_thread_count(model):
    import pickle

    from threadpoolctl import threadpool_limits

    features, labels = load_iris(return_X_y=True)
    saved, predictions = [], []
    for threads in (1, 2):
        # the workflow's jobs limit OpenMP and BLAS to the rule's threads; do the same here
        with threadpool_limits(limits=threads):
            estimator = build_estimator(model, seed=3, threads=threads).fit(features, labels)
        single_threaded_for_prediction(estimator)
        saved.append(pickle.dumps(estimator, protocol=5))
        predictions.append(estimator.predict_proba(features))
    assert saved[0] == saved[1]
    np.testing.assert_array_equal(predictions[0], predictions[1])


def test_cross_validation_folds_are_reproducible():
    features, labels = load_iris(return_X_y=True)
    estimator = build_estimator(
        {"estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500}},
        seed=1,
        threads=1,
    )
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=8)
    rows = np.arange(len(labels))
    first, _ = cross_validate(estimator, features, labels, None, rows, splitter, ALL_METRICS)
    second, _ = cross_validate(estimator, features, labels, None, rows, splitter, ALL_METRICS)
    pd.testing.assert_frame_equal(first, second)
    assert first.fold.tolist() == [0, 1, 2] and first.n_test.sum() == 150
    assert (first.accuracy > 0.85).all()


def test_table_one_means_and_sample_std(tmp_path):
    metric_files, cv_files = [], []
    for replicate, accuracy in enumerate([0.8, 0.9, 1.0]):
        path = tmp_path / f"m{replicate}.json"
        path.write_text(
            json.dumps(
                {
                    "dataset": "d",
                    "model": "m",
                    "replicate": replicate,
                    "metrics": {"accuracy": accuracy},
                }
            )
        )
        metric_files.append(str(path))
        folds = pd.DataFrame(
            {
                "dataset": "d",
                "model": "m",
                "replicate": replicate,
                "fold": [0, 1],
                "n_train": 5,
                "n_test": 5,
                "accuracy": [accuracy, accuracy - 0.1],
            }
        )
        folds.to_csv(tmp_path / f"f{replicate}.csv", index=False)
        cv_files.append(str(tmp_path / f"f{replicate}.csv"))
    long = long_metrics(metric_files, cv_files)
    assert len(long) == 6
    table = table_one(long, ["accuracy"])
    row = table.iloc[0]
    assert row.n_replicates == 3
    assert row.holdout_accuracy_mean == pytest.approx(0.9)
    assert row.holdout_accuracy_std == pytest.approx(0.1)
    assert row.cv_accuracy_mean == pytest.approx(0.85)
    folds = fold_summary(cv_files, ["accuracy"])
    assert folds.n_folds.tolist() == [2, 2, 2]
    # the std across folds is numpy's (ddof=0), as printed after cross_val_score
    assert folds.accuracy_mean.tolist() == pytest.approx([0.75, 0.85, 0.95])
    assert folds.accuracy_std.tolist() == pytest.approx([0.05, 0.05, 0.05])
    markdown = table_one_markdown(table, folds, ["accuracy"])
    assert "| d | m | 3 | 0.900 ± 0.100 |" in markdown
    assert "| d | m | 3 | 0.850 ± 0.100 |" in markdown
    assert "| d | m | 2 | 2 | 0.950 ± 0.050 |" in markdown


def test_permutation_test_separates_signal_from_noise_and_repeats_exactly():
    features, labels = load_iris(return_X_y=True)
    splitter = StratifiedKFold(3, shuffle=True, random_state=5)
    model = LogisticRegression(max_iter=1000)
    analysis = Analysis(features, labels, None, splitter, model, seed=5)
    real = permutation_test(analysis, "accuracy", 19)
    assert real["score"] > 0.9 and real["p_value"] == 1 / 20  # nothing shuffled does as well
    assert len(real["permutation_scores"]) == 19
    assert real == permutation_test(analysis, "accuracy", 19)
    noise = np.random.default_rng(0).normal(size=features.shape)
    chance = permutation_test(Analysis(noise, labels, None, splitter, model, 5), "accuracy", 19)
    assert chance["p_value"] > 0.05


def test_learning_curve_table_has_a_row_per_size_and_fold():
    features, labels = load_iris(return_X_y=True)
    splitter = StratifiedKFold(3, shuffle=True, random_state=1)
    model = LogisticRegression(max_iter=1000)
    curve = learning_curve_table(
        Analysis(features, labels, None, splitter, model, seed=1), "accuracy", [0.5, 1.0]
    )
    assert list(curve.columns) == ["n_train", "fold", "train_score", "test_score"]
    assert sorted(set(curve.n_train)) == [50, 100]  # of 100 training rows per fold
    assert len(curve) == 6 and curve.test_score.between(0, 1).all()
    # Shuffled before the first 50 are taken: iris is sorted by class, so the first 50 rows in
    # file order would hold one or two classes and score about 0.66.
    assert curve[curve.n_train == 50].test_score.min() > 0.85


def test_permutation_p_values_join_table_one_and_its_markdown():
    table = pd.DataFrame({"dataset": ["iris", "iris"], "model": ["a", "b"], "n_replicates": [1, 1]})
    test = {
        "dataset": "iris",
        "model": "b",
        "scoring": "accuracy",
        "score": 0.9,
        "p_value": 0.01,
        "n_permutations": 99,
    }
    joined = with_permutation_tests(table, [test])
    assert np.isnan(joined.permutation_p_value[0]) and joined.permutation_p_value[1] == 0.01
    markdown = table_one_markdown(
        joined.assign(
            **{
                "holdout_accuracy_mean": 1.0,
                "holdout_accuracy_std": 0.0,
                "cv_accuracy_mean": 1.0,
                "cv_accuracy_std": 0.0,
            }
        ),
        pd.DataFrame(columns=["dataset", "model", "replicate", "n_folds"]),
        ["accuracy"],
        [test],
    )
    assert "| iris | b | accuracy | 0.900 | 99 | 0.01 |" in markdown
