"""``seedlock probe``: is every output deterministic, and which outputs depend on the thread count?

The workflow runs in fresh copies of itself: a baseline run, a varied run that changes what must
not matter (see ``VARIATIONS``), and a run with another thread count per step. Each output is
DETERMINISTIC (same bytes in the baseline and the varied run), NONDETERMINISTIC, or, when only the
thread count changes it, THREAD_DEPENDENT. The report goes to ``results/probe/``; ``seedlock bless``
refuses outputs that the last probe of the same sources found non-deterministic.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from seedlock import compute
from seedlock.checksums import file_sha256, listing_digest
from seedlock.errors import SeedlockError
from seedlock.runtime import FIXED_ENVIRONMENT, PROBE_OVERRIDES
from seedlock.settings import load_settings
from seedlock.steps import RESULTS
from seedlock.trees import ResultTree
from seedlock.verify import (
    MATCH,
    MISSING,
    UNEXPECTED,
    FileResult,
    classify,
    describe_difference,
    trace_divergence,
)
from seedlock.writers import write_json, write_text

REPORT = Path(RESULTS) / "probe" / "report.json"
REPORT_TEXT = Path(RESULTS) / "probe" / "report.txt"
REPORT_SCHEMA_VERSION = 1
DETERMINISTIC = "DETERMINISTIC"
NONDETERMINISTIC = "NONDETERMINISTIC"
THREAD_DEPENDENT = "THREAD_DEPENDENT"
PROBE_CLASSES = (DETERMINISTIC, NONDETERMINISTIC, THREAD_DEPENDENT)

# What the workflow runs, in the standard Snakemake layout, and every Python package at the top of
# the workflow folder: a change here makes an earlier probe's findings stale.
SOURCES = ("Snakefile", "workflow", "rules", "scripts", "schemas", "envs", "requirements.lock")
NOT_SOURCES = {"tests", "benchmarks"}
# Left out of the copies: generated, per-checkout or version-control state.
NOT_COPIED = {".git", ".snakemake", RESULTS, "logs", "references", "__pycache__"}
LISTING_SHIM = Path(__file__).resolve().parent / "listing_shim"
# A time zone 13 h 45 min east of UTC, in POSIX form, so that it needs no tz database.
VARIED_TZ = "<+1345>-13:45"
VARIED_HASH_SEED = "4242"
# Locales with a decimal comma and their own collation, preferred in this order.
PREFERRED_LOCALES = ("de_DE.UTF-8", "fr_FR.UTF-8", "tr_TR.UTF-8")
BASELINE_UMASK, VARIED_UMASK = 0o022, 0o077
# glibc's libm without its FMA code paths (glibc 2.33 and later spell the features this way).
VARIED_GLIBC_TUNABLES = "glibc.cpu.hwcaps=-AVX2,-FMA"


@dataclass
class Run:
    name: str
    folder: Path
    arguments: list[str]
    environment: dict[str, str]
    umask: int
    seconds: float = 0.0
    log: Path | None = None


@dataclass
class Variation:
    name: str
    baseline: str
    varied: str

    def as_dict(self) -> dict:
        return {"name": self.name, "baseline": self.baseline, "varied": self.varied}


@dataclass
class Plan:
    """The runs of one probe and what differs between them."""

    runs: list[Run]
    variations: list[Variation]
    threads: dict[str, str] = field(default_factory=dict)  # run name per thread count


def sources_digest(root: Path, config: Path) -> str:
    """sha256 over the code, env specs, locks and config that a probe vouches for."""
    paths = []
    packages = sorted(
        p.parent.name for p in root.glob("*/__init__.py") if p.parent.name not in NOT_SOURCES
    )
    for part in [*SOURCES, *packages]:
        source = root / part
        if source.is_file():
            paths.append(source)
        elif source.is_dir():
            paths.extend(
                p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    entries = [(path.relative_to(root).as_posix(), file_sha256(path)) for path in sorted(paths)]
    return listing_digest([*entries, ("config", file_sha256(config))])


def copy_workflow(root: Path, destination: Path) -> Path:
    """Copy the checkout, without its results, logs, references, version control and any virtual
    environment in it, as a fresh clone would be."""

    def ignore(directory, names):
        skipped = {name for name in names if name in NOT_COPIED}
        skipped |= {
            name for name in names if (Path(directory) / name / "pyvenv.cfg").is_file()
        }  # a virtual environment
        return skipped

    shutil.copytree(root, destination, symlinks=True, ignore=ignore)
    return destination


def available_locale(run=subprocess.run) -> str | None:
    """A UTF-8 locale other than C that this machine has, or None."""
    try:
        listed = run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.split()
    except OSError:
        return None

    def normal(name):
        return name.lower().replace("utf-8", "utf8")

    by_normal = {normal(name): name for name in listed}
    for wanted in PREFERRED_LOCALES:
        if normal(wanted) in by_normal:
            return by_normal[normal(wanted)]
    others = [n for n in listed if "utf" in n.lower() and not n.lower().startswith(("c.", "posix"))]
    return sorted(others)[0] if others else None


def thread_settings(config_path: Path, root: Path) -> dict[str, int]:
    config = load_settings(config_path)
    # Hashing threads change no output.
    return {rule: count for rule, count in config["threads"].items() if rule != "checksum"}


def kernel_variation(config_path: Path, root: Path) -> tuple[dict[str, str | None], Variation]:
    """Outer variables that would make the jobs compute with other kernels than the baseline's
    (lower ones, which every CPU at the baseline runs): the workflow must override them. Under
    native there is nothing to override: another kernel is another profile, not a fault."""
    name = load_settings(config_path)["compute_baseline"]
    label = "CPU kernels (outer environment; the compute baseline pins the jobs')"
    outer = ", ".join(
        f"{variable}={os.environ.get(variable) or 'unset'}"
        for variable in compute.KERNEL_VARIABLES
        if variable != compute.BASELINE_VARIABLE
    )
    if name not in compute.BELOW or not compute.is_x86():
        return {}, Variation(label, outer, f"not varied: compute_baseline {name} on this machine")
    below = compute.BELOW[name]
    variables = compute.pinned_variables(
        below, compute.numpy_dispatch_targets(str(config_path)), os.environ
    )
    del variables[compute.BASELINE_VARIABLE]
    # The L2 size that opens OpenBLAS 0.3.34's block resizing, and libm without FMA.
    tunables = ":".join(filter(None, [variables["GLIBC_TUNABLES"], VARIED_GLIBC_TUNABLES]))
    variables.update(OPENBLAS_L2_SIZE="1024", GLIBC_TUNABLES=tunables)
    varied = (
        f"OPENBLAS_CORETYPE={below.openblas_coretype}, OPENBLAS_L2_SIZE=1024, numpy capped at "
        f"{below.name} (NPY_DISABLE_CPU_FEATURES={variables['NPY_DISABLE_CPU_FEATURES']}), "
        f"MKL_CBWR={below.mkl_cbwr}, GLIBC_TUNABLES={tunables}"
    )
    return variables, Variation(label, outer, varied)


def config_with_threads(config_path: Path, threads: int, destination: Path) -> Path:
    """A copy of the config in which every step runs with ``threads`` threads."""
    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    named = config.get("threads") or {}
    config["threads"] = {
        **{rule: threads for rule in named if rule != "checksum"},
        "default": threads,
    }
    destination.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return destination


def base_environment() -> dict[str, str]:
    # A probe may itself run inside a Snakemake job: its variables would redirect these runs.
    return {k: v for k, v in os.environ.items() if not k.startswith(("SNAKEMAKE", PROBE_OVERRIDES))}


def plan_runs(
    root: Path,
    workspace: Path,
    config: Path,
    targets: Sequence[str],
    cores: int,
    compare_threads: bool,
    locale_name: str | None,
) -> Plan:
    """The baseline, varied and thread runs, each in its own copy under ``workspace``."""
    config = config.resolve()
    in_copy = config.is_relative_to(root.resolve())

    def configfile(folder):
        return str(folder / config.relative_to(root.resolve())) if in_copy else str(config)

    baseline_folder = workspace / "a" / "workflow"
    varied_folder = workspace / "b" / "a deeper" / "working directory" / "workflow copy"
    baseline_home, varied_home = os.environ.get("HOME", ""), str(workspace / "home")
    baseline_env = {
        **base_environment(),
        "TZ": FIXED_ENVIRONMENT["TZ"],
        "LC_ALL": FIXED_ENVIRONMENT["LC_ALL"],
        "PYTHONHASHSEED": FIXED_ENVIRONMENT["PYTHONHASHSEED"],
    }
    varied_locale = locale_name or "C"
    varied_job_environment = {
        "PYTHONHASHSEED": VARIED_HASH_SEED,
        "TZ": VARIED_TZ,
        "LC_ALL": varied_locale,
    }
    python_path = os.pathsep.join(filter(None, [str(LISTING_SHIM), os.environ.get("PYTHONPATH")]))
    kernel_variables, kernels = kernel_variation(config, root)
    varied_env = {
        **{k: v for k, v in base_environment().items() if k not in kernel_variables},
        **{k: v for k, v in kernel_variables.items() if v is not None},
        **varied_job_environment,
        "LANG": varied_locale,
        "HOME": varied_home,
        "PYTHONPATH": python_path,
        PROBE_OVERRIDES: json.dumps(varied_job_environment, sort_keys=True),
    }
    baseline = Run(
        "baseline",
        baseline_folder,
        [*targets, "--cores", str(cores), "--configfile", configfile(baseline_folder)],
        baseline_env,
        BASELINE_UMASK,
    )
    # A random pick among the ready jobs: another order of execution (on one core, the order is
    # all that changes; on more, which jobs run side by side changes too).
    varied = Run(
        "varied",
        varied_folder,
        [
            *targets,
            "--cores",
            str(cores),
            "--scheduler",
            "greedy",
            "--scheduler-subsample",
            "1",
            "--configfile",
            configfile(varied_folder),
        ],
        varied_env,
        VARIED_UMASK,
    )
    variations = [
        Variation("working directory (path and depth)", str(baseline_folder), str(varied_folder)),
        Variation("job order", "Snakemake's scheduler", "a random ready job first"),
        Variation("PYTHONHASHSEED (driver and jobs)", baseline_env["PYTHONHASHSEED"], "4242"),
        Variation("TZ (driver and jobs)", baseline_env["TZ"], VARIED_TZ),
        Variation(
            "locale LC_ALL (driver and jobs)",
            baseline_env["LC_ALL"],
            varied_locale + ("" if locale_name else " (no other UTF-8 locale installed)"),
        ),
        Variation("umask", f"{BASELINE_UMASK:03o}", f"{VARIED_UMASK:03o}"),
        Variation("HOME", baseline_home or "(unset)", f"{varied_home} (new, empty)"),
        Variation(
            "directory listing order (every Python process)", "file system order", "reversed"
        ),
        kernels,
    ]
    plan = Plan([baseline, varied], variations)
    if not compare_threads:
        return plan
    settings = set(thread_settings(config, root).values())
    for threads in (1, 2):
        if settings == {threads}:
            plan.threads[str(threads)] = "baseline"
            continue
        folder = workspace / f"threads-{threads}" / "workflow"
        derived = config_with_threads(config, threads, workspace / f"config-threads-{threads}.yaml")
        # The same cores as the baseline, though 2-thread jobs then run fewer side by side: given
        # more, OpenMP's spinning threads fight over the cores (a HistGradientBoosting fit took
        # 19 s instead of 0.55 s with 2 such jobs on 2 cores).
        plan.runs.append(
            Run(
                f"threads-{threads}",
                folder,
                [*targets, "--cores", str(cores), "--configfile", str(derived)],
                baseline_env,
                BASELINE_UMASK,
            )
        )
        plan.threads[str(threads)] = f"threads-{threads}"
    return plan


def check_workflow(root: Path, config: Path, targets: Sequence[str]) -> None:
    """A dry run of the workflow with ``config``: the workflow's own validation (its config
    keys, its rules) stops the probe with its one line, before the long runs start."""
    dry_run = ["--dry-run", "--quiet", "--nolock", "--configfile", str(config)]
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", *targets, *dry_run],
        cwd=root,
        env=base_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode == 0:
        return
    lines = completed.stderr.strip().splitlines() or [f"snakemake exited {completed.returncode}"]
    errors = [line for line in lines if line.startswith("seedlock: error: ")]
    if errors:
        raise SeedlockError(errors[0].removeprefix("seedlock: error: "))
    raise SeedlockError(f"a dry run of the workflow with {config} failed: {lines[-1]}")


# Snakemake's progress line, e.g. "12 of 211 steps (6%) done".
PROGRESS = re.compile(r"^(\d+) of (\d+) steps \(\d+%\) done")
PROGRESS_EVERY_SECONDS = 30.0


def execute(
    root: Path, run: Run, workspace: Path, say: Callable[[str], None] = lambda line: None
) -> None:
    """One run of the probe, its Snakemake output in its log; every half minute, how many of
    its jobs are done."""
    copy_workflow(root, run.folder)
    run.log = workspace / f"{run.name}.log"
    say(f"probe: {run.name} run in {run.folder}; its log: {run.log}")
    started = last_said = time.perf_counter()
    with open(run.log, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "snakemake", *run.arguments],
            cwd=run.folder,
            env=run.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            umask=run.umask,
            text=True,
            errors="replace",
        )
        for line in process.stdout:
            log.write(line)
            progress = PROGRESS.match(line)
            if progress and time.perf_counter() - last_said >= PROGRESS_EVERY_SECONDS:
                last_said = time.perf_counter()
                say(
                    f"probe: {run.name} run: {progress[1]} of {progress[2]} jobs done "
                    f"({last_said - started:.0f} s)"
                )
        returncode = process.wait()
    run.seconds = time.perf_counter() - started
    if returncode != 0:
        raise SeedlockError(
            f"the {run.name} run failed (snakemake exited {returncode}); "
            f"its log is {run.log}; the workspace {workspace} is kept for inspection"
        )


def file_results(
    results: Sequence[FileResult], probe_class: str, current: str, reference: str
) -> list[dict]:
    """The outputs that differ between two runs (``current`` compared with ``reference``)."""
    only_in = {MISSING: reference, UNEXPECTED: current}
    items = []
    for result in results:
        if result.status == MATCH:
            continue
        item = {"path": result.path, "step": result.step, "class": probe_class}
        item["compared"] = f"{current} vs {reference}"
        if result.status in only_in:
            item["only_in"] = only_in[result.status]
        if result.consequence_of:
            item["consequence_of"] = result.consequence_of
        if result.difference is not None:
            item["difference"] = result.difference.as_dict()
        items.append(item)
    return items


def compare_runs(plan: Plan) -> dict:
    """The per-output findings: baseline vs varied, then the thread runs on what stayed equal."""
    trees = {run.name: ResultTree(run.folder) for run in plan.runs}
    baseline, varied = trees["baseline"], trees["varied"]
    graph = baseline.graph.merged(varied.graph)
    determinism = classify(varied, baseline, [], graph)
    first_nondeterministic = trace_divergence(determinism, graph)
    files = file_results(determinism, NONDETERMINISTIC, "varied", "baseline")
    unstable = {item["path"] for item in files}
    first_thread_dependent: list[str] = []
    if plan.threads:
        one, two = trees[plan.threads["1"]], trees[plan.threads["2"]]
        threaded = [
            result
            for result in classify(two, one, [], graph)
            if result.path not in unstable and result.status != MATCH
        ]
        first_thread_dependent = trace_divergence(threaded, graph)
        files += file_results(threaded, THREAD_DEPENDENT, plan.threads["2"], plan.threads["1"])
    paths = set(baseline.entries) | set(varied.entries)
    counts = Counter(item["class"] for item in files)
    counts[DETERMINISTIC] = len(paths) - len(files)
    return {
        "outputs": len(paths),
        "counts": {name: counts.get(name, 0) for name in PROBE_CLASSES},
        "first_nondeterministic_steps": first_nondeterministic,
        "first_thread_dependent_steps": first_thread_dependent,
        # Every output lies under results/<step>/, so every one has a step.
        "files": sorted(files, key=lambda item: (graph.position(item["step"]), item["path"])),
    }


def probe(
    root: Path,
    config: Path,
    targets: Sequence[str] = (),
    cores: int | None = None,
    compare_threads: bool = False,
    keep: bool = False,
    say: Callable[[str], None] = print,
    report_root: Path | None = None,
) -> dict:
    """Run the probe from the workflow in ``root``; write its report into ``report_root`` (by
    default ``root``) and return it."""
    if not (root / "Snakefile").is_file():
        raise SeedlockError(
            f"{root.resolve()}: no Snakefile, and no run record here naming the workflow's folder; "
            "run seedlock probe in the workflow's folder, or where a run of it wrote its outputs"
        )
    if not config.is_file():
        raise SeedlockError(f"{config}: no such config file; pass --config FILE")
    thread_settings(config, root)  # a bad seedlock key fails here, before any run
    # The checksums rule: every step's manifest and the run record (which holds the step graph).
    targets = list(targets) or ["checksums"]
    check_workflow(root, config, targets)
    cores = cores or os.cpu_count() or 1
    started = time.perf_counter()
    workspace = Path(tempfile.mkdtemp(prefix="seedlock-probe-"))
    # Every run starts from one snapshot of the checkout, so that all of them run the sources the
    # digest describes even if the checkout is edited during the probe.
    digest = sources_digest(root, config)
    snapshot = copy_workflow(root, workspace / "sources")
    plan = plan_runs(root, workspace, config, targets, cores, compare_threads, available_locale())
    Path(plan.runs[1].environment["HOME"]).mkdir()
    for run in plan.runs:
        execute(snapshot, run, workspace, say)
        say(f"probe: {run.name} run took {run.seconds:.1f} s")
    findings = compare_runs(plan)
    report = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "status": NONDETERMINISTIC if findings["counts"][NONDETERMINISTIC] else DETERMINISTIC,
        "probed_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "sources_sha256": digest,
        "config": str(config),
        "targets": targets,
        "variations": [variation.as_dict() for variation in plan.variations],
        "thread_runs": plan.threads,
        "runs": {run.name: round(run.seconds, 1) for run in plan.runs},
        "wall_seconds": round(time.perf_counter() - started, 1),
        **findings,
    }
    report_root = root if report_root is None else report_root
    write_json(report_root / REPORT, report)
    write_text(report_root / REPORT_TEXT, report_text(report))
    if keep:
        say(f"probe: runs kept in {workspace}")
    else:
        shutil.rmtree(workspace, ignore_errors=True)
    return report


def report_text(report: Mapping) -> str:
    counts = report["counts"]
    lines = [
        f"seedlock probe: {report['status']}",
        f"outputs: {report['outputs']} ("
        + ", ".join(f"{counts[name]} {name}" for name in PROBE_CLASSES)
        + ")",
        "runs: "
        + ", ".join(f"{name} {seconds} s" for name, seconds in report["runs"].items())
        + f"; probe wall time {report['wall_seconds']} s",
        "varied between the baseline and the varied run:",
    ]
    lines += [f"  {v['name']}: {v['baseline']} -> {v['varied']}" for v in report["variations"]]
    if report["thread_runs"]:
        lines.append(
            "thread count: every step with 1 thread ("
            f"{report['thread_runs']['1']} run) and with 2 ({report['thread_runs']['2']} run)"
        )
    else:
        lines.append("thread count: not varied (pass --threads to compare 1 and 2 per step)")
    if report["first_nondeterministic_steps"]:
        lines.append(
            "first non-deterministic step: " + ", ".join(report["first_nondeterministic_steps"])
        )
    if report["first_thread_dependent_steps"]:
        lines.append(
            "first thread-dependent step: " + ", ".join(report["first_thread_dependent_steps"])
        )
    for item in report["files"]:
        where = item["step"] or "no step"
        if item.get("consequence_of"):
            where += f", consequence of {item['consequence_of']}"
        detail = describe_difference(item["difference"]) if "difference" in item else ""
        if "only_in" in item:
            detail = f"written by the {item['only_in']} run only"
        lines.append(f"{item['class']:<16} {item['path']}  [{where}]  {detail}")
    return "\n".join(lines) + "\n"


def read_last_probe(root: Path) -> dict | None:
    path = root / REPORT
    if not path.is_file():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SeedlockError(f"{path}: not valid JSON; run seedlock probe again") from None
    if not isinstance(report, dict) or report.get("schema_version") != REPORT_SCHEMA_VERSION:
        raise SeedlockError(f"{path}: not a probe report of this version; run seedlock probe")
    return report
