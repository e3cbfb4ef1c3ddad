"""The verification report as one standalone HTML page (``results/verify/report.html``, also in
Snakemake's report): the verdict and a summary first, then the references' provenance, then the
outputs that are not a MATCH, grouped by step. No script, no external file; long lines wrap."""

import html
from collections.abc import Mapping

from seedlock.compare import DIFFERENT, EQUIVALENT, MATCH, MISSING, UNEXPECTED
from seedlock.verify import (
    CLASSES,
    UNVERIFIED,
    describe_difference,
    root_cause_line,
    shows_environment_differences,
)

COLOURS = {
    "PASS": "#1a7f37",
    "FAIL": "#cf222e",
    UNVERIFIED: "#9a6700",
    MATCH: "#1a7f37",
    EQUIVALENT: "#0969da",
    DIFFERENT: "#cf222e",
    MISSING: "#cf222e",
    UNEXPECTED: "#9a6700",
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 80em; color: #1f2328; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
.badge { color: white; padding: 0.1em 0.5em; border-radius: 0.3em; }
.chips span { display: inline-block; margin: 0 0.4em 0.3em 0; padding: 0.1em 0.5em;
  border: 1px solid currentColor; border-radius: 1em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { border-top: 1px solid #d0d7de; padding: 0.3em 0.5em; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: 0.4em;
  margin: 0.3em 0 0 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; font-weight: 600; margin: 0.6em 0; }
""".strip()


def _escape(value) -> str:
    return html.escape(str(value))


def _fact(value) -> str:
    """A provenance value for people: a mapping as "key value" pairs, not Python's repr."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key} {_fact(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fact(item) for item in value) + "]"
    return str(value)


def _largest_relative(files) -> tuple[float, str, str] | None:
    """The largest relative difference of any number, with its output and column or key."""
    best = None
    for item in files:
        for name, stats in item.get("difference", {}).get("numeric", {}).items():
            value = stats.get("max_rel")
            if value is not None and (best is None or value > best[0]):
                best = (value, item["path"], name)
    return best


def summary(report: Mapping) -> list[str]:
    """The facts a reader wants first, as plain sentences (the page shows them as a list)."""
    files = report["files"]
    lines = []
    if report["counts"]:
        labels = sum(
            sum(item.get("difference", {}).get("labels_changed", {}).values()) for item in files
        )
        lines.append(
            f"{labels} label{'' if labels == 1 else 's'} (classes, counts, row numbers) changed"
        )
        largest = _largest_relative(files)
        lines.append(
            "no number differs"
            if largest is None
            else f"largest relative difference {largest[0]:.3g} ({largest[2]} in {largest[1]})"
        )
    if report.get("root_causes"):
        lines.append(root_cause_line(report["root_causes"], files, report.get("steps", [])))
    return lines


def _file_row(item: Mapping) -> str:
    difference = item.get("difference", {})
    detail = describe_difference(difference) if difference else ""
    if item.get("reason"):
        detail = f"ignored: {item['reason']}" + (f"; {detail}" if detail else "")
    diff = difference.get("diff")
    diff_block = f"<pre>{_escape(chr(10).join(diff))}</pre>" if diff else ""
    colour = COLOURS.get(item["class"], "#1f2328")
    return (
        f"<tr><td style='color:{colour};font-weight:600'>{_escape(item['class'])}</td>"
        f"<td><code>{_escape(item['path'])}</code></td>"
        f"<td>{_escape(item.get('consequence_of') or '')}</td>"
        f"<td>{_escape(detail)}{diff_block}</td></tr>"
    )


def _by_step(report: Mapping) -> str:
    files = report["files"]
    if not files:
        return "<p>Every output is a byte-for-byte MATCH.</p>" if report["counts"] else ""
    steps = list(report.get("steps") or [])
    steps += [item["step"] for item in files if item["step"] not in steps]
    sections = []
    for step in steps:
        rows = [item for item in files if item["step"] == step]
        if not rows:
            continue
        counted = ", ".join(
            f"{sum(1 for r in rows if r['class'] == name)} {name}"
            for name in CLASSES
            if any(r["class"] == name for r in rows)
        )
        sections.append(
            f"<details open><summary>{_escape(step or 'outside every step')}: {counted}"
            "</summary><table><colgroup><col style='width:8em'><col style='width:28%'>"
            "<col style='width:18%'><col></colgroup>"
            "<tr><th>class</th><th>output</th><th>consequence of</th><th>difference</th></tr>"
            + "".join(_file_row(item) for item in rows)
            + "</table></details>"
        )
    return "<h2>Outputs that are not a MATCH, by step</h2>" + "".join(sections)


def _references(report: Mapping) -> str:
    blessed = report.get("references")
    if not blessed:
        return ""
    git = blessed.get("git") or {}
    facts = {
        "folder": blessed.get("folder"),
        "blessed at": blessed.get("blessed_at"),
        "git commit": f"{git.get('commit')}"
        + (" (uncommitted changes)" if git.get("dirty") else ""),
        "config_sha256": blessed.get("config_sha256"),
        "seeds": blessed.get("seeds"),
        "threads": blessed.get("threads"),
        "CPU": blessed.get("cpu"),
        "tools": blessed.get("tools"),
        "probe": blessed.get("probe"),
    }
    rows = "".join(
        f"<dt>{_escape(name)}</dt><dd>{_escape(_fact(value))}</dd>"
        for name, value in facts.items()
        if value not in (None, "", "None", {})
    )
    return f"<h2>The references</h2><dl>{rows}</dl>"


def verification_page(report: Mapping) -> str:
    """The whole page."""
    status = report["status"]
    profile = report["profile"]
    counts = report["counts"]
    chips = (
        "<p class='chips'>"
        + "".join(
            f"<span style='color:{COLOURS[name]}'>{counts[name]} {name}</span>" for name in CLASSES
        )
        + "</p>"
        if counts
        else ""
    )
    notes = [
        *(f"environment: {line}" for line in report["environment"]),
        *(f"problem: {line}" for line in report["problems"]),
        *(f"warning: {line}" for line in report.get("warnings", [])),
    ]
    environment = (
        "<h2>What differs in the environment</h2><ul>"
        + "".join(f"<li>{_escape(line)}</li>" for line in report["environment_differences"])
        + "</ul>"
        if shows_environment_differences(report)
        else ""
    )
    reference = profile.get("folder") or profile.get("reference") or "none"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>seedlock verify: {_escape(status)}</title><style>{STYLE}</style></head><body>"
        f"<h1>seedlock verify: <span class='badge' style='background:"
        f"{COLOURS.get(status, '#1f2328')}'>{_escape(status)}</span></h1>"
        f"<p>profile <code>{_escape(profile['current'])}</code>, references "
        f"<code>{_escape(reference)}</code>"
        + ("" if profile.get("exact", True) else " (a different profile)")
        + f", {report['outputs']} outputs</p>{chips}"
        + "<ul>"
        + "".join(f"<li>{_escape(line)}</li>" for line in summary(report) + notes)
        + "</ul>"
        + environment
        + _by_step(report)
        + _references(report)
        + "</body></html>\n"
    )
