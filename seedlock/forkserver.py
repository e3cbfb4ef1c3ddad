"""Jobs forked from a warm interpreter: numpy, pandas and scikit-learn are imported once per
environment, not once per job.

Every Snakemake job is a new Python process, and importing scikit-learn takes about 2 s, more
than most steps compute. So a job's process (the client) does not run its own script: it hands
the script to a server that imported those packages once, in exactly the job's environment, and
the server forks a child that runs the script as ``python <script>`` would, with the client's
working folder, arguments, environment variables and standard streams. The client waits and
exits with the child's status. Snakemake, its logs, the job's outputs, seeds and reruns see an
ordinary job; only the benchmark file's memory and CPU columns no longer include the child,
which is not the client's descendant (its wall time is exact; the job's log records the child's
own peak memory and CPU time).

A server is shared only by jobs that would start identical interpreters: the digest of the
interpreter, host, user, working folder, seedlock's and Snakemake's location and *every*
environment variable (the job's thread pins included) names its socket, so two jobs whose
environments differ in anything never share one. A server leaves when it has been idle for
IDLE_SECONDS. Where anything is missing (not Linux, no pidfd, the server cannot start), or
SEEDLOCK_FORKSERVER=0 is set, the job runs in its own process as before.

This module imports only the standard library: the server imports it before the packages it
preloads, and jobs import it before numpy.
"""

import atexit
import contextlib
import gc
import hashlib
import importlib
import importlib.util
import io
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

# Set to "0" to start every job in a fresh interpreter.
SWITCH = "SEEDLOCK_FORKSERVER"

# Imported by the server, in this order, when installed: the packages whose import dominates a
# step's start (scikit-learn's estimators, splitters and metrics import scipy and pandas too).
# Only packages of the locked environment belong here, never the workflow's own modules, which
# may change during a run; a job imports anything else itself. SEEDLOCK_FORKSERVER_PRELOAD, a
# comma-separated list, replaces it (e.g. for a workflow built on other libraries).
PRELOAD = (
    "numpy",
    "scipy",
    "pandas",
    "sklearn",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.neural_network",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "snakemake.script",
)
PRELOAD_VARIABLE = "SEEDLOCK_FORKSERVER_PRELOAD"

# Jobs of a run follow each other within milliseconds; on a cluster, a server started in one
# job's step never sees another job, so it should not hold its memory long.
IDLE_SECONDS = 10.0
# A server that has not answered by then is given up; the job runs in its own process.
START_SECONDS = 120.0
# The request (argv, folder, environment) travels as one datagram.
MAX_REQUEST = 1 << 20
# Raised when the protocol between client and server changes, so old servers are not reused.
PROTOCOL = 1

# The exit status of a server that found its name taken by another one.
NAME_TAKEN = 3
# The server's first answer to a request: the job's child exists.
FORKED = b"forked"

# True in a forked child: its job must run here, not be handed over again.
IN_CHILD = False


def enabled() -> str | None:
    """None if jobs can be handed to a server here, else why not."""
    if os.environ.get(SWITCH, "1") == "0":
        return f"{SWITCH}=0"
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return "the fork server needs Linux 5.3 or later"
    if snakemake_mode() == "remote":
        # A cluster executor starts one Snakemake per job (per SLURM step, say), whose server
        # would never see a second job: preloading would only add to this one's time.
        return "a cluster job (its Snakemake runs with --mode remote)"
    return None


