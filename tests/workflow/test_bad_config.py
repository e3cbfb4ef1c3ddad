"""An invalid config stops Snakemake before any job, with one line naming the key and problem."""

import pytest
import yaml

from tests.conftest import TINY_CONFIG, copy_workflow, run_snakemake

pytestmark = pytest.mark.workflow


def tiny_config() -> dict:
    return yaml.safe_load(TINY_CONFIG.read_text())


def unknown_dataset(config):
    config["datasets"]["mnist"] = {"source": "sklearn"}


def estimator_does_not_import(config):
    config["models"]["random_forest"]["estimator"] = "sklearn.ensemble.RandomJungleClassifier"


def unknown_hyperparameter(config):
    config["models"]["random_forest"]["params"]["n_trees"] = 10


def too_few_folds(config):
    config["cross_validation"]["folds"] = 1


def missing_csv_file(config):
    config["datasets"]["mine"] = {"source": "csv", "path": "data/absent.csv", "target": "y"}


def missing_target_column(config, workdir):
    (workdir / "data").mkdir()
    (workdir / "data" / "mine.csv").write_text("a,b,label\n1,2,x\n3,4,y\n")
    config["datasets"]["mine"] = {"source": "csv", "path": "data/mine.csv", "target": "class"}


def empty_model_list(config):
    config["models"] = {}


def seed_in_params(config):
    config["models"]["logistic_regression"]["params"]["random_state"] = 0


def unknown_splitter(config):
    config["cross_validation"] = {"splitter": "sklearn.model_selection.StratifiedKFolds"}


def group_splitter_without_groups(config):
    config["cross_validation"] = {"splitter": "sklearn.model_selection.GroupKFold"}


def scorer_not_in_registry(config):
    config["metrics"] = ["accuracy", "recall_weigted"]


def classification_scorer_on_a_regressor(config):
    config["datasets"] = {"diabetes": {"source": "sklearn"}}
    config["models"] = {"ridge": {"estimator": "sklearn.linear_model.Ridge"}}
    config["metrics"] = ["r2", "balanced_accuracy"]


def rows_outside_the_data(config):
    config["datasets"]["wine"]["rows"] = {"start": -200}


CASES = [
    (unknown_dataset, "datasets.mnist", "unknown scikit-learn dataset 'mnist'"),
    (estimator_does_not_import, "models.random_forest.estimator", "cannot import"),
    (unknown_hyperparameter, "models.random_forest.params.n_trees", "not a parameter of"),
    (too_few_folds, "cross_validation.folds", "less than the minimum of 2"),
    (missing_csv_file, "datasets.mine.path", "does not exist"),
    (missing_target_column, "datasets.mine.target", "column 'class' is not in data/mine.csv"),
    (empty_model_list, "models", "should be non-empty"),
    (seed_in_params, "models.logistic_regression.params.random_state", "seedlock sets"),
    (unknown_splitter, "cross_validation.splitter", "cannot import"),
    (
        group_splitter_without_groups,
        "cross_validation.splitter",
        "GroupKFold splits by groups but datasets iris, wine name no groups column",
    ),
    (scorer_not_in_registry, "metrics[1]", "did you mean recall_weighted"),
    (
        classification_scorer_on_a_regressor,
        "metrics[1]",
        "balanced_accuracy is a classification scorer but the models are regressors",
    ),
    (rows_outside_the_data, "datasets.wine.rows.start", "-200 is outside the data's 178 rows"),
]


@pytest.mark.parametrize(("mutate", "key", "problem"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_config_stops_before_any_job(tmp_path, mutate, key, problem):
    workdir = copy_workflow(tmp_path / "workflow")
    config = tiny_config()
    if mutate.__code__.co_argcount == 2:
        mutate(config, workdir)
    else:
        mutate(config)
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config))

    completed = run_snakemake(workdir, "--cores", "1", "--configfile", "bad.yaml", check=False)

    assert completed.returncode == 2, completed.stderr
    # Snakemake's own notice about the profile it picked up may precede the error line.
    lines = [line for line in completed.stderr.splitlines() if not line.startswith("Using ")]
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"seedlock: error: bad.yaml: {key}: "), lines[0]
    assert problem in lines[0]
    assert "Traceback" not in completed.stderr
    assert not (workdir / "results").exists()
    assert not (workdir / "logs").exists()
