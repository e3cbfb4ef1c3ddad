"""Scores from scikit-learn's scorer registry, computed as ``cross_val_score`` computes them.

Every name ``sklearn.metrics.get_scorer_names()`` lists is ``get_scorer(name)(model, X, y)``, so
that a value equals what a published ``cross_val_score(..., scoring=name)`` printed, losses
negated as there (``neg_log_loss``, ``neg_mean_squared_error``).
"""

import warnings
from collections.abc import Sequence

import numpy as np

from experiment.datasets import CLASSIFICATION, REGRESSION

# Scorers whose score function lives here compare continuous targets; every other registry
# scorer compares class labels or class scores.
REGRESSION_SCORER_MODULE = "sklearn.metrics._regression"


def scorer_task(name: str) -> str:
    """Which targets a registry scorer compares: regression or classification."""
    from sklearn.metrics import get_scorer

    function = getattr(get_scorer(name), "_score_func", None)
    module = getattr(function, "__module__", "") or ""
    return REGRESSION if module == REGRESSION_SCORER_MODULE else CLASSIFICATION


def score(estimator, features, target, names: Sequence[str]) -> tuple[dict, list[str]]:
    """Every named registry scorer on (features, target), as ``cross_val_score`` computes it.
    A score that fails (a fold without a class, no ``predict_proba``) or is not finite is None,
    as ``cross_val_score`` makes it nan; the reasons, and scikit-learn's warnings, are returned
    for the job's log."""
    from sklearn.metrics import get_scorer

    values: dict[str, float | None] = {}
    notes = []
    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = float(get_scorer(name)(estimator, features, target))
            except Exception as error:  # cross_val_score turns any scoring error into nan
                value, reason = None, f"{type(error).__name__}: {error}"
            else:
                reason = None if np.isfinite(value) else f"not finite ({value})"
                value = value if reason is None else None
        notes += [f"{name}: {warning.category.__name__}: {warning.message}" for warning in caught]
        if reason:
            notes.append(f"{name} is undefined: {reason}")
        values[name] = value
    return values, notes
