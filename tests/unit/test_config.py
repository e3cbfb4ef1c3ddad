"""Config validation: defaults, the shipped configs, and one clear line per mistake."""

from pathlib import Path

import pytest
import yaml

from experiment.config import SCHEMA_PATH, load_config, load_schema, validate_config
from seedlock.errors import ConfigError
from tests.conftest import REPO, TINY_CONFIG


def test_shipped_configs_are_valid():
    for path in (REPO / "config.yaml", TINY_CONFIG):
        config = load_config(path, base_dir=REPO)
        assert config["models"] and config["datasets"]


def test_default_config_is_the_advertised_benchmark():
    config = load_config(REPO / "config.yaml", base_dir=REPO)
    assert sorted(config["datasets"]) == ["breast_cancer", "digits", "iris", "wine"]
    estimators = {model["estimator"].rsplit(".", 1)[1] for model in config["models"].values()}
    assert estimators == {
        "LogisticRegression",
        "RandomForestClassifier",
        "HistGradientBoostingClassifier",
        "SVC",
        "MLPClassifier",
    }


def test_empty_config_gets_every_default():
    config = validate_config({}, "c.yaml", REPO)
    assert config["seeds"] == {"root": 20261126, "replicates": 3, "explicit": []}
    assert config["cross_validation"] == {
        "folds": 5,
        "shuffle": True,
        "stratify": "auto",
        "data": "train",
    }
    assert config["split"] == {"test_size": 0.25, "shuffle": True, "stratify": "auto"}
    assert config["threads"] == {"default": 1, "checksum": 2}
    assert list(config["models"]) == ["logistic_regression"]
    assert config["models"]["logistic_regression"]["preprocessing"] == [
        "sklearn.preprocessing.StandardScaler"
    ]


def test_validation_does_not_modify_its_input():
    original = {"seeds": {"root": 1}}
    validate_config(original, "c.yaml", REPO)
    assert original == {"seeds": {"root": 1}}


