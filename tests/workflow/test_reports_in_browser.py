"""Both reports as a reader sees them in a browser (headless Chromium): what is in view first,
and nothing cut off on the right. Screenshots land in the test's temporary folder."""

import pytest

from tests.browser import needs_chromium, render
from tests.conftest import run_snakemake
from tests.workflow.blessed import TINY, run_workflow

pytestmark = [pytest.mark.workflow, needs_chromium]

# In view without scrolling: the verdict's heading, and how far any code block overflows.
LANDING = """
const heading = [...document.querySelectorAll('h1')]
    .find(h => h.textContent.startsWith('seedlock verify'));
const box = heading.getBoundingClientRect();
const blocks = [...document.querySelectorAll('pre.literal-block')];
return {
    verdict: heading.textContent, top: box.top, bottom: box.bottom, height: innerHeight,
    overflow: Math.max(0, ...blocks.map(b => b.scrollWidth - b.clientWidth)),
    text: document.body.innerText,
};
"""

# Opens a category of results, then its item's view, as a reader clicks through.
OPEN_ITEM = """
const pause = ms => new Promise(done => setTimeout(done, ms));
// The first element showing exactly ``text``: the menu's, before the page's own words.
const leaf = text => [...document.querySelectorAll('*')]
    .find(e => e.children.length === 0 && e.textContent.trim() === text);
leaf(CATEGORY).click();
await pause(700);
let row = leaf(ITEM);
while (row && !row.querySelector('svg')) row = row.parentElement;
row.querySelector('svg').closest('a').dispatchEvent(new MouseEvent('click', {bubbles: true}));
await pause(1500);
return [...document.querySelectorAll('iframe')].map(frame => {
    const box = frame.getBoundingClientRect();
    return {left: box.left, right: box.right, width: innerWidth};
});
"""

# The page's width against the window's, and the order of what it shows.
PAGE = """
const root = document.documentElement;
return {
    overflow: Math.max(root.scrollWidth - root.clientWidth,
        ...[...document.querySelectorAll('.wide')].map(box => box.scrollWidth - box.clientWidth)),
    headings: [...document.querySelectorAll('h1, h2, summary')].map(h => h.textContent),
    summary: [...document.querySelectorAll('ul li')].map(item => item.textContent),
    tables: document.querySelectorAll('table').length,
    rows: document.querySelectorAll('table tr').length,
};
"""


def test_snakemake_report_opens_on_the_verdict_and_shows_the_verification(blessed, tmp_path):
    report = tmp_path / "report.html"
    run_snakemake(blessed, "--configfile", TINY, "--report", str(report))
    # A laptop's window: the config makes the page taller than it.
    landing = render(report, LANDING, 1400, 900, screenshot=tmp_path / "landing.png")
    assert landing["verdict"] == "seedlock verify: PASS"
    assert landing["top"] >= 0 and landing["bottom"] <= landing["height"], landing
    assert landing["overflow"] == 0, landing
    for shown in ("profile host-", "seeds: root 7, 2 replicates", "tests/config/tiny.yaml"):
        assert shown in landing["text"]
    assert (tmp_path / "landing.png").read_bytes().startswith(b"\x89PNG")

    script = OPEN_ITEM.replace("CATEGORY", "'Verification'").replace(
        "ITEM", "'results/verify/report.html'"
    )
    (frame,) = render(report, script, 1400, 900, screenshot=tmp_path / "verification.png")
    assert frame["right"] == frame["width"] and frame["right"] - frame["left"] >= 1000, frame
    script = OPEN_ITEM.replace("CATEGORY", "'Table 1'").replace(
        "ITEM", "'results/aggregate/table1.html'"
    )
    (frame,) = render(report, script, 1400, 900, screenshot=tmp_path / "table1.png")
    width = frame["right"] - frame["left"]

    # What those frames show, at their width.
    table = render(blessed / "results/aggregate/table1.html", PAGE, int(width), 900)
    assert table["overflow"] <= 0 and table["tables"] >= 1, table
    assert table["rows"] > 4, table  # a header and a row per dataset, model and metric


def test_a_failed_verification_opens_on_its_summary_and_fits_the_frame(damaged, tmp_path):
    # One value of the iris data changed by 1e-7: everything trained on it diverges a little.
    data = damaged / "results/prepare_data/iris.csv"
    lines = data.read_text().splitlines(keepends=True)
    assert lines[1].startswith("5.1,")
    lines[1] = "5.1000001," + lines[1][len("5.1,") :]
    data.write_text("".join(lines))
    assert run_workflow(damaged, check=False).returncode != 0

    page = render(damaged / "results/verify/report.html", PAGE, 1050, 1400, tmp_path / "failed.png")
    assert page["overflow"] <= 0, page
    headings = page["headings"]
    assert headings[0] == "seedlock verify: FAIL", headings
    assert headings[1] == "Outputs that are not a MATCH, by step", headings
    assert headings[2] == "prepare_data: 1 DIFFERENT", headings
    assert "The references" in headings
    summary = " | ".join(page["summary"])
    assert "first diverged step: prepare_data" in summary, summary
    assert "largest relative difference" in summary and "results/prepare_data/iris.csv" in summary
