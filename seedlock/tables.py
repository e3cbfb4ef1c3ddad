"""Aggregation across replicates: a long table of every metric, and "Table 1" (mean ± std)."""

import json
from collections.abc import Iterable, Sequence

import pandas as pd

KEYS = ["dataset", "model"]


def long_metrics(metric_files: Iterable[str], cv_files: Iterable[str]) -> pd.DataFrame:
    """One row per (dataset, model, replicate, evaluation, metric). Held-out metrics come from the
    evaluate step; cross-validation values are the mean over folds of one replicate."""
    records = []
    for path in metric_files:
        with open(path, encoding="utf-8") as handle:
            result = json.load(handle)
        for metric, value in result["metrics"].items():
            records.append(_record(result, "holdout", metric, value))
    for path in cv_files:
        folds = pd.read_csv(path)
        identity = folds.iloc[0][["dataset", "model", "replicate"]].to_dict()
        for metric in folds.columns.drop(
            ["dataset", "model", "replicate", "fold", "n_train", "n_test"]
        ):
            # An undefined fold value (None in JSON, empty in CSV) makes the fold mean undefined.
            values = folds[metric]
            value = None if values.isna().any() else float(values.mean())
            records.append(_record(identity, "cv", metric, value))
    table = pd.DataFrame.from_records(records)
    return table.sort_values(["dataset", "model", "replicate", "evaluation", "metric"]).reset_index(
        drop=True
    )


def _record(identity, evaluation, metric, value) -> dict:
    return {
        "dataset": identity["dataset"],
        "model": identity["model"],
        "replicate": int(identity["replicate"]),
        "evaluation": evaluation,
        "metric": metric,
        "value": value,
    }


def table_one(long: pd.DataFrame, metric_order: Sequence[str]) -> pd.DataFrame:
    """Mean and sample standard deviation across replicates per dataset and model, one column pair
    per evaluation and metric (``holdout_accuracy_mean``, ``holdout_accuracy_std``, ...)."""
    grouped = long.groupby([*KEYS, "evaluation", "metric"], sort=True)["value"]
    summary = grouped.agg(["mean", "std"]).reset_index()
    table = long[KEYS].drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(table)
    table["n_replicates"] = index.map(long.groupby(KEYS)["replicate"].nunique()).to_numpy()
    for evaluation in ("holdout", "cv"):
        for metric in metric_order:
            part = summary[(summary.evaluation == evaluation) & (summary.metric == metric)]
            part = part.set_index(KEYS)
            for statistic in ("mean", "std"):
                column = f"{evaluation}_{metric}_{statistic}"
                table[column] = index.map(part[statistic]).to_numpy(dtype="float64")
    return table


def table_one_markdown(table: pd.DataFrame, metric_order: Sequence[str], digits: int = 3) -> str:
    """Table 1 as Markdown: held-out metrics, then cross-validation, as "mean ± std"."""
    sections = []
    for evaluation, title in (("holdout", "Held-out test set"), ("cv", "Cross-validation")):
        header = ["dataset", "model", "n", *metric_order]
        lines = [
            f"### {title}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] * 3 + ["---:"] * len(metric_order)) + "|",
        ]
        for row in table.itertuples(index=False):
            row = row._asdict()
            cells = [row["dataset"], row["model"], str(row["n_replicates"])]
            for metric in metric_order:
                mean = row[f"{evaluation}_{metric}_mean"]
                std = row[f"{evaluation}_{metric}_std"]
                cells.append(_mean_std(mean, std, digits))
            lines.append("| " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    intro = (
        "## Table 1: mean ± standard deviation across replicates\n\n"
        "n is the number of replicates (seeds); — marks an undefined value."
    )
    return intro + "\n\n" + "\n\n".join(sections) + "\n"


def _mean_std(mean, std, digits: int) -> str:
    if pd.isna(mean):
        return "—"
    if pd.isna(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
