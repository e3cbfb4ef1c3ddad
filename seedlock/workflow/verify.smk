# seedlock's bookkeeping rules for any workflow: checksums of every step's outputs, fingerprints
# of every env, and the comparison with the reference profile (see seedlock/verify.py for the
# classes and the exit status). Include it after every step rule, with common.smk included
# first: a rule whose outputs live under results/<rule>/ is a verified step, with its upstream
# steps read from the rules' inputs (seedlock/rule_graph.py). A workflow whose step outputs name
# wildcards defines wildcard_values(step) before this include: {wildcard: [values]}.


def _bookkeeping_env():
    """The workflow's envs/base.yaml, as a path from this file: the env of the rules below."""
    spec = Path(workflow.basedir, "envs", "base.yaml")
    if not spec.is_file():
        stop(
            "envs/base.yaml: missing; seedlock's checksum and verify rules run in it: an env "
            "with python, pyyaml and jsonschema, locked like every env (seedlock lock base)"
        )
    return os.path.relpath(spec, workflow.current_basedir)


BOOKKEEPING_ENV = _bookkeeping_env()
ENVS = os.path.relpath(Path(workflow.basedir, "envs"), workflow.current_basedir)


def env_spec(wildcards):
    return f"{ENVS}/{wildcards.env}.yaml"


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


def values_of_wildcards(step):
    """The workflow's wildcard_values(step), if it defines one."""
    values_for = globals().get("wildcard_values")
    return values_for(step) if values_for else {}


def read_step_graph():
    from seedlock.rule_graph import step_graph, step_outputs

    try:
        graph = step_graph(workflow.rules, values_of_wildcards)
        rules_by_name = {rule.name: rule for rule in workflow.rules}
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
        # The config as validated, defaults filled in (a workflow's validation writes them
        # into config, as Snakemake's own validate() does).
        "config_sha256": canonical_digest(config),
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

    problems = audit_rules(workflow.rules)
    problems += thread_key_problems(
        settings["threads"], [rule.name for rule in workflow.rules], config_source()
    )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        stop(f"{problems[0]}{more}")


STEP_GRAPH, STEP_OUTPUTS = read_step_graph()


for step in STEP_GRAPH.steps:

    rule:
        name:
            f"checksum_{step}"
        input:
            STEP_OUTPUTS[step],
        output:
            manifest=f"results/checksums/{step}.sha256",
        log:
            f"logs/checksum_{step}/checksum_{step}.log",
        benchmark:
            f"logs/benchmarks/checksum_{step}/checksum_{step}.tsv"
        localrule: True
        conda:
            BOOKKEEPING_ENV
        threads: threads_for("checksum")
        params:
            code=TOOLCHAIN_CODE["checksum"],
            compute=compute_pins,
            seed=seed_for(f"checksum_{step}"),
            threads=threads_for("checksum"),
        script:
            "scripts/checksum.py"


rule environment:
    input:
        # A relock changes what is installed: take the fingerprint again.
        locks=lock_files(),
    output:
        fingerprint="results/environment/{env}.json",
    log:
        "logs/environment/{env}.log",
    benchmark:
        "logs/benchmarks/environment/{env}.tsv"
    conda:
        env_spec
    threads: threads_for("environment")
    params:
        code=TOOLCHAIN_CODE["environment"],
        scripts=scripts_in_env,
        compute=compute_pins,
        seed=seed_for("environment"),
        threads=threads_for("environment"),
    script:
        "scripts/environment.py"


rule run_record:
    output:
        record="results/run_record/run.json",
    log:
        "logs/run_record/run_record.log",
    benchmark:
        "logs/benchmarks/run_record/run_record.tsv"
    localrule: True
    conda:
        BOOKKEEPING_ENV
    threads: threads_for("verify")
    params:
        code=TOOLCHAIN_CODE["run_record"],
        record=run_record(),
        compute=compute_pins,
        seed=seed_for("run_record"),
        threads=threads_for("verify"),
    script:
        "scripts/run_record.py"


rule verify_report:
    input:
        record=rules.run_record.output.record,
        manifests=expand("results/checksums/{step}.sha256", step=STEP_GRAPH.steps),
        fingerprints=expand(rules.environment.output.fingerprint, env=environments()),
        references=reference_files(),
        locks=lock_files(),
    output:
        json="results/verify/report.json",
        html=report(
            "results/verify/report.html",
            category="Verification",
            caption="report/verify.rst",
        ),
    log:
        "logs/verify_report/verify_report.log",
    benchmark:
        "logs/benchmarks/verify_report/verify_report.tsv"
    localrule: True
    conda:
        BOOKKEEPING_ENV
    threads: threads_for("verify")
    params:
        code=TOOLCHAIN_CODE["verify_report"],
        settings=settings["verify"],
        compute=compute_pins,
        seed=seed_for("verify_report"),
        threads=threads_for("verify"),
    script:
        "scripts/verify_report.py"


rule verify:
    input:
        report=rules.verify_report.output.json,
    output:
        verdict="results/verify/verdict.txt",
    log:
        "logs/verify/verify.log",
    benchmark:
        "logs/benchmarks/verify/verify.tsv"
    localrule: True
    conda:
        BOOKKEEPING_ENV
    threads: threads_for("verify")
    params:
        code=TOOLCHAIN_CODE["verify"],
        compute=compute_pins,
        seed=seed_for("verify"),
        threads=threads_for("verify"),
    script:
        "scripts/verify.py"


# Every manifest: what seedlock probe builds in each of its runs.
rule checksums:
    input:
        manifests=expand("results/checksums/{step}.sha256", step=STEP_GRAPH.steps),
        record=rules.run_record.output.record,


audit_every_rule()
