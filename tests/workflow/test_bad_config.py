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


def folds_beyond_every_class(config):
    config["cross_validation"]["folds"] = 60  # iris: 112 training rows, about 37 per class


def tiny_test_size(config):
    config["split"] = {"test_size": 0.001}


def classifier_as_preprocessing(config):
    config["models"]["logistic_regression"]["preprocessing"] = [
        "sklearn.linear_model.LogisticRegression"
    ]


def word_as_hyperparameter(config):
    config["models"]["random_forest"]["params"]["n_estimators"] = "many"


def negative_hyperparameter(config):
    config["models"]["random_forest"]["params"]["n_estimators"] = -5


def function_as_estimator(config):
    config["models"]["random_forest"]["estimator"] = "os.path.join"


def estimator_needing_arguments(config):
    config["models"]["random_forest"]["estimator"] = "sklearn.ensemble.VotingClassifier"
    config["models"]["random_forest"]["params"] = {}


def a_billion_replicates(config):
    config["seeds"]["replicates"] = 1_000_000_000


def two_classes(rows: int, cell=lambda row: str(row)) -> str:
    lines = ["a,b,label"] + [f"{cell(row)},{row % 7},{'xy'[row % 2]}" for row in range(rows)]
    return "\n".join(lines) + "\n"


def with_csv(text):
    """A case: the tiny config with one CSV dataset holding ``text`` (str or bytes)."""

    def mutate(config, workdir):
        (workdir / "data").mkdir()
        data = text.encode() if isinstance(text, str) else text
        (workdir / "data" / "mine.csv").write_bytes(data)
        config["datasets"] = {"mine": {"source": "csv", "path": "data/mine.csv", "target": "label"}}

    return mutate


def csv_of_three_rows(config, workdir):
    with_csv(two_classes(3))(config, workdir)


def csv_with_a_ragged_row(config, workdir):
    with_csv(two_classes(40) + "1,2,3,x\n")(config, workdir)


def csv_with_infinity(config, workdir):
    with_csv(two_classes(40, lambda row: "inf" if row == 5 else str(row)))(config, workdir)


def csv_with_1e308(config, workdir):
    with_csv(two_classes(40, lambda row: "-1e308" if row == 5 else str(row)))(config, workdir)


def csv_with_a_missing_value(config, workdir):
    with_csv(two_classes(40, lambda row: "" if row == 5 else str(row)))(config, workdir)


def csv_with_a_text_column(config, workdir):
    with_csv(two_classes(40, lambda row: f"r{row}"))(config, workdir)


def csv_with_one_class(config, workdir):
    with_csv("a,b,label\n" + "".join(f"{row},1,x\n" for row in range(40)))(config, workdir)


def csv_with_only_a_header(config, workdir):
    with_csv("a,b,label\n")(config, workdir)


def csv_outside_the_workflow(config):
    config["datasets"]["mine"] = {"source": "csv", "path": "/etc/passwd", "target": "root"}


def csv_not_utf8(config, workdir):
    with_csv(two_classes(40).encode().replace(b",x", b",\xff", 1))(config, workdir)


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
    (folds_beyond_every_class, "cross_validation.folds", "60 stratified folds need a class"),
    (tiny_test_size, "split.test_size", "fewer than its 3 classes"),
    (
        classifier_as_preprocessing,
        "models.logistic_regression.preprocessing[0].estimator",
        "is not a transformer",
    ),
    (word_as_hyperparameter, "models.random_forest.params.n_estimators", "must be an int"),
    (negative_hyperparameter, "models.random_forest.params.n_estimators", "range [1, inf)"),
    (function_as_estimator, "models.random_forest.estimator", "not a scikit-learn estimator"),
    (estimator_needing_arguments, "models.random_forest.estimator", "cannot be built"),
    (a_billion_replicates, "seeds.replicates", "greater than the maximum of 10000"),
    (csv_of_three_rows, "cross_validation.folds", "3 folds need at least 3 samples"),
    (csv_with_a_ragged_row, "datasets.mine", "not a well-formed CSV file"),
    (csv_with_infinity, "datasets.mine", "columns a hold infinite values"),
    (csv_with_1e308, "datasets.mine", "whose squares overflow float64"),
    (csv_with_a_missing_value, "datasets.mine", "columns a have missing values"),
    (csv_with_a_text_column, "datasets.mine", "feature columns a are not numeric"),
    (csv_with_one_class, "datasets.mine", "the target has 1 class"),
    (csv_with_only_a_header, "datasets.mine.rows", "selects no row"),
    (csv_not_utf8, "datasets.mine.path", "not UTF-8 text"),
    (csv_outside_the_workflow, "datasets.mine.path", "'/etc/passwd' leaves the workflow folder"),
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
