"""Each config in examples/ regenerates the numbers scikit-learn's documentation prints, at the
precision printed there. The quotes and their pages are in each config's comments."""

import json
import shutil
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, copy_workflow, run_snakemake

pytestmark = pytest.mark.workflow


def holdout(workdir: Path, dataset: str, model: str, metric: str) -> list[float]:
    path = workdir / f"results/evaluate/{dataset}/{model}/rep0.json"
    return [json.loads(path.read_text())["metrics"][metric]]


def folds(workdir: Path, dataset: str, model: str, metric: str) -> list[float]:
    path = workdir / f"results/cross_validate/{dataset}/{model}/rep0.csv"
    return pd.read_csv(path)[metric].tolist()


def fold_mean_std(workdir: Path, dataset: str, model: str, metric: str) -> list[float]:
    table = pd.read_csv(workdir / "results/aggregate/cv_folds.csv")
    row = table[(table.dataset == dataset) & (table.model == model)].iloc[0]
    return [row[f"{metric}_mean"], row[f"{metric}_std"]]


# (what the workflow wrote, its dataset, model and scorer, the numbers as printed). A printed
# number ending in "..." (a doctest ellipsis) is cut after its last digit; any other is rounded.
EXAMPLES = {
    "iris_svc_cross_validation": [
        (holdout, "iris", "linear_svc", "accuracy", ["0.96..."]),
        (folds, "iris", "linear_svc", "accuracy", ["0.96...", "1.", "0.96...", "0.96...", "1."]),
        # "0.98 accuracy with a standard deviation of 0.02"
        (fold_mean_std, "iris", "linear_svc", "accuracy", ["0.98", "0.02"]),
        (folds, "iris", "linear_svc", "f1_macro", ["0.96...", "1....", "0.96...", "0.96...", "1."]),
    ],
    "iris_shuffle_split": [
        (
            folds,
            "iris",
            "linear_svc",
            "accuracy",
            ["0.977...", "0.977...", "1....", "0.955...", "1."],
        ),
        (holdout, "iris", "scaled_rbf_svc", "accuracy", ["0.9333..."]),
        (
            folds,
            "iris",
            "scaled_rbf_svc",
            "accuracy",
            ["0.977...", "0.933...", "0.955...", "0.933...", "0.977..."],
        ),
    ],
    "diabetes_lasso": [
        (folds, "diabetes", "lasso", "r2", ["0.3315057", "0.08022103", "0.03531816"]),
        # printed [-3635.5 -3573.3 -6114.7]: cut after one decimal (the values are -3635.52,
        # -3573.35, -6114.78), so compared as cut.
        (
            folds,
            "diabetes",
            "lasso",
            "neg_mean_squared_error",
            ["-3635.5...", "-3573.3...", "-6114.7..."],
        ),
    ],
    "diabetes_ols": [
        # "Mean squared error: 2548.07"; the scorer is its negation.
        (holdout, "diabetes", "ordinary_least_squares", "neg_mean_squared_error", ["-2548.07"]),
        (holdout, "diabetes", "ordinary_least_squares", "r2", ["0.47"]),
    ],
    "digits_svc_kfold": [
        (holdout, "digits", "linear_svc", "accuracy", ["0.98"]),
        (
            folds,
            "digits",
            "linear_svc",
            "accuracy",
            ["0.96388889", "0.92222222", "0.9637883", "0.9637883", "0.93036212"],
        ),
        (
            folds,
            "digits",
            "linear_svc",
            "precision_macro",
            ["0.96578289", "0.92708922", "0.96681476", "0.96362897", "0.93192644"],
        ),
    ],
}


def as_printed(value: float, printed: str) -> str:
    """``value`` written with the digits of ``printed``: cut for an ellipsis, else rounded."""
    number = printed.removesuffix("...")
    places = Decimal(1).scaleb(Decimal(number).as_tuple().exponent)
    rounding = ROUND_DOWN if printed.endswith("...") else ROUND_HALF_EVEN
    return str(Decimal(repr(float(value))).quantize(places, rounding=rounding))


def test_as_printed_cuts_ellipses_and_rounds_the_rest():
    assert as_printed(0.9666666666666667, "0.96...") == "0.96"
    assert as_printed(0.9666666666666667, "0.97") == "0.97"
    assert as_printed(-3573.3505028083255, "-3573.3...") == "-3573.3"
    assert as_printed(1.0, "1.") == "1"


def test_every_example_is_checked():
    assert sorted(p.stem for p in (REPO / "examples").glob("*.yaml")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_regenerates_the_printed_numbers_and_its_references(tmp_path, name):
    workdir = copy_workflow(tmp_path / "workflow")
    shutil.copytree(REPO / "references", workdir / "references")
    # As the config's comment says, with references required: a missing folder fails.
    (workdir / "required.yaml").write_text("verify:\n  require_references: true\n")
    completed = run_snakemake(
        workdir,
        "--cores",
        "2",
        "--configfile",
        f"examples/{name}.yaml",
        "required.yaml",
        check=False,
    )
    verdict = (workdir / "results/verify/verdict.txt").read_text()
    assert completed.returncode == 0 and verdict.startswith("seedlock verify: PASS\n"), verdict
    assert f"references/{name}-" in verdict.splitlines()[1]
    for read, dataset, model, metric, printed in EXAMPLES[name]:
        values = read(workdir, dataset, model, metric)
        got = [as_printed(value, text) for value, text in zip(values, printed, strict=True)]
        expected = [str(Decimal(text.removesuffix("..."))) for text in printed]
        assert got == expected, (read.__name__, dataset, model, metric, values)
    # regressions get predicted-against-true and residual plots instead of confusion matrices
    detail = "regression_diagnostics" if "diabetes" in name else "confusion_matrices"
    figures = sorted(path.name for path in (workdir / "results/figures").iterdir())
    assert figures == sorted(
        [f"{detail}.png", f"{detail}.svg", "metric_bars.png", "metric_bars.svg"]
    )
