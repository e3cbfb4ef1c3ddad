"""A job whose step raises a user error: one line in its log, and a clean exit status."""

import subprocess
import sys
import textwrap

from tests.conftest import REPO

STEP = textwrap.dedent(
    """
    import sys
    from types import SimpleNamespace
    sys.path.insert(0, {repo!r})
    from seedlock.errors import SeedlockError
    from seedlock.runtime import start_job

    snakemake = SimpleNamespace(
        input={{}}, output={{}}, params=SimpleNamespace(seed=1, threads=1),
        wildcards={{"dataset": "x"}}, rule="toy", log=[{log!r}],
    )
    with start_job(snakemake, fork=False):
        raise SeedlockError("data/x.csv: a text column")
    """
)


def test_a_user_error_in_a_step_ends_its_log_with_one_line(tmp_path):
    log = tmp_path / "toy.log"
    completed = subprocess.run(
        [sys.executable, "-c", STEP.format(repo=str(REPO), log=str(log))],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 1
    text = log.read_text()
    assert "ERROR seedlock.toy: data/x.csv: a text column" in text
    assert text.rstrip().endswith("seedlock: error: data/x.csv: a text column"), text
    assert "lost sys.stderr" not in text + completed.stderr
    assert "Traceback" not in text + completed.stderr