def walk_properties(schema, path="config"):
    for name, subschema in schema.get("properties", {}).items():
        yield f"{path}.{name}", subschema
        yield from walk_properties(subschema, f"{path}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk_properties(schema["additionalProperties"], f"{path}.<name>")


# Keys whose value only makes sense per entry: no default can stand for them.
NO_DEFAULT = {
    "config.datasets.<name>.name",
    "config.datasets.<name>.path",
    "config.datasets.<name>.target",
    "config.datasets.<name>.groups",
    "config.datasets.<name>.rows.start",
    "config.datasets.<name>.rows.stop",
    "config.models.<name>.estimator",
}


def test_every_schema_key_has_a_description_and_a_default():
    for path, subschema in walk_properties(load_schema()):
        if "$ref" in subschema:
            continue
        assert subschema.get("description"), f"{path} has no description"
        if path not in NO_DEFAULT:
            assert "default" in subschema, f"{path} has no default"


def test_every_key_of_config_yaml_is_in_the_schema_and_commented():
    text = (REPO / "config.yaml").read_text()
    config = yaml.safe_load(text)
    schema = load_schema()
    for key in config:
        assert key in schema["properties"], key
        # The line before each top-level key, or the key's block, carries a comment.
        block = text.split(f"\n{key}:", 1)[0].rstrip().splitlines()[-1]
        assert block.startswith("#"), f"config.yaml: top-level key {key} has no comment above it"
    for section in ("seeds", "split", "cross_validation"):
        for key in config[section]:
            assert key in schema["properties"][section]["properties"], f"{section}.{key}"


def test_csv_dataset_checks_columns(tmp_path):
    (tmp_path / "d.csv").write_text("x1,x2,label\n" + "1,2,a\n3,4,b\n" * 10)
    good = {
        "datasets": {
            "mine": {"source": "csv", "path": "d.csv", "target": "label", "features": ["x1"]}
        }
    }
    assert validate_config(good, "c.yaml", tmp_path)["datasets"]["mine"]["features"] == ["x1"]
    bad = {
        "datasets": {
            "mine": {"source": "csv", "path": "d.csv", "target": "label", "features": ["x1", "x9"]}
        }
    }
    with pytest.raises(ConfigError, match=r"^c.yaml: datasets.mine.features: columns not in "):
        validate_config(bad, "c.yaml", tmp_path)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"seeds": {"explicit": [1, 1]}}, "seeds.explicit: lists a seed twice"),
        (
            {"metrics": ["accuracy", "precison_macro"]},
            r"metrics\[1\]: 'precison_macro' is not a scikit-learn scorer; "
            "did you mean precision_macro",
        ),
        (
            {
                "models": {"m": {"estimator": "sklearn.linear_model.Lasso"}},
                "datasets": {"d": {"source": "sklearn", "name": "diabetes"}},
            },
            r"metrics\[0\]: accuracy is a classification scorer but the models are regressors",
        ),
        (
            {"models": {"m": {"estimator": "sklearn.linear_model.Lasso"}}, "metrics": ["r2"]},
            "datasets.iris: iris is a classification dataset but the models are regressors",
        ),
        (
            {
                "models": {
                    "a": {"estimator": "sklearn.svm.SVC"},
                    "b": {"estimator": "sklearn.svm.SVR"},
                }
            },
            "models.b.estimator: is a regressor but models.a is a classifier",
        ),
        (
            {"models": {"m": {"estimator": "sklearn.preprocessing.StandardScaler"}}},
            "models.m.estimator: sklearn.preprocessing.StandardScaler is neither a classifier "
            "nor a regressor",
        ),
        (
            {"cross_validation": {"splitter": "sklearn.model_selection.KFoldz"}},
            "cross_validation.splitter: cannot import 'sklearn.model_selection.KFoldz'",
        ),
        (
            {"cross_validation": {"splitter": "sklearn.svm.SVC"}},
            "cross_validation.splitter: sklearn.svm.SVC is not a splitter",
        ),
        (
            {"cross_validation": {"splitter": "sklearn.model_selection.GroupKFold"}},
            "cross_validation.splitter: sklearn.model_selection.GroupKFold splits by groups "
            "but datasets iris name no groups column",
        ),
        (
            {
                "cross_validation": {
                    "splitter": {
                        "class": "sklearn.model_selection.ShuffleSplit",
                        "params": {"n_split": 3},
                    }
                }
            },
            "cross_validation.splitter.params.n_split: not a parameter of "
            "sklearn.model_selection.ShuffleSplit; valid: n_splits, test_size, train_size",
        ),
        (
            {
                "cross_validation": {
                    "folds": 3,
                    "splitter": "sklearn.model_selection.ShuffleSplit",
                }
            },
            "cross_validation.folds: cross_validation.splitter replaces folds",
        ),
        (
            {
                "split": {
                    "splitter": {
                        "class": "sklearn.model_selection.ShuffleSplit",
                        "params": {"random_state": 0},
                    }
                }
            },
            "split.splitter.params.random_state: seedlock sets random_state itself",
        ),
        ({"split": {"shuffle": False, "stratify": True}}, "split.stratify: train_test_split"),
        ({"split": {"test_size": 150}}, "split.test_size: 150 test samples leave none"),
        ({"split": {"test_size": 20.0}}, "split.test_size: 20.0 is neither a fraction"),
        (
            {"datasets": {"iris": {"source": "sklearn", "rows": {"stop": 6}}}},
            "cross_validation.folds: 5 folds need at least 5 samples; dataset iris "
            "cross-validates 4",
        ),
        (
            {"datasets": {"iris": {"source": "sklearn", "features": ["petal width"]}}},
            r"datasets.iris.features: iris has no feature petal width; did you mean "
            r"petal width \(cm\)",
        ),
        (
            {"cross_validation": {"splitter": "sklearn.model_selection.StratifiedKFolds"}},
            "cross_validation.splitter: cannot import .*did you mean "
            "sklearn.model_selection.StratifiedKFold",
        ),
        (
            {
                "models": {"m": {"estimator": "sklearn.linear_model.Ridge"}},
                "datasets": {"d": {"source": "sklearn", "name": "diabetes"}},
                "metrics": ["r2"],
                "cross_validation": {"splitter": "sklearn.model_selection.StratifiedKFold"},
            },
            "cross_validation.splitter: sklearn.model_selection.StratifiedKFold stratifies by "
            "class, and a regression target has none",
        ),
        (
            {"datasets": {"iris": {"source": "sklearn", "rows": {"stop": 200}}}},
            "datasets.iris.rows.stop: 200 is outside the data's 150 rows",
        ),
        (
            {"datasets": {"iris": {"source": "sklearn", "features": [4]}}},
            "datasets.iris.features: position 4 is outside iris's 4 features",
        ),
        (
            {"datasets": {"l": {"source": "sklearn", "name": "linnerud"}}},
            "datasets.l.target: linnerud has 3 targets; choose one",
        ),
        (
            {"models": {"m": {"estimator": "sklearn.svm.SVC", "params": {"n_jobs": 2}}}},
            "models.m.params.n_jobs: not a parameter of sklearn.svm.SVC",
        ),
        (
            {
                "models": {
                    "m": {
                        "estimator": "sklearn.ensemble.RandomForestClassifier",
                        "params": {"n_jobs": 2},
                    }
                }
            },
            "models.m.params.n_jobs: seedlock sets n_jobs itself",
        ),
        (
            {
                "models": {
                    "m": {
                        "estimator": "sklearn.svm.SVC",
                        "preprocessing": [{"estimator": "sklearn.preprocessing.Nope"}],
                    }
                }
            },
            r"models.m.preprocessing\[0\].estimator: cannot import",
        ),
        ({"models": {"m": {"estimator": "SVC"}}}, "models.m.estimator: 'SVC' does not match"),
        (
            {"datasets": {"x": {"source": "csv", "target": "y"}}},
            "datasets.x.path: missing; this key is required",
        ),
        (
            {"permutation_test": {"models": ["logistic_regresion"]}},
            r"permutation_test.models\[0\]: 'logistic_regresion' is not a model; "
            "did you mean logistic_regression",
        ),
        (
            {"learning_curve": {"scoring": "r2"}},
            "learning_curve.scoring: r2 is a regression scorer but the models are classifiers",
        ),
        (
            {"permutation_test": {"scoring": "acuracy"}},
            "permutation_test.scoring: 'acuracy' is not a scikit-learn scorer; did you mean",
        ),
        (
            {"learning_curve": {"train_sizes": [0.5, 40]}},
            "learning_curve.train_sizes: mixes fractions and counts",
        ),
        (
            {"learning_curve": {"train_sizes": [0.5, 1.5]}},
            "learning_curve.train_sizes: a fraction above 1.0",
        ),
        ({"permutation_test": {"n_permutations": 0}}, "permutation_test.n_permutations: 0 is less"),
        ({"unknown": 1}, "unknown: unknown key; known keys: "),
        ({"split": {"test_szie": 0.3}}, "split.test_szie: unknown key; did you mean 'test_size'"),
    ],
)
def test_each_mistake_gives_one_line_naming_the_key(config, message):
    with pytest.raises(ConfigError, match=f"^c.yaml: {message}") as raised:
        validate_config(config, "c.yaml", REPO)
    assert "\n" not in str(raised.value)


