"""Build scikit-learn estimators from their class path and hyperparameters in config."""

import importlib
import inspect
from collections.abc import Mapping

from seedlock.errors import ConfigError

# Parameters that seedlock sets itself, so they cannot also come from config: a seed in params
# would bypass seed derivation, and n_jobs must follow the rule's declared thread count.
RESERVED_PARAMS = {
    "random_state": "set seeds.root or seeds.explicit instead",
    "n_jobs": "set threads for the rule instead",
}


def import_class(path: str) -> type:
    """The class named by a dotted path such as ``sklearn.svm.SVC``."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path like sklearn.svm.SVC")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {class_name!r}") from None


def step_specs(model: Mapping) -> list[tuple[str, Mapping]]:
    """(class path, params) of each pipeline step: the preprocessing steps, then the estimator."""
    steps = []
    for step in model.get("preprocessing", []):
        if isinstance(step, str):
            steps.append((step, {}))
        else:
            steps.append((step["estimator"], step.get("params", {})))
    steps.append((model["estimator"], model.get("params", {})))
    return steps


def check_model_spec(source: str, key: str, model: Mapping) -> str:
    """The model's task (classification or regression); raises ``ConfigError`` unless every
    class imports, the final one is a classifier or a regressor, and every hyperparameter exists."""
    from sklearn.base import is_classifier, is_regressor

    specs = step_specs(model)
    for index, (class_path, params) in enumerate(specs):
        is_final = index == len(specs) - 1
        step_key = key if is_final else f"{key}.preprocessing[{index}]"
        try:
            cls = import_class(class_path)
        except ImportError as error:
            raise ConfigError(
                source, f"{step_key}.estimator", f"cannot import {class_path!r}: {error}"
            ) from None
        if not inspect.isclass(cls) or not hasattr(cls, "get_params"):
            raise ConfigError(
                source, f"{step_key}.estimator", f"{class_path} is not a scikit-learn estimator"
            )
        try:
            instance = cls()
        except Exception as error:  # a class that needs arguments (VotingClassifier)
            raise ConfigError(
                source,
                f"{step_key}.estimator",
                f"{class_path}() cannot be built from params alone ({error}); "
                "wrap it in a class of your own that takes only keyword parameters",
            ) from None
        if is_final and not (is_classifier(instance) or is_regressor(instance)):
            raise ConfigError(
                source, f"{key}.estimator", f"{class_path} is neither a classifier nor a regressor"
            )
        if not is_final and not hasattr(instance, "transform"):
            raise ConfigError(
                source,
                f"{step_key}.estimator",
                f"{class_path} is not a transformer (it has no transform method); a "
                "preprocessing step transforms the features for the model after it",
            )
        valid = instance.get_params(deep=False)
        for name in params:
            if name in RESERVED_PARAMS and name in valid:
                raise ConfigError(
                    source,
                    f"{step_key}.params.{name}",
                    f"seedlock sets {name} itself; {RESERVED_PARAMS[name]}",
                )
            if name not in valid:
                raise ConfigError(
                    source,
                    f"{step_key}.params.{name}",
                    f"not a parameter of {class_path}; valid: "
                    + ", ".join(sorted(set(valid) - set(RESERVED_PARAMS))),
                )
        check_param_values(source, step_key, cls, params)
    return "regression" if is_regressor(instance) else "classification"


def check_param_values(source: str, key: str, cls: type, params: Mapping) -> None:
    """The hyperparameters' values, as scikit-learn checks them when fitting (its declared
    constraints: types and ranges), so that ``n_estimators: -5`` stops before any job."""
    try:
        instance = cls(**_with_sequences_as_tuples(params))
    except Exception as error:
        raise ConfigError(source, f"{key}.params", f"{cls.__name__}: {error}") from None
    validate = getattr(instance, "_validate_params", None)
    if validate is None:
        return
    try:
        validate()
    except (ValueError, TypeError) as error:
        message = str(error)
        name = next((n for n in params if f"'{n}' parameter" in message), None)
        raise ConfigError(source, f"{key}.params" + (f".{name}" if name else ""), message) from None


def _with_sequences_as_tuples(params: Mapping) -> dict:
    # YAML has no tuples; scikit-learn documents tuples for e.g. hidden_layer_sizes.
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def build_estimator(model: Mapping, seed: int, threads: int):
    """A fresh estimator (a Pipeline when preprocessing is declared) with every ``random_state``
    set to ``seed`` and, for more than one thread, every ``n_jobs`` set to ``threads``."""
    from sklearn.pipeline import Pipeline

    steps = []
    for index, (class_path, params) in enumerate(step_specs(model)):
        cls = import_class(class_path)
        instance = cls(**_with_sequences_as_tuples(params))
        valid = instance.get_params(deep=False)
        if "random_state" in valid:
            instance.set_params(random_state=seed)
        # n_jobs=None already means one thread; leaving it alone avoids scikit-learn's warnings
        # for estimators that deprecate the parameter.
        if "n_jobs" in valid and threads > 1:
            instance.set_params(n_jobs=threads)
        steps.append((f"step{index}_{cls.__name__.lower()}", instance))
    if len(steps) == 1:
        return steps[0][1]
    return Pipeline(steps)


def single_threaded_for_prediction(estimator) -> None:
    """Set every ``n_jobs`` in ``estimator`` back to None (one thread).

    RandomForest ``predict_proba`` with ``n_jobs > 1`` sums tree outputs in thread completion order,
    which changes the last bits from run to run. Fitting in parallel is deterministic; predicting
    is not, so saved models predict single-threaded. None, the value a one-thread fit leaves, also
    keeps the saved model's bytes independent of the thread count it was fitted with; histogram
    gradient boosting models also forget the thread count their binning used.
    """
    params = estimator.get_params(deep=True)
    updates = {
        name: None
        for name, value in params.items()
        if (name == "n_jobs" or name.endswith("__n_jobs")) and value is not None
    }
    if updates:
        estimator.set_params(**updates)
    for part in [estimator, *(step for _, step in getattr(estimator, "steps", []))]:
        _forget_fitting_thread_count(part)


def _forget_fitting_thread_count(estimator) -> None:
    """Drop the thread count a fitted histogram gradient boosting model remembers.

    Its bin mapper keeps the OpenMP thread count it was fitted with (1 or 2 on the probe's runs),
    so the pickles of a 1-thread and a 2-thread fit differ in one integer although the trees are
    identical. None makes a later binning use the caller's thread limit, and binning gives the
    same result for any thread count.
    """
    bin_mapper = getattr(estimator, "_bin_mapper", None)
    if bin_mapper is not None and getattr(bin_mapper, "n_threads", None) is not None:
        bin_mapper.n_threads = None
