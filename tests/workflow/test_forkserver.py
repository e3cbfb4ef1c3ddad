"""Jobs handed to a warm fork server run as they would in their own interpreter: same arguments,
folder, environment, streams and exit status, and they stop when their client is stopped."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

# Stands for a job's script: it hands itself over, then reports what it sees.
CLIENT = """
import json, os, sys, time
preloaded = "numpy" in sys.modules
sys.path.insert(0, {repo!r})
from seedlock import forkserver
how = forkserver.hand_over({{"OMP_NUM_THREADS": "1"}})
print(json.dumps({{
    "how": how,
    "forked": forkserver.IN_CHILD,
    "numpy_preloaded": preloaded,
    "pid": os.getpid(),
    "server": os.getppid(),
    "argv": sys.argv,
    "cwd": os.getcwd(),
    "path0": sys.path[1],
    "environment": dict(os.environ),
    "stdin": sys.stdin.read(),
}}))
sys.stdout.flush()
mode = sys.argv[1]
if mode == "raise":
    raise ValueError("boom")
if mode == "exit":
    sys.exit(3)
if mode == "message":
    sys.exit("seedlock: error: a message")
if mode == "closed-stderr":
    # As start_job leaves it: stderr sent to the job's log, which is closed by now.
    with open("job.log", "w") as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        sys.stderr = log
        print("in the log", file=sys.stderr)
    sys.exit("seedlock: error: lost, as in its own interpreter")
if mode == "unflushed":
    # A module keeps the file open: only the end of the process writes its buffer.
    import kept_open
    kept_open.handle.write("written at exit")
if mode == "sleep":
    with open("sleeping", "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(120)
"""


@pytest.fixture
def client(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(CLIENT.format(repo=str(REPO)), encoding="utf-8")
    return script


def run_job(script, mode="ok", extra=None, stdin="", timeout=180):
    environment = {**os.environ, **(extra or {})}
    environment.pop("SEEDLOCK_FORKSERVER", None)
    environment.update(extra or {})
    return subprocess.run(
        [sys.executable, str(script), mode],
        cwd=script.parent,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def report(completed):
    return json.loads(completed.stdout.splitlines()[0])


def test_a_forked_job_sees_what_its_own_interpreter_would(client):
    first, second = run_job(client, stdin="to the job"), run_job(client)
    cold = run_job(client, extra={"SEEDLOCK_FORKSERVER": "0"})
    assert first.returncode == second.returncode == cold.returncode == 0, first.stderr
    first, second, cold = report(first), report(second), report(cold)
    assert first["forked"] and second["forked"] and not cold["forked"]
    assert "SEEDLOCK_FORKSERVER=0" in cold["how"]
    # One server for both jobs, which had numpy imported before the job began.
    assert first["server"] == second["server"]
    assert first["numpy_preloaded"] and not cold["numpy_preloaded"]
    assert first["stdin"] == "to the job"
    for seen in (first, second):
        assert seen["argv"] == cold["argv"] == [str(client), "ok"]
        assert seen["cwd"] == cold["cwd"]
        assert seen["path0"] == cold["path0"] == str(client.parent)
        environment = {k: v for k, v in seen["environment"].items() if k != "SEEDLOCK_FORKSERVER"}
        cold_environment = {
            k: v for k, v in cold["environment"].items() if k != "SEEDLOCK_FORKSERVER"
        }
        assert environment == cold_environment


def test_exit_status_and_traceback_reach_the_client(client):
    exited = run_job(client, "exit")
    assert exited.returncode == 3
    assert report(exited)["forked"]
    raised = run_job(client, "raise")
    assert raised.returncode == 1
    assert raised.stderr.rstrip().endswith("ValueError: boom")
    message = run_job(client, "message")
    assert (message.returncode, message.stderr) == (1, "seedlock: error: a message\n")


def test_a_message_to_a_closed_log_is_lost_quietly_as_in_its_own_interpreter(client):
    logs = {}
    for how, extra in (("forked", {}), ("cold", {"SEEDLOCK_FORKSERVER": "0"})):
        completed = run_job(client, "closed-stderr", extra=extra)
        assert completed.returncode == 1
        logs[how] = (client.parent / "job.log").read_text()
    # (the interpreter may add a blank line; nothing else)
    assert logs["forked"].strip() == logs["cold"].strip() == "in the log"


def test_a_file_left_open_is_written_at_exit(client):
    (client.parent / "kept_open.py").write_text('handle = open("unflushed.txt", "w")\n')
    completed = run_job(client, "unflushed")
    assert completed.returncode == 0 and report(completed)["forked"]
    assert (client.parent / "unflushed.txt").read_text() == "written at exit"


def test_jobs_with_other_environments_get_other_servers(client):
    one = report(run_job(client))
    other = report(run_job(client, extra={"SEEDLOCK_TEST_VARIABLE": "1"}))
    assert one["forked"] and other["forked"]
    assert one["server"] != other["server"]


def test_stopping_the_client_stops_its_job(client):
    process = subprocess.Popen(
        [sys.executable, str(client), "sleep"],
        cwd=client.parent,
        env={k: v for k, v in os.environ.items() if k != "SEEDLOCK_FORKSERVER"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    marker = client.parent / "sleeping"
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert time.monotonic() < deadline, "the job did not start"
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    time.sleep(0.1)
    job = int(marker.read_text())
    assert job != process.pid  # the job runs in the forked child, not in the client
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(job, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the forked job outlived its client"
        time.sleep(0.05)


def test_jobs_starting_together_share_one_server(client):
    # A variable of their own: no server exists yet for this environment.
    environment = {**os.environ, "SEEDLOCK_TEST_TOGETHER": str(time.time())}
    environment.pop("SEEDLOCK_FORKSERVER", None)
    processes = [
        subprocess.Popen(
            [sys.executable, str(client), "ok"],
            cwd=client.parent,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    seen = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
        seen.append(json.loads(stdout.splitlines()[0]))
    assert all(job["forked"] for job in seen)
    assert len({job["server"] for job in seen}) == 1


def test_a_cluster_job_starts_in_its_own_interpreter(client):
    # Its parent looks like the Snakemake a cluster executor starts for one job.
    parent = (
        "import subprocess, sys; "
        f"sys.exit(subprocess.run([{sys.executable!r}, {str(client)!r}, 'ok']).returncode)"
    )
    completed = subprocess.run(
        [
            "bash",
            "-c",
            'exec -a /opt/bin/snakemake "$0" -c "$1" --mode remote',
            sys.executable,
            parent,
        ],
        cwd=client.parent,
        env={k: v for k, v in os.environ.items() if k != "SEEDLOCK_FORKSERVER"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    seen = report(completed)
    assert not seen["forked"]
    assert "--mode remote" in seen["how"]
