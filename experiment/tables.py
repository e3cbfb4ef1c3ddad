"""Aggregation: a long table of every score, each replicate's cross-validation as papers print it
(mean ± std across folds), and "Table 1" (mean ± std across replicates, permutation p-values)."""

import json
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

KEYS = ["dataset", "model"]
FOLD_COLUMNS = ["dataset", "model", "replicate", "fold", "n_train", "n_test"]


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
        for metric in folds.columns.drop(FOLD_COLUMNS):
            # An undefined fold value (None in JSON, empty in CSV) makes the fold mean undefined.
            values = folds[metric]
            value = None if values.isna().any() else float(values.mean())
            records.append(_record(identity, "cv", metric, value))
    table = pd.DataFrame.from_records(records)
    return table.sort_values(["dataset", "model", "replicate", "evaluation", "metric"]).reset_index(
        drop=True
    )


def fold_summary(cv_files: Iterable[str], metric_order: Sequence[str]) -> pd.DataFrame:
    """One row per (dataset, model, replicate): the number of folds and each score's mean and
    standard deviation across folds, as ``scores.mean()`` and ``scores.std()`` print them after
    ``cross_val_score`` (numpy's std, ddof=0). An undefined fold makes both undefined, as nan does
    there."""
    records = []
    for path in cv_files:
        folds = pd.read_csv(path)
        first = folds.iloc[0]
        record = {
            "dataset": first["dataset"],
            "model": first["model"],
            "replicate": int(first["replicate"]),
            "n_folds": len(folds),
        }
        for metric in metric_order:
            values = folds[metric].to_numpy(dtype="float64")
            defined = not np.isnan(values).any()
            record[f"{metric}_mean"] = float(values.mean()) if defined else None
            record[f"{metric}_std"] = float(values.std()) if defined else None
        records.append(record)
    table = pd.DataFrame.from_records(records)
    return table.sort_values(["dataset", "model", "replicate"]).reset_index(drop=True)


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


def with_permutation_tests(table: pd.DataFrame, tests: Sequence[Mapping]) -> pd.DataFrame:
    """Table 1 with each tested (dataset, model)'s permutation-test score and p-value; empty
    (NaN) for the pairs the config does not test."""
    found = {(test["dataset"], test["model"]): test for test in tests}
    pairs = list(zip(table["dataset"], table["model"], strict=True))
    table = table.copy()
    for column, key in (("permutation_score", "score"), ("permutation_p_value", "p_value")):
        table[column] = [found[pair][key] if pair in found else np.nan for pair in pairs]
    return table


def permutation_markdown(tests: Sequence[Mapping], digits: int = 3) -> str:
    lines = [
        "### Permutation test: cross-validated score against shuffled targets",
        "",
        "| dataset | model | scorer | score | permutations | p-value |",
        "|---|---|---|---:|---:|---:|",
    ]
    for test in sorted(tests, key=lambda item: (item["dataset"], item["model"])):
        cells = [
            test["dataset"],
            test["model"],
            test["scoring"],
            f"{test['score']:.{digits}f}",
            str(test["n_permutations"]),
            f"{test['p_value']:.{digits}g}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "p = (1 + permutations scoring at least as well as the true targets) / (1 + permutations).",
    ]
    return "\n".join(lines)


def table_one_markdown(
    table: pd.DataFrame,
    folds: pd.DataFrame,
    metric_order: Sequence[str],
    tests: Sequence[Mapping] = (),
    digits: int = 3,
) -> str:
    """Table 1 as Markdown: held-out scores and cross-validation as "mean ± std" across
    replicates, then each replicate's cross-validation as "mean ± std" across its folds."""
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
    lines = [
        "### Cross-validation per replicate: mean ± std across folds",
        "",
        "| " + " | ".join(["dataset", "model", "replicate", "folds", *metric_order]) + " |",
        "|" + "|".join(["---"] * 4 + ["---:"] * len(metric_order)) + "|",
    ]
    for row in folds.to_dict("records"):
        cells = [row["dataset"], row["model"], str(row["replicate"]), str(row["n_folds"])]
        for metric in metric_order:
            cells.append(_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"], digits))
        lines.append("| " + " | ".join(cells) + " |")
    sections.append("\n".join(lines))
    if tests:
        sections.append(permutation_markdown(tests, digits))
    intro = (
        "## Table 1: mean ± standard deviation across replicates\n\n"
        "n is the number of replicates (seeds); — marks an undefined value. The last table gives\n"
        "each replicate's cross-validation as cross_val_score printouts do: the mean and the\n"
        "standard deviation (ddof=0) of its fold scores."
    )
    return intro + "\n\n" + "\n\n".join(sections) + "\n"


def _mean_std(mean, std, digits: int) -> str:
    if pd.isna(mean):
        return "—"
    if pd.isna(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table_html(markdown: str, title: str) -> str:
    """The Markdown that ``table_one_markdown`` writes (headings, paragraphs, pipe tables), as
    one standalone HTML page: what Snakemake's report shows of Table 1."""
    import html

    def breakable(name: str) -> str:
        # A long column name (balanced_accuracy) may break after its underscores.
        return html.escape(name).replace("_", "_<wbr>")

    body, paragraph, rows = [], [], []

    def flush() -> None:
        if paragraph:
            body.append(f"<p>{html.escape(' '.join(paragraph))}</p>")
            paragraph.clear()
        if rows:
            header, alignments, *cells = rows
            right = [cell.endswith(":") for cell in alignments]

            def row(values, tag):
                return (
                    "<tr>"
                    + "".join(
                        f"<{tag}{' class=n' if i < len(right) and right[i] else ''}>"
                        f"{breakable(v) if tag == 'th' else html.escape(v)}</{tag}>"
                        for i, v in enumerate(values)
                    )
                    + "</tr>"
                )

            body.append(
                "<div class=wide><table>"
                + row(header, "th")
                + "".join(row(c, "td") for c in cells)
                + "</table></div>"
            )
            rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            if paragraph:
                flush()
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if rows or not line.strip() or line.startswith("#"):
            flush()  # a table or a paragraph ends
        if line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 6)
            body.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            paragraph.append(line.strip())
    flush()
    style = (
        "body{font-family:system-ui,sans-serif;margin:1em;color:#1f2328;font-size:14px}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
        "th,td{border-top:1px solid #d0d7de;padding:0.25em 0.45em;text-align:left}"
        "th{background:#f6f8fa}.n{text-align:right;font-variant-numeric:tabular-nums}"
        # A value stays on one line; a wide table scrolls in its own box, not the page.
        "td.n{white-space:nowrap}.wide{overflow-x:auto}"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
