"""The whole workflow on the tiny config: outputs are complete and sane, and bit-for-bit stable
across a fresh directory and a different number of cores."""

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import log_loss

from seedlock.trees import tree_graph
from tests.conftest import TINY_CONFIG, copy_workflow, run_snakemake, tree_digests

pytestmark = pytest.mark.workflow

DATASETS = ["iris", "wine"]
MODELS = ["logistic_regression", "random_forest"]
REPLICATES = [0, 1]
FOLDS = 3


def expected_outputs() -> list[str]:
    paths = [
        "results/aggregate/metrics.csv",
        "results/aggregate/table1.csv",
        "results/aggregate/table1.md",
        "results/aggregate/table1.html",
        "results/aggregate/cv_folds.csv",
    ]
    paths += [
        f"results/figures/{name}.{ext}"
        for name in ("metric_bars", "confusion_matrices")
        for ext in ("png", "svg")
    ]
    paths += [f"results/learning_curves/learning_curves.{ext}" for ext in ("png", "svg")]
    for dataset in DATASETS:
        paths += [f"results/prepare_data/{dataset}.csv", f"results/prepare_data/{dataset}.json"]
        for model in MODELS:  # the tiny config tests and draws every model
            paths += [
                f"results/permutation_test/{dataset}/{model}.json",
                f"results/learning_curve/{dataset}/{model}.csv",
            ]
        for replicate in REPLICATES:
            paths.append(f"results/split/{dataset}/rep{replicate}.json")
            for model in MODELS:
                stem = f"{dataset}/{model}/rep{replicate}"
                paths += [
                    f"results/train/{stem}.pkl",
                    f"results/evaluate/{stem}.json",
                    f"results/evaluate/{stem}.predictions.csv",
                    f"results/cross_validate/{stem}.csv",
                ]
    return sorted(paths)


def run_tiny(workdir: Path, cores: int) -> Path:
    """Every output, checksummed and compared with references (none exist yet); the final verify
    gate is left to tests/workflow/test_verify.py."""
    copy_workflow(workdir)
    run_snakemake(
        workdir,
        "verify_report",  # targets first: --configfile takes every word after it
        "--cores",
        str(cores),
        "--configfile",
        str(TINY_CONFIG.relative_to(TINY_CONFIG.parents[2])),
    )
    return workdir


def step_outputs(workdir: Path) -> dict[str, str]:
    """Digests of every output of the workflow's steps (not the bookkeeping under results/)."""
    return {
        path: digest
        for path, digest in tree_digests(workdir / "results").items()
        if path.split("/")[0] in tree_graph(workdir).steps
    }


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    return run_tiny(tmp_path_factory.mktemp("first") / "workflow", cores=2)


def test_every_expected_output_exists_and_nothing_else(first_run):
    produced = sorted(f"results/{path}" for path in step_outputs(first_run))
    assert produced == expected_outputs()


def test_metrics_are_sane(first_run):
    for dataset in DATASETS:
        for model in MODELS:
            for replicate in REPLICATES:
                stem = first_run / f"results/evaluate/{dataset}/{model}/rep{replicate}"
                result = json.loads(stem.with_suffix(".json").read_text())
                metrics = result["metrics"]
                assert set(metrics) == {
                    "accuracy",
                    "balanced_accuracy",
                    "f1_macro",
                    "roc_auc_ovr",
                    "neg_log_loss",
                }
                assert 0.8 < metrics["accuracy"] <= 1.0, (dataset, model, metrics)
                assert 0.8 < metrics["roc_auc_ovr"] <= 1.0
                predictions = pd.read_csv(f"{stem}.predictions.csv")
                assert len(predictions) == result["n_test"]
                scores = predictions.filter(like="score_")
                # the scorer's loss is the log loss of the saved per-sample probabilities
                assert metrics["neg_log_loss"] == pytest.approx(
                    -log_loss(predictions.y_true, scores.to_numpy()), rel=1e-12
                )
                assert (scores.sum(axis=1) - 1.0).abs().max() < 1e-9
                assert (predictions.y_pred == predictions.y_true).mean() == pytest.approx(
                    metrics["accuracy"]
                )