def snakemake_mode(pid: int | None = None) -> str | None:
    """The --mode of the nearest Snakemake process above this one (``default`` when not
    given), or None when no ancestor is a Snakemake."""
    pid = os.getppid() if pid is None else pid
    for _ in range(16):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                arguments = handle.read().decode(errors="replace").split("\0")
            with open(f"/proc/{pid}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None
        if any(Path(argument).name == "snakemake" for argument in arguments[:3]):
            if "--mode" in arguments[:-1]:
                return arguments[arguments.index("--mode") + 1]
            return "default"
        if parent <= 1:
            return None
        pid = parent
    return None


def preload() -> tuple[str, ...]:
    listed = os.environ.get(PRELOAD_VARIABLE)
    if listed is None:
        return PRELOAD
    return tuple(name.strip() for name in listed.split(",") if name.strip())


def server_name(environment: dict[str, str]) -> str:
    """The name of the server for jobs started like this one."""
    identity = {
        "protocol": PROTOCOL,
        "executable": sys.executable,
        "host": socket.gethostname(),
        "uid": os.getuid(),
        "cwd": os.getcwd(),
        "seedlock": _package_parent("seedlock"),
        "snakemake": _package_parent("snakemake"),
        "preload": preload(),
        "environment": sorted(environment.items()),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:40]


def _address(name: str) -> str:
    # An abstract socket (leading NUL): nothing on disk to go stale, gone when the server exits.
    return f"\0seedlock-forkserver-{name}"


def _package_parent(package: str) -> str:
    module = sys.modules.get(package)
    location = getattr(module, "__file__", None)
    return str(Path(location).resolve().parents[1]) if location else ""


# ---------------------------------------------------------------------------------------------
# Client: the job's own process.


def hand_over(environment: dict[str, str]) -> str:
    """Run this process's script in a fork of the warm server and exit with its status.

    ``environment`` holds the variables the job sets for itself before numpy loads (its thread
    pins): the server must import with them. Returns only when the job is to run here instead,
    with the reason, for the job's log.
    """
    if IN_CHILD:
        return f"forked from a warm interpreter (pid {os.getppid()})"
    reason = enabled()
    if reason:
        return f"started in its own interpreter: {reason}"
    # The interpreter this job would be: the server is started with, and named after, it.
    interpreter_environment = {**os.environ, **environment}
    name = server_name(interpreter_environment)
    connection = _connect(name)
    if connection is None:
        connection, reason = _start_server(name, interpreter_environment)
        if connection is None:
            return f"started in its own interpreter: {reason}"
    with connection:
        status = _run_remotely(connection)
    if status is None:
        return "started in its own interpreter: the fork server left before taking the job"
    _exit_like(status)


def _connect(name: str) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        client.connect(_address(name))
    except OSError:
        client.close()
        return None
    return client


def _start_server(name: str, environment: dict[str, str]) -> tuple[socket.socket | None, str]:
    """Start a server for ``name`` and connect to it once it has imported its packages."""
    log_folder = Path(".snakemake", "seedlock", "forkserver")
    log_folder.mkdir(parents=True, exist_ok=True)
    log_path = log_folder / f"{name}.log"
    launcher = (
        "import sys; sys.path[0] = {seedlock!r}; from seedlock.forkserver import serve; serve()"
    ).format(seedlock=_package_parent("seedlock"))
    arguments = [name, str(IDLE_SECONDS), _package_parent("snakemake"), *preload()]

    def spawn() -> subprocess.Popen:
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-c", launcher, *arguments],
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C in the terminal stops jobs, not the server
            )

    server, spawned = spawn(), time.monotonic()
    deadline = spawned + START_SECONDS
    while time.monotonic() < deadline:
        connection = _connect(name)
        if connection is not None:
            return connection, ""
        ended = server.poll()
        if ended == NAME_TAKEN and time.monotonic() - spawned > 5.0:
            # Another job's server is preloading; if it failed, the name is free again.
            server, spawned = spawn(), time.monotonic()
        elif ended not in (None, NAME_TAKEN):
            return None, f"the fork server failed, see {log_path}"
        time.sleep(0.02)
    server.kill()
    return None, f"the fork server did not start within {START_SECONDS:.0f} s, see {log_path}"


