"""A user's own CSV file runs through the workflow; a CSV the models cannot use fails its job with
one clear line in the job's log."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import copy_workflow, run_snakemake

pytestmark = pytest.mark.workflow


def csv_config(path: str, features=None) -> dict:
    dataset = {"source": "csv", "path": path, "target": "species"}
    if features:
        dataset["features"] = features
    return {
        "seeds": {"root": 3, "replicates": 1},
        "datasets": {"mine": dataset},
        "models": {
            "tree": {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {"max_depth": 3}}
        },
        "cross_validation": {"folds": 2},
    }


def two_blobs(rows: int = 60) -> pd.DataFrame:
    generator = np.random.default_rng(0)
    labels = np.repeat(["cat", "dog"], rows // 2)
    centre = np.where(labels == "cat", -2.0, 2.0)
    return pd.DataFrame(
        {
            "weight": centre + generator.normal(size=rows),
            "height": centre + generator.normal(size=rows),
            "colour": generator.choice(["red", "blue"], size=rows),
            "species": labels,
        }
    )


def test_own_csv_with_text_labels_runs_end_to_end(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "data").mkdir()
    two_blobs().to_csv(workdir / "data" / "animals.csv", index=False)
    (workdir / "mine.yaml").write_text(
        yaml.safe_dump(csv_config("data/animals.csv", features=["weight", "height"]))
    )
    # No references exist for this config: run up to the verification report.
    run_snakemake(workdir, "verify_report", "--cores", "2", "--configfile", "mine.yaml")

    meta = json.loads((workdir / "results/prepare_data/mine.json").read_text())
    assert meta["classes"] == ["cat", "dog"] and meta["class_counts"] == [30, 30]
    assert meta["n_features"] == 2
    metrics = json.loads((workdir / "results/evaluate/mine/tree/rep0.json").read_text())
    assert metrics["metrics"]["accuracy"] > 0.9
    assert "| mine | tree | 1 |" in (workdir / "results/aggregate/table1.md").read_text()


def test_text_feature_column_stops_the_run_before_any_job_with_one_line(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "data").mkdir()
    two_blobs().to_csv(workdir / "data" / "animals.csv", index=False)
    (workdir / "mine.yaml").write_text(yaml.safe_dump(csv_config("data/animals.csv")))

    completed = run_snakemake(workdir, "--cores", "1", "--configfile", "mine.yaml", check=False)

    assert completed.returncode == 2
    errors = [line for line in completed.stderr.splitlines() if line.startswith("seedlock:")]
    assert errors == [
        "seedlock: error: mine.yaml: datasets.mine: data/animals.csv: feature columns colour "
        "are not numeric; encode them or leave them out with features: [...]"
    ]
    assert "Traceback" not in completed.stderr
    assert not (workdir / "results").exists()


def test_groups_column_reaches_group_splitters(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "data").mkdir()
    table = two_blobs(80)
    # 8 sites of 10 samples; the last 20 rows (2 sites) are left out by rows.
    table["site"] = [f"site{i // 10}" for i in range(80)]
    table.to_csv(workdir / "data" / "animals.csv", index=False)
    config = csv_config("data/animals.csv", features=["weight", "height"])
    config["datasets"]["mine"].update(groups="site", rows={"start": 10, "stop": -10})
    config["split"] = {
        "splitter": {
            "class": "sklearn.model_selection.GroupShuffleSplit",
            "params": {"n_splits": 1, "test_size": 2},
        }
    }
    config["cross_validation"] = {
        "splitter": {"class": "sklearn.model_selection.GroupKFold", "params": {"n_splits": 3}},
        "data": "train",
    }
    (workdir / "mine.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(workdir, "aggregate", "--cores", "2", "--configfile", "mine.yaml")

    meta = json.loads((workdir / "results/prepare_data/mine.json").read_text())
    assert meta["rows"] == {"start": 10, "stop": 70} and meta["n_groups"] == 6
    assert meta["features"] == ["weight", "height"] and meta["n_samples"] == 60
    prepared = pd.read_csv(workdir / "results/prepare_data/mine.csv")
    assert list(prepared.columns) == ["weight", "height", "groups", "target"]
    split = json.loads((workdir / "results/split/mine/rep0.json").read_text())
    train_sites = set(prepared.groups.iloc[split["train"]])
    test_sites = set(prepared.groups.iloc[split["test"]])
    assert len(test_sites) == 2 and len(train_sites) == 4 and not train_sites & test_sites
    folds = pd.read_csv(workdir / "results/cross_validate/mine/tree/rep0.csv")
    # GroupKFold over the 4 training sites of 10 samples: whole sites in each test fold.
    assert folds.fold.tolist() == [0, 1, 2]
    assert sorted(folds.n_test.tolist()) == [10, 10, 20]
    log = (workdir / "logs/cross_validate/mine/tree/rep0.log").read_text()
    assert "GroupKFold(n_splits=3" in log
