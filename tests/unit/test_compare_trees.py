"""seedlock compare A B: two result trees, or a result tree and a reference profile."""

import json
from pathlib import Path

from tests.conftest import REPO, run_seedlock, write_reference

PREDICTIONS = "results/evaluate/iris/logistic_regression/rep0/predictions.csv"
METRICS = "results/evaluate/iris/logistic_regression/rep0/metrics.json"
SPLIT = "results/split/iris/rep0.json"
ROWS = [(0, 0, 0, 0.9712345678901234), (1, 2, 2, 0.0123456789012345), (2, 1, 1, 0.4999999999999)]


def write_tree(root: Path, scale: float = 1.0, flip_label: bool = False) -> Path:
    lines = ["row,y_true,y_pred,proba_0"]
    for row, truth, predicted, probability in ROWS:
        if flip_label and row == 2:
            predicted = 2
        lines.append(f"{row},{truth},{predicted},{probability * scale!r}")
    files = {
        PREDICTIONS: "\n".join(lines) + "\n",
        METRICS: json.dumps({"accuracy": 1.0, "log_loss": 0.0421 * scale}) + "\n",
        SPLIT: json.dumps({"train": [0, 1], "test": [2]}) + "\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def write_profile(tree: Path, parent: Path) -> Path:
    """A reference profile of ``tree`` in ``parent``, as bless lays one out."""
    # The split is too large to keep a copy of, say.
    return write_reference(tree, [PREDICTIONS, METRICS, SPLIT], parent, keep=[PREDICTIONS, METRICS])


def compare(*arguments, cwd=REPO):
    return run_seedlock(cwd, "compare", *arguments)


def test_a_relative_change_of_1e_13_is_equivalent(tmp_path):
    a = write_tree(tmp_path / "a", scale=1 + 1e-13)
    b = write_tree(tmp_path / "b")
    completed = compare(str(a), str(b), "--json", str(tmp_path / "report.json"))
    assert completed.returncode == 0, completed.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "EQUIVALENT"
    assert report["counts"] == {
        "MATCH": 1,
        "EQUIVALENT": 2,
        "DIFFERENT": 0,
        "MISSING": 0,
        "UNEXPECTED": 0,
    }
    (predictions,) = [item for item in report["files"] if item["path"] == PREDICTIONS]
    change = predictions["difference"]["numeric"]["proba_0"]
    assert change["values_changed"] == 3 and 5e-14 < change["max_rel"] < 2e-13
    assert f"EQUIVALENT {PREDICTIONS}  [evaluate]  proba_0: max abs" in completed.stdout


def test_a_label_change_is_different_and_named(tmp_path):
    a = write_tree(tmp_path / "a", flip_label=True)
    b = write_tree(tmp_path / "b")
    completed = compare(str(a), str(b))
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[0] == "seedlock compare: DIFFERENT"
    assert f"DIFFERENT  {PREDICTIONS}  [evaluate]  y_pred: 1 label changed" in completed.stdout
    assert "first diverged step: evaluate" in completed.stdout


def test_a_result_tree_against_a_reference_profile(tmp_path):
    profile = write_profile(write_tree(tmp_path / "b"), tmp_path / "references")
    # The results/ folder itself may be named, too.
    a = write_tree(tmp_path / "a", scale=1 + 1e-13) / "results"
    completed = compare(str(a), str(profile))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "outputs: 1 MATCH, 2 EQUIVALENT, 0 DIFFERENT, 0 MISSING, 0 UNEXPECTED" in (
        completed.stdout
    )
    assert f"B: {profile}" not in completed.stdout  # a profile is named by its id
    assert f"B: {profile.name}" in completed.stdout
    # Without a kept copy, a changed file can only be reported by its bytes: DIFFERENT.
    (a / "split/iris/rep0.json").write_text('{"train": [0, 2], "test": [1]}\n', encoding="utf-8")
    completed = compare(str(a), str(profile))
    assert completed.returncode == 1
    assert f"DIFFERENT  {SPLIT}  [split]  size 31 bytes, reference 31 bytes; first" in (
        completed.stdout
    )


def test_two_profiles_compare_and_a_bad_path_gives_one_line(tmp_path):
    first = write_profile(write_tree(tmp_path / "one"), tmp_path / "one-references")
    second = write_profile(write_tree(tmp_path / "two"), tmp_path / "two-references")
    completed = compare(str(first), str(second))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[0] == "seedlock compare: MATCH"
    completed = compare(str(tmp_path / "nowhere"), str(second))
    assert completed.returncode == 2
    assert completed.stderr == (
        f"seedlock: error: {tmp_path / 'nowhere'}: neither a result tree (a folder with "
        "results/<step>/ in it) nor a reference profile (a folder with checksums.sha256 and "
        "provenance.json); name one of those\n"
    )


def test_exact_makes_an_ignored_pickle_difference_count(tmp_path):
    model = "results/train/iris/logistic_regression/rep0.pkl"
    a, b = write_tree(tmp_path / "a"), write_tree(tmp_path / "b")
    (b / model).parent.mkdir(parents=True)
    (b / model).write_bytes(b"\x80\x05K\x01.")
    (a / model).parent.mkdir(parents=True)
    (a / model).write_bytes(b"\x80\x05K\x01.x")  # one byte appended
    default = compare(str(a), str(b))
    assert default.returncode == 0 and default.stdout.startswith("seedlock compare: EQUIVALENT")
    exact = compare(str(a), str(b), "--exact")
    assert exact.returncode == 1 and exact.stdout.startswith("seedlock compare: DIFFERENT")
    assert f"DIFFERENT  {model}" in exact.stdout
    both = compare(str(a), str(b), "--exact", "--rtol", "1e-6")
    assert both.returncode == 2 and "--exact: cannot be combined" in both.stderr