def test_every_mistake_the_schema_finds_is_reported_at_once_one_line_each():
    config = {"split": {"test_szie": 0.3}, "seeds": {"root": -1}, "compute_baseline": "avx"}
    with pytest.raises(ConfigError) as raised:
        validate_config(config, "c.yaml", REPO)
    assert str(raised.value).splitlines() == [
        "c.yaml: compute_baseline: 'avx' is not one of 'x86-64-v3', 'native'",
        "c.yaml: seeds.root: -1 is less than the minimum of 0",
        "c.yaml: split.test_szie: unknown key; did you mean 'test_size'?",
    ]


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("seeds: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(tmp_path / "list.yaml")
    # As Snakemake refuses them, before the workflow could say which file.
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(ConfigError, match=r"empty.yaml: \(file\): empty"):
        load_config(tmp_path / "empty.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"seeds: {root: 7}\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 22\)"):
        load_config(tmp_path / "latin1.yaml")


def test_schema_file_is_where_the_package_looks():
    assert SCHEMA_PATH == REPO / "schemas" / "config.schema.yaml"
    assert Path(SCHEMA_PATH).is_file()


def test_models_that_passed_the_import_check_are_not_checked_again(tmp_path, monkeypatch):
    import experiment.config

    config = yaml.safe_load(TINY_CONFIG.read_text(encoding="utf-8"))
    checked = tmp_path / ".snakemake" / "seedlock" / "checked-models"
    validate_config(config, "tiny.yaml", REPO, checked_models=checked)
    key, task = checked.read_text(encoding="utf-8").split()
    assert len(key) == 64 and task == "classification"

    def must_not_run(*arguments):
        raise AssertionError("the models were checked again")

    monkeypatch.setattr(experiment.config, "check_model_spec", must_not_run)
    validate_config(config, "tiny.yaml", REPO, checked_models=checked)
    monkeypatch.undo()

    # Another hyperparameter is checked, whatever the file says.
    model = next(iter(config["models"].values()))
    model.setdefault("params", {})["no_such_parameter"] = 1
    with pytest.raises(ConfigError, match="no_such_parameter: not a parameter of"):
        validate_config(config, "tiny.yaml", REPO, checked_models=checked)
