"""The pages people read: the verification report, Table 1 as HTML, the report's landing page."""

import json

from experiment.tables import markdown_table_html
from seedlock.report_description import description
from seedlock.report_page import verification_page

FAILED = {
    "status": "FAIL",
    "profile": {
        "current": "host-linux-64-x86-64-v3-aaaaaaaaaaaa",
        "reference": "host-linux-64-x86-64-v3-aaaaaaaaaaaa",
        "folder": "references/tiny-0123456789ab/host-linux-64-x86-64-v3-aaaaaaaaaaaa",
        "exact": True,
        "differs_in": [],
    },
    "outputs": 3,
    "counts": {"MATCH": 1, "EQUIVALENT": 0, "DIFFERENT": 2, "MISSING": 0, "UNEXPECTED": 0},
    "environment": [],
    "environment_differences": [],
    "problems": [],
    "warnings": [],
    "steps": ["train", "aggregate"],
    "root_causes": ["train"],
    "files": [
        {
            "path": "results/train/iris.pkl",
            "step": "train",
            "class": "DIFFERENT",
            "policy": "exact",
            "difference": {
                "kind": "pickle",
                "pickle": {
                    "opcode_index": 9,
                    "path": "coef_",
                    "current": "BINFLOAT 2.0 at byte 9",
                    "reference": "BINFLOAT 1.0 at byte 9",
                },
            },
        },
        {
            "path": "results/aggregate/table1.md",
            "step": "aggregate",
            "class": "DIFFERENT",
            "policy": "exact",
            "consequence_of": "results/train/iris.pkl",
            "difference": {
                "kind": "text",
                "labels_changed": {"y_pred": 2},
                "numeric": {"score": {"max_abs": 0.1, "max_rel": 0.25, "values_changed": 1}},
                "diff": ["--- reference/x", "+++ current/x", "-| a | 1 |", "+| a | 2 |"],
            },
        },
    ],
    "references": {"folder": "references/tiny-0123456789ab/x", "blessed_at": "2026-11-29"},
}


def test_the_verification_page_puts_the_verdict_and_summary_first_then_steps():
    page = verification_page(FAILED)
    order = [
        page.index("seedlock verify: <span"),
        page.index("2 DIFFERENT"),
        page.index("2 labels (classes, counts, row numbers) changed"),
        page.index("largest relative difference 0.25 (score in results/aggregate/table1.md)"),
        page.index("<summary>train: 1 DIFFERENT</summary>"),
        page.index("<summary>aggregate: 1 DIFFERENT</summary>"),
        page.index("<h2>The references</h2>"),
    ]
    assert order == sorted(order)
    assert "pickle differs first at coef_" in page
    assert "<pre>--- reference/x\n+++ current/x\n-| a | 1 |\n+| a | 2 |</pre>" in page
    assert "overflow-wrap: anywhere" in page  # long paths wrap rather than run off the page


def test_table_one_markdown_becomes_an_html_table_with_numbers_aligned_right():
    markdown = (
        "## Table 1: mean\n\nn is the number\nof replicates.\n\n### Held-out\n\n"
        "| dataset | model | accuracy |\n|---|---|---:|\n| iris | svc | 0.9 ± 0.1 |\n"
    )
    page = markdown_table_html(markdown, "Table 1")
    assert "<h2>Table 1: mean</h2><p>n is the number of replicates.</p><h3>Held-out</h3>" in page
    assert "<th>dataset</th><th>model</th><th class=n>accuracy</th>" in page
    assert "<td>iris</td><td>svc</td><td class=n>0.9 ± 0.1</td>" in page


def test_the_report_opens_on_the_verdict_seeds_and_config(tmp_path):
    (tmp_path / "results/verify").mkdir(parents=True)
    (tmp_path / "results/verify/report.json").write_text(json.dumps(FAILED))
    config = {"seeds": {"root": 7, "replicates": 2}, "note": "{{ not jinja }}"}
    text = description(tmp_path, config, ["tiny.yaml"], "0123456789abcdef", "Own text.\n")
    lines = text.splitlines()
    assert lines[:3] == ["{% raw %}", "seedlock verify: FAIL", "====================="]
    assert "- seeds: root 7, 2 replicates" in lines
    assert "- config: ``tiny.yaml`` (config_sha256 0123456789ab)" in lines
    assert "- first diverged step: train" in lines
    assert text.index("Own text.") < text.index("   note: '{{ not jinja }}'")
    assert text.count("{% raw %}") == text.count("{% endraw %}") == 2
    before_any_run = description(tmp_path / "none", config, [], "0" * 64, "Own text.\n")
    assert "No verification yet" in before_any_run
