# seedlock's helpers for any workflow's rules: the toolchain's settings (seeds, threads,
# compute_baseline, verify), the fixed job environment, the pinned compute baseline, seeds,
# threads and code digests. Include it first, after the configfile; include verify.smk last.
# No rules here.
import os
import sys
from pathlib import Path

# The seedlock package this file ships in, before any other installed copy. (A file read from a
# remote source has a URL here, which imports nothing: the installed seedlock then says so.)
sys.path.insert(0, os.path.dirname(os.path.dirname(str(workflow.current_basedir))))

from seedlock import compute, run_lock
from seedlock.checksums import file_sha256
from seedlock.code_digest import code_digests, package_roots
from seedlock.errors import SeedlockError
from seedlock.own_rules import own_rules, workflow_source
from seedlock.profiles import HOST_LOCK, canonical_digest, config_folders
from seedlock.runtime import fixed_environment
from seedlock.seeds import job_seed
from seedlock.settings import validate_settings
from seedlock.writers import is_partial

# Where the bookkeeping rules' scripts are, for verify.smk.
TOOLCHAIN_RULES = Path(workflow.current_basedir)


def from_source(*parts):
    """A file or folder of the workflow's own folder, named as the jobs see it: from the working
    directory (the same relative name as before when both are one folder)."""
    return os.path.relpath(SOURCE.joinpath(*parts))


def stop(error):
    """A user error: one line per problem, and no job starts. A config key set with --config
    on the command line is blamed on --config, not on a config file that does not hold it.
    """
    overrides = workflow.config_settings.config or {}
    for problem in getattr(error, "errors", [error]):
        key = str(getattr(problem, "key", ""))
        if overrides and key.split(".")[0].split("[")[0] in overrides:
            problem = f"--config: {key}: {problem.problem}"
        for line in str(problem).splitlines():
            print(f"seedlock: error: {line}", file=sys.stderr)
    sys.exit(2)


# The workflow's own folder (code, envs, locks, shipped references): the folder of the Snakefile
# that includes this file. Not workflow.basedir: in a workflow used as a module, that is the
# importing workflow's folder. Snakemake runs the workflow and its jobs in the working directory
# (-d), which holds the outputs; it may be another folder.
try:
    SOURCE = workflow_source(workflow)
except SeedlockError as error:
    stop(error)


# Inherited by every job this Snakemake process starts, locally or through a cluster executor.
try:
    os.environ.update(fixed_environment())
except SeedlockError as error:
    stop(error)


# A run killed with kill -9 leaves Snakemake's locks behind; the next run removes them when no
# other run of the workflow is alive here (seedlock/run_lock.py). Jobs that Snakemake starts in
# its own processes (cluster jobs) leave them to the run that started them.
if workflow.is_main_process:
    for stale in run_lock.claim():
        print(f"seedlock: removed {stale}, left by a killed run", file=sys.stderr)
    if busy := run_lock.running_elsewhere():
        # Snakemake's own lock will stop this run; say why first, and that --unlock is wrong.
        print(f"seedlock: note: {busy}; do not use --unlock", file=sys.stderr)


# One run at a time starts jobs here, even when two pass Snakemake's own lock at the same instant.
# A workflow that defines its own onstart: must call this first.
def seedlock_onstart():
    if not workflow.is_main_process:
        return
    if busy := run_lock.hold_running():
        stop(busy)
    # Jobs are about to change outputs: the last verdict no longer holds. If the run fails
    # before verify, no verdict is left to repeat PASS; verify writes the new one.
    Path("results/verify/verdict.txt").unlink(missing_ok=True)


onstart:
    seedlock_onstart()


# A run that verified ends on its verdict, not on Snakemake's job count; a run whose targets
# stopped before verify has none (onstart removed the old one). A workflow that defines its
# own onsuccess: calls this too.
def seedlock_onsuccess():
    verdict = Path("results/verify/verdict.txt")
    if workflow.is_main_process and verdict.is_file():
        sys.stderr.write(verdict.read_text(encoding="utf-8"))


onsuccess:
    seedlock_onsuccess()


wildcard_constraints:
    env=r"[A-Za-z0-9_-]+",


def config_source():
    """How the config files are named in error messages: relative to the workflow folder."""
    names = [os.path.relpath(path) for path in workflow.configfiles]
    return ", ".join(names) or "config"


def validated_settings():
    """The toolchain's keys of the config, validated, with their defaults."""
    try:
        return validate_settings(config, config_source())
    except SeedlockError as error:
        stop(error)


def check_locks_before_any_job():
    """With --use-conda, stop before any job if an env's lock or pin is stale or tampered with:
    Snakemake would otherwise build that env from the stale pin, or fall back to the spec.
    """
    from snakemake.settings.types import DeploymentMethod

    if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
        return
    from seedlock.fingerprint import conda_subdir
    from seedlock.locks import check_locks, specs_of

    root = SOURCE
    specs = [spec for spec in specs_of(root) if spec.parent.name == "envs"]
    problems = check_locks(root, specs, platforms=[conda_subdir()])
    for problem in problems:
        print(f"seedlock: check-locks: {problem}", file=sys.stderr)
    if problems:
        sys.exit(2)


