import subprocess
import sys

from tests.conftest import REPO, run_seedlock


def seedlock(*arguments, cwd=REPO):
    return run_seedlock(cwd, *arguments)


def check_config(*arguments, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "experiment", "check-config", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_check_config_accepts_the_shipped_config():
    completed = check_config()
    assert completed.returncode == 0, completed.stderr
    assert (
        completed.stdout
        == "config.yaml: valid: classification, 4 datasets, 5 models, 3 replicates\n"
    )


def test_check_config_reports_one_line_and_exits_2(tmp_path):
    (tmp_path / "bad.yaml").write_text("cross_validation:\n  folds: 1\n")
    completed = check_config("bad.yaml", cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr == (
        "experiment: error: bad.yaml: cross_validation.folds: 1 is less than the minimum of 2\n"
    )
    assert completed.stdout == ""
