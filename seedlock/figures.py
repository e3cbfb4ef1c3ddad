"""Figures: held-out metrics with error bars, and confusion matrices pooled over replicates."""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from seedlock.writers import configure_matplotlib

# Metrics drawn as bars share a 0..1 axis; log loss is unbounded and stays in the tables.
BAR_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr")


def metric_bars(long: pd.DataFrame, metric_order: Sequence[str]):
    """One panel per dataset: each held-out metric per model, mean ± std across replicates."""
    configure_matplotlib()
    import matplotlib.pyplot as plt

    holdout = long[(long.evaluation == "holdout") & long.metric.isin(BAR_METRICS)]
    metrics = [m for m in metric_order if m in BAR_METRICS]
    datasets = sorted(holdout.dataset.unique())
    models = sorted(holdout.model.unique())
    figure, axes = plt.subplots(
        1, len(datasets), figsize=(4.5 * len(datasets), 4), squeeze=False, sharey=True
    )
    width = 0.8 / max(len(metrics), 1)
    positions = np.arange(len(models))
    # Start the axis a little below the lowest bar, so that differences between models show.
    summary = holdout.groupby(["dataset", "model", "metric"])["value"].agg(["mean", "std"])
    lowest = float((summary["mean"] - summary["std"].fillna(0.0)).min())
    bottom = min(max(np.floor(lowest * 10) / 10 - 0.1, 0.0), 0.9)
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
        axis.set_ylim(bottom, 1.01)
    axes[0][0].set_ylabel("held-out score (mean ± std across replicates)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=len(metrics), frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.92))
    return figure


def _stat(stats: pd.DataFrame, model: str, metric: str, statistic: str) -> float:
    return float(stats[statistic].get((model, metric), np.nan))


def confusion_counts(predictions: pd.DataFrame, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) class pairs."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (predictions.y_true.to_numpy(), predictions.y_pred.to_numpy()), 1)
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
