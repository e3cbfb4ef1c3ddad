# Helpers shared by the rules: config validation, seeds, threads and target lists.
# No rules here.
import os
import sys
from pathlib import Path

# The workflow's own seedlock package, not an installed copy.
sys.path.insert(0, workflow.basedir)

from seedlock import compute
from seedlock.checksums import file_sha256
from seedlock.code_digest import code_digests
from seedlock.config import (
    ANALYSES,
    analysis_scoring,
    experiment_task,
    selected_models,
    validate_config,
)
from seedlock.errors import SeedlockError
from seedlock.profiles import HOST_LOCK, REFERENCES, canonical_digest
from seedlock.rule_graph import expand_pattern
from seedlock.runtime import fixed_environment
from seedlock.seeds import job_seed, replicate_ids

# Inherited by every job this Snakemake process starts, locally or through a cluster executor.
try:
    os.environ.update(fixed_environment())
except SeedlockError as error:
    print(f"seedlock: error: {error}", file=sys.stderr)
    sys.exit(2)


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    env=r"[A-Za-z0-9_-]+",
    model=r"[A-Za-z0-9][A-Za-z0-9_-]*",
    replicate=r"\d+",


def check_locks_before_any_job():
    """With --use-conda, stop before any job if an env's lock or pin is stale or tampered with:
    Snakemake would otherwise build that env from the stale pin, or fall back to the spec.
    """
    from snakemake.settings.types import DeploymentMethod

    if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
        return
    from seedlock.fingerprint import conda_subdir
    from seedlock.locks import check_locks, specs_of

    root = Path(workflow.basedir)
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
        variables, notes = compute.plan(experiment["compute_baseline"], config_source())
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        sys.exit(2)
    for note in notes:
        print(f"seedlock: note: {note}", file=sys.stderr)
    compute.apply(variables)
    # The param: what the pins are, without the tunables of the machine's own that they keep.
    return {
        name: value for name, value in variables.items() if name != "GLIBC_TUNABLES"
    }


def config_source():
    """How the config files are named in error messages: relative to the workflow folder."""
    names = [os.path.relpath(path) for path in workflow.configfiles]
    return ", ".join(names) or "config"


# Remembers a config whose estimators, scorers and splitters passed the import checks.
CHECKED = Path(".snakemake", "seedlock", "checked-models")


def validated_experiment():
    """The config with defaults filled in; exits with one clear line if it is invalid.
    Models that passed the import check with the same packages are not imported again.
    """
    try:
        return validate_config(
            config,
            config_source(),
            Path.cwd(),
            checked_models=CHECKED,
        )
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        sys.exit(2)


def validated_task():
    """The experiment's task; the check behind it ran (or was remembered) in validation."""
    try:
        return experiment_task(experiment, config_source(), CHECKED)
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        sys.exit(2)


def dataset_files(wildcards):
    """A user CSV is an input of its prepare_data job, so editing it reruns what depends on it."""
    spec = experiment["datasets"][wildcards.dataset]
    return {"csv": spec["path"]} if spec["source"] == "csv" else {}


def seed_for(step):
    """A params function: the job's seed, from the root seed, the step and its wildcards."""
    return lambda wildcards: job_seed(
        experiment["seeds"], step, dict(wildcards.items())
    )


def code_of(script):
    """A params value: the digest of the seedlock modules scripts/<script>.py imports. Snakemake
    watches a rule's script but not what it imports; as a param, a change to one of those
    modules reruns the rule (the params rerun trigger), and leaves other rules alone."""
    if script not in SCRIPT_CODE:
        print(
            f"seedlock: error: code_of({script!r}): no scripts/{script}.py; name the rule's "
            "script without folder and .py",
            file=sys.stderr,
        )
        sys.exit(2)
    return SCRIPT_CODE[script]


# Every script's digest, taken in one pass when the workflow is read.
SCRIPT_CODE = {
    path.stem: digest
    for path, digest in code_digests(
        sorted(Path(workflow.basedir, "scripts").glob("*.py")), Path(workflow.basedir)
    ).items()
}


# The figures rule's second figure, by task.
DETAIL_FIGURE = {
    "classification": "confusion_matrices",
    "regression": "regression_diagnostics",
}