def pinned_compute_baseline():
    """Pin the code paths of the config's compute_baseline for every job: the variables go into
    this process's environment, which every job inherits (locally, or on a cluster node, where
    the job's own Snakemake reads this file again) before it loads numpy or a BLAS library.
    A CPU below the baseline stops the run here, with one line. Returns the pins, a param of
    every rule, so that another baseline reruns every job."""
    try:
        variables, notes = compute.plan(settings["compute_baseline"], config_source())
    except SeedlockError as error:
        stop(error)
    for note in notes:
        print(f"seedlock: note: {note}", file=sys.stderr)
    compute.apply(variables)
    # The param: what the pins are, without the tunables of the machine's own that they keep.
    return {
        name: value for name, value in variables.items() if name != "GLIBC_TUNABLES"
    }


# Stops the run with one line naming the key, before any job starts.
settings = validated_settings()
check_locks_before_any_job()
# The BLAS kernel and SIMD paths every job computes with; a param of every rule.
compute_pins = pinned_compute_baseline()


def seed_for(step):
    """A params function: the job's seed, from the root seed, the step and its wildcards."""
    return lambda wildcards: job_seed(settings["seeds"], step, dict(wildcards.items()))


def threads_for(rule):
    """Threads the config declares for a rule, else its default: they, not --cores, set the
    job's thread pools."""
    threads = settings["threads"]
    return threads.get(rule, threads["default"])


def _script_digests(folder, roots):
    scripts = sorted(Path(folder).glob("*.py"))
    return {path.stem: digest for path, digest in code_digests(scripts, roots).items()}


# Every script's digest, taken in one pass when the workflow is read: the workflow's scripts/,
# and the toolchain's own.
SCRIPT_CODE = _script_digests(SOURCE / "scripts", package_roots(SOURCE))
TOOLCHAIN_CODE = _script_digests(
    TOOLCHAIN_RULES / "scripts", package_roots(TOOLCHAIN_RULES.parents[1])
)


def code_of(script):
    """A params value: the digest of the package modules scripts/<script>.py imports. Snakemake
    watches a rule's script but not what it imports; as a param, a change to one of those
    modules reruns the rule (the params rerun trigger), and leaves other rules alone."""
    if script not in SCRIPT_CODE:
        stop(
            f"code_of({script!r}): no scripts/{script}.py; name the rule's script without "
            "folder and .py"
        )
    return SCRIPT_CODE[script]


def environments():
    """The env specs in envs/: one fingerprint each."""
    return sorted(path.stem for path in Path(SOURCE, "envs").glob("*.yaml"))


def config_digest():
    """The config as validated, defaults filled in (a workflow's validation writes them into
    config, as Snakemake's own validate() does), without the verify section: how outputs are
    compared changes no output, so it cannot make references stale. Names the references.
    """
    return canonical_digest(
        {key: value for key, value in config.items() if key != "verify"}
    )


def references_folder():
    """The config's verify.references: from the workflow's folder unless absolute."""
    return SOURCE / settings["verify"]["references"]


def reference_files():
    """Every file of this config's references: blessing them reruns the comparison."""
    folders = config_folders(references_folder(), config_digest())
    return sorted(
        os.path.relpath(p)
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file()
    )


def lock_files():
    """The locks that define the environment profile (host lock, env specs and pins)."""
    candidates = [SOURCE / HOST_LOCK, *(SOURCE / "envs").glob("*")]
    return sorted(os.path.relpath(p) for p in candidates if p.is_file())


# The bookkeeping rules' helpers (verify.smk).


def bookkeeping_env():
    """The workflow's envs/base.yaml, as a path from this folder: the bookkeeping rules' env."""
    spec = Path(SOURCE, "envs", "base.yaml")
    if not spec.is_file():
        stop(
            "envs/base.yaml: missing; seedlock's checksum and verify rules run in it: an env "
            "with python, pyyaml and jsonschema, locked like every env (seedlock lock base)"
        )
    return os.path.relpath(spec, TOOLCHAIN_RULES)


def env_spec(wildcards):
    """The env's spec in the workflow's envs/, as a path from the bookkeeping rules' file."""
    return os.path.relpath(
        Path(SOURCE, "envs", f"{wildcards.env}.yaml"), TOOLCHAIN_RULES
    )


def scripts_in_env(wildcards):
    """The scripts of every rule that runs in this env, whose imports the fingerprint follows.
    Evaluated when the job is scheduled, after every rule has been defined."""
    spec = Path(SOURCE, "envs", f"{wildcards.env}.yaml").resolve()
    scripts = set()
    for candidate in workflow.rules:
        if not candidate.script or not isinstance(candidate.conda_env, str):
            continue
        folder = Path(candidate.snakefile).parent
        if (folder / candidate.conda_env).resolve() == spec:
            scripts.add(os.path.relpath(folder / candidate.script))
    return sorted(scripts)