def _run_remotely(connection: socket.socket) -> int | None:
    """Send this job to the server; the child's wait status, as os.waitstatus_to_exitcode gives,
    or None if the server left before forking it (then nothing of the job ran)."""
    umask = os.umask(0o022)
    os.umask(umask)
    request = {
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "environment": dict(os.environ),
        "umask": umask,
    }
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
        if connection.recv(64) != FORKED:
            return None
    except OSError:
        return None
    reply = connection.recv(64)
    if not reply:
        # The server died while the job ran (killed, out of memory): its outputs are not to be
        # trusted, so the job fails and Snakemake removes them.
        raise SystemExit("seedlock: error: the fork server running this job stopped; rerun")
    return int(reply)


def _exit_like(code: int):
    """Leave as the child left: with its exit code, or killed by the same signal."""
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF if code >= 0 else 1)


# ---------------------------------------------------------------------------------------------
# Server.


def serve() -> None:
    """The server's entry point: preload, listen, and fork one child per job, which runs its
    job's script here and ends there (see _exit_after)."""
    name, idle, snakemake_parent, *preload = sys.argv[1:]
    base_path = sys.path[1:]  # sys.path[0] is seedlock's parent, set by the launcher
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        # Claimed before preloading, so that two jobs starting at once do not both preload;
        # clients are refused until listen() below, and keep trying.
        listener.bind(_address(name))
    except OSError as error:
        print(f"forkserver: {error}; another server has this name", file=sys.stderr)
        sys.exit(NAME_TAKEN)
    if snakemake_parent:
        sys.path.append(snakemake_parent)
    for module in preload:
        try:
            if _installed(module):
                importlib.import_module(module)
        except Exception as error:  # the job that needs it fails on its own import, with its log
            print(f"forkserver: not preloaded: {module}: {error!r}", file=sys.stderr)
    # Moves every object so far out of the cyclic collector's reach: the children neither copy
    # these pages by walking them nor spend half a second walking them again at exit.
    gc.freeze()
    if threading.active_count() != 1:
        # Forking a process with threads may copy a lock some thread held: not safe.
        raise SystemExit(f"forkserver: {threading.active_count()} threads after preloading")
    listener.listen(64)
    request = _Server(listener, float(idle)).run()
    if request is None:
        return
    _become_job(request, base_path)
    _exit_after(_run_script, request["argv"][0])


def _run_script(path: str) -> None:
    import runpy

    runpy.run_path(path, run_name="__main__")


def _exit_after(job, *arguments) -> None:
    """Run ``job`` and end the process as the interpreter ends a script, less its teardown.

    The exit status, the printed traceback or SystemExit message, the wait for threads and the
    atexit functions are the interpreter's own; then every file still open is flushed and the
    process leaves without tearing down its modules one object at a time, which took 0.1-0.5 s
    per job with scikit-learn loaded (multiprocessing ends its forked children the same way).
    """
    try:
        job(*arguments)
        code = 0
    except SystemExit as stop:
        code = _system_exit_code(stop)
    except BaseException:
        code = 1
        # As the interpreter does, a closed sys.stderr (a job's log, closed) loses the traceback.
        with contextlib.suppress(Exception):
            sys.excepthook(*sys.exc_info())
    threading._shutdown()  # as at the end of any script: wait for non-daemon threads
    atexit._run_exitfuncs()
    _flush_open_files()
    os._exit(code)


def _system_exit_code(stop: SystemExit) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code & 0xFF
    with contextlib.suppress(Exception):  # lost with a closed sys.stderr, as by the interpreter
        print(stop.code, file=sys.stderr)
    return 1


