# seedlock's bookkeeping rules for any workflow: checksums of every step's outputs, fingerprints
# of every env, and the comparison with the reference profile (see seedlock/verify.py for the
# classes and the exit status). Include it after every step rule, with common.smk included
# first: a rule whose outputs live under results/<rule>/ is a verified step, with its upstream
# steps read from the rules' inputs (seedlock/rule_graph.py). A workflow whose step outputs name
# wildcards defines wildcard_values(step) before this include: {wildcard: [values]}.


BOOKKEEPING_ENV = bookkeeping_env()
# This config's references: the verify report's inputs, and their digest one of its params.
REFERENCE_FILES = reference_files()
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
        # The workflow's folder, from the working directory: where its own modules come from.
        workflow=from_source(),
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
        references=REFERENCE_FILES,
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
        # The verify rule's output: removed first, so that no earlier verdict outlives a
        # verification that could not be made.
        stale_verdict="results/verify/verdict.txt",
        references=references_digest(REFERENCE_FILES),
        undeclared=undeclared_files(),
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
