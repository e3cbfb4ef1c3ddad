"""The kernel's locks that tell a live run from a killed one (seedlock/run_lock.py)."""

import signal

from seedlock import run_lock
from tests.conftest import hold_run_locks


def test_a_second_run_is_refused_while_the_first_lives_and_admitted_after_kill_9(tmp_path):
    first = hold_run_locks(tmp_path)
    try:
        busy = run_lock.hold_running(tmp_path)
        assert busy == (
            f"another Snakemake run (pid {first.pid}) is running jobs in {tmp_path.resolve()}; "
            "wait for it to end, then run again"
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert run_lock.hold_running(tmp_path) is None  # the kernel dropped the dead run's lock


def test_stale_snakemake_locks_are_removed_only_when_no_run_is_alive(tmp_path):
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x")
    first = hold_run_locks(tmp_path)  # alive: it removes the stale lock, then holds "alive" shared
    try:
        assert not (locks / "0.input.lock").exists()
        (locks / "0.output.lock").write_text("x")  # as the live run's own lock would be
        assert run_lock.claim(tmp_path) == []
        assert (locks / "0.output.lock").exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()


def test_a_live_run_is_named_at_parse_time_and_the_test_takes_no_lock(tmp_path):
    assert run_lock.running_elsewhere(tmp_path) is None  # no run has ever been here
    first = hold_run_locks(tmp_path)
    try:
        assert f"(pid {first.pid}) is running jobs" in run_lock.running_elsewhere(tmp_path)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert run_lock.running_elsewhere(tmp_path) is None
    # Testing held nothing: this process can still take the lock itself.
    assert run_lock.hold_running(tmp_path) is None