def _flush_open_files() -> None:
    """What the interpreter's teardown would write: buffers of files the job left open."""
    for thing in gc.get_objects():
        if isinstance(thing, io.IOBase) and not thing.closed:
            with contextlib.suppress(Exception):
                thing.flush()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class _Server:
    """One process, one thread: accepts jobs, forks them, reports how each one ended."""

    def __init__(self, listener: socket.socket, idle_seconds: float):
        self.listener = listener
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ)
        self.jobs: dict[int, tuple[socket.socket, int]] = {}  # pid -> (connection, pidfd)

    def run(self) -> dict | None:
        last_activity = time.monotonic()
        while self.jobs or time.monotonic() - last_activity < self.idle_seconds:
            for key, _ in self.selector.select(timeout=1.0):
                last_activity = time.monotonic()
                if key.fileobj is self.listener:
                    request = self._accept()
                    if request is not None:  # in the child
                        return request
                else:
                    pid, kind = key.data
                    if kind == "ended":
                        self._report(pid)
                    else:
                        self._client_gone(pid)
        return None

    def _accept(self) -> dict | None:
        connection, _ = self.listener.accept()
        try:
            message, fds, flags, _ = socket.recv_fds(connection, MAX_REQUEST, 3)
            credentials = connection.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, 12
            )  # pid, uid, gid as three ints
            uid = int.from_bytes(credentials[4:8], sys.byteorder)
            if uid != os.getuid() or len(fds) != 3 or flags & socket.MSG_TRUNC:
                raise ValueError("refused a request")
            request = json.loads(message)
        except (OSError, ValueError) as error:
            print(f"forkserver: {error}", file=sys.stderr)
            connection.close()
            return None
        pid = os.fork()
        if pid == 0:
            self._leave_to_child(connection)
            request["fds"] = fds
            return request
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):  # a client gone already is seen below
            connection.send(FORKED)
        pidfd = os.pidfd_open(pid)
        self.jobs[pid] = (connection, pidfd)
        self.selector.register(connection, selectors.EVENT_READ, (pid, "client"))
        self.selector.register(pidfd, selectors.EVENT_READ, (pid, "ended"))
        return None

    def _leave_to_child(self, own: socket.socket) -> None:
        """In the child: drop every descriptor of the server, or a client would wait forever."""
        self.selector.close()
        self.listener.close()
        own.close()
        for connection, pidfd in self.jobs.values():
            connection.close()
            os.close(pidfd)

    def _forget(self, pid: int) -> socket.socket:
        connection, pidfd = self.jobs.pop(pid)
        self.selector.unregister(connection)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        return connection

    def _report(self, pid: int) -> None:
        _, status = os.waitpid(pid, 0)
        connection = self._forget(pid)
        with contextlib.suppress(OSError):  # the client may be gone
            connection.send(str(os.waitstatus_to_exitcode(status)).encode())
        connection.close()

    def _client_gone(self, pid: int) -> None:
        """The client was stopped (Snakemake cancelled the job): stop the job too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        self._forget(pid).close()


def _become_job(request: dict, base_path: list[str]) -> None:
    """Turn the forked child into the process ``python <argv[0]>`` would have started."""
    global IN_CHILD
    IN_CHILD = True
    os.setsid()  # its own process group, which the server stops if the client goes
    for target, fd in enumerate(request["fds"]):
        os.dup2(fd, target)
        os.close(fd)
    for target, name in enumerate(("stdin", "stdout", "stderr")):
        stream = _standard_stream(target, getattr(sys, name))
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["environment"])
    sys.argv[:] = request["argv"]
    sys.path[:] = [str(Path(request["argv"][0]).resolve().parent), *base_path]
    # The job imports the workflow's seedlock itself, from its files as they are now.
    for module in list(sys.modules):
        if module.partition(".")[0] == "seedlock" and module != __name__:
            del sys.modules[module]


def _standard_stream(fd: int, previous: io.TextIOWrapper) -> io.TextIOWrapper:
    """A new text stream on ``fd``, buffered as the interpreter buffers it at start."""
    writes = fd != 0
    return open(
        fd,
        "w" if writes else "r",
        buffering=1 if writes and os.isatty(fd) else -1,  # 1: by line
        encoding=previous.encoding,
        errors=previous.errors,
        closefd=False,
    )


def job_resources() -> str:
    """This process's peak memory and CPU time, for a forked job's log."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    return f"peak memory {usage.ru_maxrss / 1024:.1f} MiB, CPU {cpu:.2f} s"