def values_of_wildcards(step):
    """The workflow's wildcard_values(step), if it defines one."""
    values_for = globals().get("wildcard_values")
    return values_for(step) if values_for else {}


def workflow_rules():
    """This workflow's rules under the names its files give them, also when it is used as a
    module (whose rules Snakemake renames); an importing workflow's rules are not among them.
    """
    return own_rules(workflow.rules, rules)


def read_step_graph():
    from seedlock.rule_graph import step_graph, step_outputs

    try:
        own = workflow_rules()
        graph = step_graph(own, values_of_wildcards)
        rules_by_name = {rule.name: rule for rule in own}
        outputs = {
            step: step_outputs(rules_by_name[step], values_of_wildcards)
            for step in graph.steps
        }
    except SeedlockError as error:
        stop(error)
    return graph, outputs


def run_record():
    """What verify records about this run, and bless checks before writing references."""
    return {
        "configfiles": {
            os.path.relpath(path): file_sha256(path) for path in workflow.configfiles
        },
        "config_sha256": config_digest(),
        # Where the workflow's locks and references are, from the working directory.
        "workflow": from_source(),
        # As the config names it: absolute stays absolute, else from the working directory.
        "references": (
            str(references_folder())
            if os.path.isabs(settings["verify"]["references"])
            else os.path.relpath(references_folder())
        ),
        "seeds": settings["seeds"],
        "threads": settings["threads"],
        "verify": settings["verify"],
        "job_environment": fixed_environment(),
        # The verified steps and their upstream steps, read from the rules.
        "steps": STEP_GRAPH.as_dict(),
    }


def audit_every_rule():
    """Every rule that runs code, the ones below included, declares its seed, threads, env, log
    and benchmark; one line naming the first rule that does not, before any job starts.
    """
    from seedlock.rule_audit import audit_rules, thread_key_problems

    own = workflow_rules()
    problems = audit_rules(own)
    problems += thread_key_problems(
        settings["threads"], [rule.name for rule in own], config_source()
    )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        stop(f"{problems[0]}{more}")


def verified():
    """The default target's input: the verdict, and every output that went missing after its
    step was checksummed (call it after including verify.smk, which defines the steps and the
    verify rule). Snakemake reruns a job for a missing output only when a job that needs it
    runs, or when a target names it; named here, a deleted output is rebuilt and verified
    again by the next run. A step not yet checksummed adds nothing: it runs anyway."""
    missing = []
    verified_before = os.path.exists("results/verify/report.json")
    for step in STEP_GRAPH.steps:
        manifest = f"results/checksums/{step}.sha256"
        if os.path.exists(manifest):
            missing += [path for path in STEP_OUTPUTS[step] if not os.path.exists(path)]
        elif verified_before:
            missing.append(manifest)
    if verified_before:
        # The run's own records, which the verdict rests on: rebuilt when deleted.
        records = [
            *rules.verify_report.input.fingerprints,
            rules.run_record.output.record,
        ]
        missing += [path for path in records if not os.path.exists(path)]
    return [*rules.verify.output, *missing]


def undeclared_files():
    """A digest of the files under a step's folder that none of this run's rules declares (a
    copy, an output of another config): a param of the verify report, so that one that appears,
    changes or goes after the last verify makes it run again. Not inputs: Snakemake would try
    to build a leftover whose name a rule's pattern matches, and drop the report when it cannot.
    """
    import hashlib

    declared = {path for outputs in STEP_OUTPUTS.values() for path in outputs}
    digest = hashlib.sha256()
    for step in STEP_GRAPH.steps:
        folder = Path("results", step)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if (
                path.is_file()
                and not is_partial(path.name)
                and str(path) not in declared
            ):
                status = path.stat()
                digest.update(
                    f"{path}\0{status.st_size}\0{status.st_mtime_ns}\n".encode()
                )
    return digest.hexdigest()


def references_digest(names):
    """The digest of this config's references (``names``, from reference_files()), contents
    and links included: a param of the verify report, so that any change to them, even one
    that keeps their times, reruns it."""
    import hashlib

    digest = hashlib.sha256()
    for name in names:
        path = Path(name)
        kind = "link" if path.is_symlink() else "file"
        digest.update(f"{name}\0{kind}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def report_description(path):
    """For Snakemake's report: the page it opens on, the verdict, profile, seeds and config of
    the last run, then the workflow's own description in ``path``. Written under .snakemake/
    by the main process; other processes get ``path`` itself."""
    from seedlock.report_description import description
    from seedlock.writers import write_text

    own = Path(workflow.current_basedir, path)
    if not workflow.is_main_process:
        return str(own)
    page = Path(".snakemake", "seedlock", "report.rst")
    text = description(
        Path("."),
        config,
        [os.path.relpath(name) for name in workflow.configfiles],
        config_digest(),
        own.read_text(encoding="utf-8"),
    )
    page.parent.mkdir(parents=True, exist_ok=True)
    if not page.is_file() or page.read_text(encoding="utf-8") != text:
        write_text(page, text)
    return str(page.resolve())
