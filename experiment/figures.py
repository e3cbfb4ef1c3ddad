"""Figures: held-out scores with error bars; confusion matrices (classification) or predicted
against true values and residuals (regression), pooled over replicates."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from seedlock.writers import configure_matplotlib


def bar_metrics(metric_order: Sequence[str]) -> list[str]:
    """Scores drawn as bars: negated losses (neg_log_loss, neg_mean_squared_error) are unbounded
    and stay in the tables, unless the config asks for nothing else."""
    scores = [m for m in metric_order if not m.startswith("neg_")]
    return scores or list(metric_order)


def metric_bars(long: pd.DataFrame, metric_order: Sequence[str]):
    """One panel per dataset: each held-out score per model, mean ± std across replicates."""
    configure_matplotlib()
    import matplotlib.pyplot as plt

    metrics = bar_metrics(metric_order)
    holdout = long[(long.evaluation == "holdout") & long.metric.isin(metrics)]
    datasets = sorted(holdout.dataset.unique())
    models = sorted(holdout.model.unique())
    figure, axes = plt.subplots(
        1, len(datasets), figsize=(4.5 * len(datasets), 4), squeeze=False, sharey=True
    )
    width = 0.8 / max(len(metrics), 1)
    positions = np.arange(len(models))
    # Scores within 0..1: start the axis a little below the lowest bar, so that differences
    # between models show. Others (r2 below 0, losses) keep matplotlib's limits.
    summary = holdout.groupby(["dataset", "model", "metric"])["value"].agg(["mean", "std"])
    lowest = float((summary["mean"] - summary["std"].fillna(0.0)).min())
    highest = float((summary["mean"] + summary["std"].fillna(0.0)).max())
    unit_range = lowest >= 0.0 and highest <= 1.0
    bottom = min(max(np.floor(lowest * 10) / 10 - 0.1, 0.0), 0.9) if unit_range else None
    for axis, dataset in zip(axes[0], datasets, strict=True):
        part = holdout[holdout.dataset == dataset]
        stats = part.groupby(["model", "metric"])["value"].agg(["mean", "std"]).fillna(0.0)
        for offset, metric in enumerate(metrics):
            means = [_stat(stats, model, metric, "mean") for model in models]
            stds = [_stat(stats, model, metric, "std") for model in models]
            axis.bar(
                positions + (offset - (len(metrics) - 1) / 2) * width,
                means,
                width,
                yerr=stds,
                capsize=2,
                label=metric,
            )
        axis.set_title(dataset)
        axis.set_xticks(positions, models, rotation=30, ha="right")
        if unit_range:
            axis.set_ylim(bottom, 1.01)
    axes[0][0].set_ylabel("held-out score (mean ± std across replicates)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=len(metrics), frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.92))
    return figure


def _stat(stats: pd.DataFrame, model: str, metric: str, statistic: str) -> float:
    return float(stats[statistic].get((model, metric), np.nan))


def confusion_counts(predictions: pd.DataFrame, labels: Sequence) -> np.ndarray:
    """Counts of (true, predicted) class pairs, in the order of ``labels``."""
    position = {label: index for index, label in enumerate(labels)}
    true = [position[label] for label in predictions.y_true]
    predicted = [position[label] for label in predictions.y_pred]
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def confusion_grid(
    counts: Mapping[tuple[str, str], np.ndarray], class_names: Mapping[str, Sequence[str]]
):
    """A grid of row-normalised confusion matrices: datasets down, models across."""
    configure_matplotlib()
    import matplotlib.pyplot as plt

    datasets = sorted({dataset for dataset, _ in counts})
    models = sorted({model for _, model in counts})
    figure, axes = plt.subplots(
        len(datasets),
        len(models),
        figsize=(2.8 * len(models), 2.8 * len(datasets)),
        squeeze=False,
    )
    for row, dataset in enumerate(datasets):
        names = class_names[dataset]
        for column, model in enumerate(models):
            axis = axes[row][column]
            matrix = counts[(dataset, model)].astype("float64")
            totals = matrix.sum(axis=1, keepdims=True)
            normalised = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
            axis.imshow(normalised, vmin=0, vmax=1, cmap="Blues")
            ticks = np.arange(len(names))
            axis.set_xticks(ticks, names if len(names) <= 4 else ticks, fontsize="x-small")
            axis.set_yticks(ticks, names if len(names) <= 4 else ticks, fontsize="x-small")
            if row == 0:
                axis.set_title(model, fontsize="small")
            if column == 0:
                axis.set_ylabel(f"{dataset}\ntrue", fontsize="small")
            if row == len(datasets) - 1:
                axis.set_xlabel("predicted", fontsize="small")
    figure.tight_layout()
    return figure


def regression_grid(predictions: Mapping[tuple[str, str], pd.DataFrame]):
    """Per dataset (down) and model (across): predicted against true values with the identity
    line, and residuals (true - predicted) against the prediction; held-out samples of every
    replicate pooled."""
    configure_matplotlib()
    import matplotlib.pyplot as plt

    datasets = sorted({dataset for dataset, _ in predictions})
    models = sorted({model for _, model in predictions})
    figure, axes = plt.subplots(
        len(datasets),
        2 * len(models),
        figsize=(2.8 * 2 * len(models), 2.8 * len(datasets)),
        squeeze=False,
    )
    for row, dataset in enumerate(datasets):
        for column, model in enumerate(models):
            table = predictions[(dataset, model)]
            scatter, residual = axes[row][2 * column], axes[row][2 * column + 1]
            low = float(min(table.y_true.min(), table.y_pred.min()))
            high = float(max(table.y_true.max(), table.y_pred.max()))
            scatter.plot([low, high], [low, high], color="grey", linewidth=0.8)
            scatter.scatter(table.y_true, table.y_pred, s=6, alpha=0.6)
            scatter.set_xlabel("true", fontsize="small")
            scatter.set_ylabel(f"{dataset}\npredicted", fontsize="small")
            scatter.set_title(model, fontsize="small")
            residual.axhline(0.0, color="grey", linewidth=0.8)
            residual.scatter(table.y_pred, table.y_true - table.y_pred, s=6, alpha=0.6)
            residual.set_xlabel("predicted", fontsize="small")
            residual.set_ylabel("residual", fontsize="small")
            residual.set_title(f"{model}: residuals", fontsize="small")
    figure.tight_layout()
    return figure


def learning_curve_grid(curves: Mapping[tuple[str, str], pd.DataFrame], scoring: str):
    """One panel per dataset: for each model, the mean score across folds on the fold's test
    rows (solid, ± std shaded) and on the rows trained on (dashed), against training rows."""
    configure_matplotlib()
    import matplotlib.pyplot as plt

    datasets = sorted({dataset for dataset, _ in curves})
    models = sorted({model for _, model in curves})
    figure, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, dataset in zip(axes[0], datasets, strict=True):
        for index, model in enumerate(models):
            if (dataset, model) not in curves:
                continue
            scores = curves[(dataset, model)][["n_train", "train_score", "test_score"]]
            stats = scores.groupby("n_train").agg(["mean", "std"])
            sizes = stats.index.to_numpy()
            colour = colours[index % len(colours)]
            test_mean = stats[("test_score", "mean")].to_numpy()
            test_std = stats[("test_score", "std")].fillna(0.0).to_numpy()
            axis.plot(sizes, test_mean, marker="o", color=colour, label=model)
            axis.fill_between(
                sizes, test_mean - test_std, test_mean + test_std, color=colour, alpha=0.15
            )
            axis.plot(
                sizes, stats[("train_score", "mean")].to_numpy(), linestyle="--", color=colour
            )
        axis.set_title(dataset, fontsize="small")
        axis.set_xlabel("training rows", fontsize="small")
        axis.set_ylabel(scoring, fontsize="small")
    axes[0][-1].legend(
        fontsize="x-small", title="test (solid), train (dashed)", title_fontsize="x-small"
    )
    figure.tight_layout()
    return figure