def test_iris_logistic_regression_beats_080(first_run):
    table = pd.read_csv(first_run / "results/aggregate/table1.csv")
    row = table[(table.dataset == "iris") & (table.model == "logistic_regression")].iloc[0]
    assert row.holdout_accuracy_mean > 0.8
    assert row.n_replicates == len(REPLICATES)
    assert len(table) == len(DATASETS) * len(MODELS)


def test_split_is_stratified_and_disjoint(first_run):
    meta = json.loads((first_run / "results/prepare_data/iris.json").read_text())
    assert meta["n_samples"] == 150 and meta["classes"] == ["setosa", "versicolor", "virginica"]
    table = pd.read_csv(first_run / "results/prepare_data/iris.csv")
    split = json.loads((first_run / "results/split/iris/rep0.json").read_text())
    assert not set(split["train"]) & set(split["test"])
    assert len(split["train"]) + len(split["test"]) == 150
    test_counts = table.target.iloc[split["test"]].value_counts()
    assert test_counts.max() - test_counts.min() <= 1


def test_cross_validation_has_one_row_per_fold(first_run):
    folds = pd.read_csv(first_run / "results/cross_validate/wine/random_forest/rep1.csv")
    assert folds.fold.tolist() == list(range(FOLDS))
    assert (folds.accuracy > 0.7).all()
    # each replicate summarised across its folds, as a cross_val_score printout
    summary = pd.read_csv(first_run / "results/aggregate/cv_folds.csv")
    row = summary[(summary.dataset == "wine") & (summary.model == "random_forest")]
    row = row[row.replicate == 1].iloc[0]
    assert row.n_folds == FOLDS
    assert row.accuracy_mean == folds.accuracy.to_numpy().mean()
    assert row.accuracy_std == folds.accuracy.to_numpy().std()
    markdown = (first_run / "results/aggregate/table1.md").read_text()
    assert "### Cross-validation per replicate: mean ± std across folds" in markdown


def test_figures_are_valid_png_and_svg(first_run):
    for name in ("metric_bars", "confusion_matrices"):
        png = (first_run / f"results/figures/{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
        root = ElementTree.parse(first_run / f"results/figures/{name}.svg").getroot()
        assert root.tag.endswith("svg")


def test_every_job_logged_its_seed_and_environment(first_run):
    log = (first_run / "logs/train/iris/random_forest/rep0.log").read_text()
    assert "seed=" in log and '"PYTHONHASHSEED": "0"' in log and '"OMP_NUM_THREADS": "1"' in log


def test_fresh_directory_gives_identical_bytes(first_run, tmp_path):
    # A different, deeper path: nothing may depend on where the workflow lives.
    second = run_tiny(tmp_path / "a" / "much" / "deeper" / "checkout", cores=2)
    assert step_outputs(second) == step_outputs(first_run)


def test_one_core_gives_identical_bytes(first_run, tmp_path):
    single = run_tiny(tmp_path / "single", cores=1)
    assert step_outputs(single) == step_outputs(first_run)


def dry_run_output(workdir: Path) -> str:
    """What a dry run of the tiny config prints."""
    completed = run_snakemake(
        workdir,
        "verify_report",
        "--cores",
        "2",
        "--dry-run",
        "--configfile",
        "tests/config/tiny.yaml",
    )
    return completed.stdout + completed.stderr


def planned_jobs(workdir: Path) -> dict[str, int]:
    """Jobs a dry run of the tiny config would run, by rule, from Snakemake's job stats table."""
    counts = {}
    for line in dry_run_output(workdir).splitlines():
        words = line.split()
        if len(words) == 2 and words[1].isdigit() and words[0] != "total":
            counts[words[0]] = int(words[1])
    return counts


def test_no_change_rerun_runs_nothing(first_run):
    assert "Nothing to be done" in dry_run_output(first_run)


def test_a_changed_library_module_reruns_the_steps_that_import_it(first_run, tmp_path):
    # A copy keeps the outputs, their modification times and Snakemake's metadata.
    workdir = tmp_path / "workflow"
    shutil.copytree(first_run, workdir, symlinks=True)
    assert planned_jobs(workdir) == {}
    # experiment/tables.py is imported by the aggregate step's script only
    with (workdir / "experiment" / "tables.py").open("a") as module:
        module.write("\n# a change that Snakemake's script trigger does not see\n")
    planned = planned_jobs(workdir)
    assert planned.get("aggregate") == 1
    assert not {"prepare_data", "split", "train", "evaluate", "cross_validate"} & set(planned)
