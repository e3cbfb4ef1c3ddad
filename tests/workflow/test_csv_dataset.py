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


def test_text_feature_column_fails_the_job_with_one_line(tmp_path):
    workdir = copy_workflow(tmp_path / "workflow")
    (workdir / "data").mkdir()
    two_blobs().to_csv(workdir / "data" / "animals.csv", index=False)
    (workdir / "mine.yaml").write_text(yaml.safe_dump(csv_config("data/animals.csv")))

    completed = run_snakemake(workdir, "--cores", "1", "--configfile", "mine.yaml", check=False)

    assert completed.returncode != 0
    log = (workdir / "logs/prepare_data/mine.log").read_text()
    assert "data/animals.csv: feature columns colour are not numeric" in log
    assert "Traceback" not in log
    assert not (workdir / "results/prepare_data/mine.csv").exists()
