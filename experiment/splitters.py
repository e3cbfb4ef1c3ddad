"""Splitters: the held-out split and the cross-validation folds, made by scikit-learn's own classes.

A config names any splitter by class path (or one with the same ``split``/``get_n_splits`` API);
without one, the held-out split is ``train_test_split`` and the folds are (Stratified)KFold.
Row indices keep the order the splitter gives, because the order of the training samples changes
the fit of estimators that draw samples (bootstraps, stochastic solvers): a published
``train_test_split`` fits on its shuffled order.
"""

import inspect
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np

from experiment.datasets import CLASSIFICATION, DataError
from experiment.estimators import import_class


def stratified(setting, task: str) -> bool:
    """``stratify: auto`` means stratified for classification (as ``cv=5`` is in scikit-learn)
    and not for regression."""
    return task == CLASSIFICATION if setting == "auto" else bool(setting)


def splitter_spec(value) -> dict:
    """``{"class", "params"}`` from a config's splitter: a class path, or a mapping."""
    if isinstance(value, str):
        return {"class": value, "params": {}}
    return {"class": value["class"], "params": dict(value.get("params") or {})}


def cv_splitter_spec(cv: Mapping, task: str) -> dict:
    """The cross-validation splitter the config names, or (Stratified)KFold from its short keys."""
    if cv.get("splitter"):
        return splitter_spec(cv["splitter"])
    name = "StratifiedKFold" if stratified(cv["stratify"], task) else "KFold"
    return {
        "class": f"sklearn.model_selection.{name}",
        "params": {"n_splits": cv["folds"], "shuffle": cv["shuffle"]},
    }


def takes_random_state(cls: type) -> bool:
    try:
        return "random_state" in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def build_splitter(spec: Mapping, seed: int):
    """The splitter with its params; ``random_state`` is the job's seed when the class takes one
    and uses it (not for ``shuffle=False``, where scikit-learn refuses a random_state)."""
    cls = import_class(spec["class"])
    params = dict(spec.get("params") or {})
    splitter = cls(**params)
    if takes_random_state(cls) and getattr(splitter, "shuffle", True) is not False:
        splitter = cls(**params, random_state=seed)
    return splitter


def needs_groups(splitter) -> bool:
    """Whether the splitter's ``split`` asks for groups (GroupKFold, LeaveOneGroupOut, ...)."""
    routing = getattr(splitter, "get_metadata_routing", None)
    if routing is None:
        return False
    return bool(getattr(routing(), "split", None) and routing().split.requests.get("groups"))


@contextmanager
def splitter_errors(key: str, name: str):
    """A splitter that cannot split this data (too few samples per class or for its test size)
    is the config's mistake: one line naming the key, not a traceback."""
    try:
        yield
    except ValueError as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{key}: {name} cannot split this data: {problem[:300]}") from None


def holdout_split(
    target: np.ndarray, groups: np.ndarray | None, split: Mapping, task: str, seed: int
) -> dict:
    """Train and test row indices of one held-out split, in the order scikit-learn gives them:
    the first split of the config's splitter, or ``train_test_split``."""
    rows = np.arange(len(target))
    if split.get("splitter"):
        splitter = build_splitter(splitter_spec(split["splitter"]), seed)
        with splitter_errors("split.splitter", repr(splitter)):
            train, test = next(iter(splitter.split(rows.reshape(-1, 1), target, groups)))
        train, test = rows[train], rows[test]
    else:
        from sklearn.model_selection import train_test_split

        shuffle = split["shuffle"]
        # auto does not stratify an unshuffled split: train_test_split cannot (and the config
        # check refuses an explicit stratify: true without shuffle).
        stratify = stratified(split["stratify"], task) and (shuffle or split["stratify"] is True)
        with splitter_errors("split", "train_test_split"):
            train, test = train_test_split(
                rows,
                test_size=split["test_size"],
                shuffle=shuffle,
                random_state=seed if shuffle else None,
                stratify=target if stratify else None,
            )
    return {"train": train.tolist(), "test": test.tolist()}