def threads_for(rule):
    """Threads the config declares for a rule, else its default: they, not --cores, set the
    job's thread pools."""
    threads = experiment["threads"]
    return threads.get(rule, threads["default"])


def datasets():
    return sorted(experiment["datasets"])


def models():
    return sorted(experiment["models"])


def replicates():
    return replicate_ids(experiment["seeds"])


def wildcard_values(step):
    """Every value of each wildcard ``step``'s outputs name: its outputs for this config are
    its output patterns filled with every combination (see seedlock/rule_graph.py). The
    analyses the config limits to some models (permutation_test, learning_curve) have those.
    """
    values = {"dataset": datasets(), "model": models(), "replicate": replicates()}
    if step in ANALYSES:
        values["model"] = selected_models(experiment, step)
    return values


def outputs_of(step, pattern):
    """Every file ``pattern`` (an output of ``step``) names for this config."""
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    values = wildcard_values(step)
    return [path for each in patterns for path in expand_pattern(each, values)]


def per_replicate(pattern):
    """``pattern`` expanded over every dataset, model and replicate."""
    return outputs_of("train", pattern)


def environments():
    """The env specs in envs/: one fingerprint each."""
    return sorted(path.stem for path in Path(workflow.basedir, "envs").glob("*.yaml"))


def env_spec(wildcards):
    return f"../envs/{wildcards.env}.yaml"


def scripts_in_env(wildcards):
    """The scripts of every rule that runs in this env, whose imports the fingerprint follows.
    Evaluated when the job is scheduled, after every rule has been defined."""
    spec = Path(workflow.basedir, "envs", f"{wildcards.env}.yaml").resolve()
    scripts = set()
    for candidate in workflow.rules:
        if not candidate.script or not isinstance(candidate.conda_env, str):
            continue
        folder = Path(candidate.snakefile).parent
        if (folder / candidate.conda_env).resolve() == spec:
            scripts.add(os.path.relpath(folder / candidate.script, workflow.basedir))
    return sorted(scripts)


def reference_files():
    """Every file under references/: blessing new references reruns the comparison."""
    base = Path(workflow.basedir, REFERENCES)
    return sorted(
        str(p.relative_to(workflow.basedir)) for p in base.rglob("*") if p.is_file()
    )


def lock_files():
    """The locks that define the environment profile (host lock, env specs and pins)."""
    candidates = [
        Path(workflow.basedir, HOST_LOCK),
        *Path(workflow.basedir, "envs").iterdir(),
    ]
    return sorted(
        str(p.relative_to(workflow.basedir)) for p in candidates if p.is_file()
    )


def run_record():
    """What verify records about this run, and bless checks before writing references."""
    return {
        "configfiles": {
            os.path.relpath(path): file_sha256(path) for path in workflow.configfiles
        },
        "config_sha256": canonical_digest(experiment),
        "seeds": experiment["seeds"],
        "threads": experiment["threads"],
        "job_environment": fixed_environment(),
        # The verified steps and their upstream steps, read from the rules (rules/verify.smk).
        "steps": STEP_GRAPH.as_dict(),
    }


def read_step_graph():
    from seedlock.rule_graph import step_graph, step_outputs

    try:
        graph = step_graph(workflow.rules, wildcard_values)
        rules_by_name = {rule.name: rule for rule in workflow.rules}
        outputs = {
            step: step_outputs(rules_by_name[step], wildcard_values)
            for step in graph.steps
        }
    except SeedlockError as error:
        print(f"seedlock: error: {error}", file=sys.stderr)
        sys.exit(2)
    return graph, outputs


def audit_every_rule():
    """Every rule that runs code, the ones above included, declares its seed, threads, env, log
    and benchmark; one line naming the first rule that does not, before any job starts.
    """
    from seedlock.rule_audit import audit_rules, thread_key_problems

    problems = audit_rules(workflow.rules)
    problems += thread_key_problems(
        experiment["threads"], [rule.name for rule in workflow.rules], config_source()
    )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        print(f"seedlock: error: {problems[0]}{more}", file=sys.stderr)
        sys.exit(2)
