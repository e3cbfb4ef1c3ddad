"""Pages as a reader sees them: headless Chromium (Debian's ``chromium``) loads a copy of an HTML
file with a measuring script appended, and returns what the script found, as JSON. The script
is the body of an async function; it runs half a second after the page loaded, may click and
wait, and returns a JSON-ready value."""

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)

# No network, no first-run dialogs, no sandbox (the tests run as root), a fresh profile.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Virtual time: timers run as fast as the page allows, up to 8 s of page time.
    "--virtual-time-budget=8000",
)
PROBE = re.compile(r'<pre id="seedlock-probe">(.*?)</pre>', re.S)


def render(
    page: Path, script: str, width: int, height: int, screenshot: Path | None = None
) -> object:
    """What ``script`` returns in ``page`` shown in a ``width`` x ``height`` window; with
    ``screenshot``, also a PNG of that window."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "page.html"
        measuring = (
            "<script>window.addEventListener('load', () => setTimeout(async () => {"
            f"const found = await (async () => {{ {script} }})();"
            "const out = document.createElement('pre'); out.id = 'seedlock-probe';"
            "out.textContent = JSON.stringify(found); document.body.appendChild(out);"
            "}, 500));</script>"
        )
        copy.write_text(page.read_text(encoding="utf-8") + measuring, encoding="utf-8")
        command = [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--window-size={width},{height}",
        ]
        shown = subprocess.run(
            [*command, "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=180
        )
        found = PROBE.search(shown.stdout)
        if found is None:
            pytest.fail(f"chromium showed no result for {page}:\n{shown.stderr[-3000:]}")
        if screenshot is not None:
            subprocess.run(
                [*command, f"--screenshot={screenshot}", copy.as_uri()],
                capture_output=True,
                timeout=180,
                check=True,
            )
        return json.loads(html.unescape(found.group(1)))
