"""The writers give byte-identical files from separate processes, and never leave half files."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seedlock.writers import is_partial, json_text, write_bytes, write_json, write_text
from tests.conftest import REPO

# Writes one file of each kind from data built the same way; run in two fresh interpreters with
# different hash seeds, it must produce the same bytes.
WRITE_ALL = r"""
import sys
from pathlib import Path
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.datasets import load_iris
from seedlock.writers import configure_matplotlib, write_csv, write_figure, write_json, write_pickle

out = Path(sys.argv[1])
rng = np.random.default_rng(3)
values = rng.normal(size=(20, 3))
write_json(out / "data.json", {"b": np.float64(0.1) + np.float64(0.2), "a": np.arange(3),
                               "nested": {"z": None, "y": [np.int64(7), 1e-300]}})
frame = pd.DataFrame(values, columns=["x", "y", "z"])
frame["label"] = ["a", "b"] * 10
write_csv(out / "table.csv", frame)
features, labels = load_iris(return_X_y=True)
write_pickle(out / "model.pkl", RandomForestClassifier(n_estimators=5, random_state=0).fit(
    features, labels))
configure_matplotlib()
import matplotlib.pyplot as plt
figure, axis = plt.subplots()
axis.plot(values[:, 0], label="x")
axis.bar(range(3), values[:3, 1])
axis.legend()
axis.set_title("determinism")
for suffix in ("png", "svg", "pdf"):
    write_figure(out / f"figure.{suffix}", figure)
"""


def write_all(directory: Path, hash_seed: str) -> dict[str, bytes]:
    directory.mkdir()
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "SOURCE_DATE_EPOCH": "946684800"}
    subprocess.run(
        [sys.executable, "-c", WRITE_ALL, str(directory)], cwd=REPO, env=environment, check=True
    )
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_two_processes_write_identical_bytes(tmp_path):
    first = write_all(tmp_path / "first", hash_seed="1")
    second = write_all(tmp_path / "second", hash_seed="2")
    assert sorted(first) == [
        "data.json",
        "figure.pdf",
        "figure.png",
        "figure.svg",
        "model.pkl",
        "table.csv",
    ]
    for name in first:
        assert first[name] == second[name], f"{name} differs between processes"


def test_json_is_canonical_and_round_trips_floats():
    text = json_text({"b": 0.1 + 0.2, "a": [np.float32(0.5), np.int64(2)], "c": None})
    assert (
        text == '{\n  "a": [\n    0.5,\n    2\n  ],\n  "b": 0.30000000000000004,\n  "c": null\n}\n'
    )
    assert json.loads(text)["b"] == 0.1 + 0.2


@pytest.mark.parametrize("value", [float("nan"), np.float64("inf")])
def test_json_refuses_non_finite_numbers(tmp_path, value):
    with pytest.raises(ValueError, match="non-finite"):
        write_json(tmp_path / "x.json", {"v": value})
    assert not list(tmp_path.iterdir())


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "result.json"
    write_json(target, {"kept": True})
    with pytest.raises(ValueError):
        write_json(target, {"bad": float("nan")})
    assert json.loads(target.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_write_replaces_atomically_and_creates_folders(tmp_path):
    target = tmp_path / "deep" / "folder" / "file.bin"
    write_bytes(target, b"one")
    write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_a_killed_writers_file_is_recognisable_and_removed_once_stale(tmp_path):
    target = tmp_path / "figures" / "bars.svg"
    target.parent.mkdir()
    stale = target.parent / ".bars.svg.k2j4x9q1.partial"
    recent = target.parent / ".bars.svg.m7n8p9q0.partial"
    for path in (stale, recent):
        path.write_bytes(b"<svg")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert is_partial(stale.name) and not is_partial(target.name)
    write_text(target, "<svg/>")
    assert not stale.exists()
    assert recent.exists()  # perhaps a live writer's
    assert sorted(p.name for p in target.parent.iterdir()) == [recent.name, target.name]
