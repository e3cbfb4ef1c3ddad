"""What every benchmark shares: the machine it ran on, timing, and how results are printed.

Each benchmark measures ratios within one run, alternating the things it compares and keeping
the best of several rounds of each, because these machines are shared and noisy.
"""

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def command_version(*command: str) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    return (completed.stdout or completed.stderr).splitlines()[0].strip()


def machine() -> dict:
    from importlib.metadata import version

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "snakemake": version("snakemake"),
        "numpy": version("numpy"),
        "openssl": command_version("openssl", "version"),
    }


def best_of(rounds: int, *functions: Callable[[], object]) -> list[float]:
    """Run the functions in turn, ``rounds`` times, and return each one's shortest wall time.
    Alternating them spreads the machine's noise over all of them alike."""
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            started = time.perf_counter()
            function()
            best[index] = min(best[index], time.perf_counter() - started)
    return best


def run(command: list[str], cwd: Path | None = None, **options) -> subprocess.CompletedProcess:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, **options)
    if completed.returncode != 0:
        raise SystemExit(
            f"benchmark: {' '.join(command)} exited {completed.returncode}:\n"
            f"{completed.stderr[-3000:]}"
        )
    return completed


def report(name: str, figures: dict, json_path: Path | None) -> None:
    """Print the figures as JSON (and write them to ``json_path`` when given)."""
    result = {"benchmark": name, "machine": machine(), **figures}
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    sys.stdout.write(text)
    if json_path:
        json_path.write_text(text, encoding="utf-8")
