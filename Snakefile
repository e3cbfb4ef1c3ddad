# seedlock: a reproducible machine-learning benchmark. This file is the table of contents;
# the rules live in rules/, their code in scripts/ and the seedlock package.
from snakemake.utils import min_version

min_version("9.0")


# A --configfile replaces config.yaml instead of being merged into it, so a small config
# cannot inherit datasets and models it does not list.
if not workflow.configfiles:

    configfile: "config.yaml"


include: "rules/common.smk"


# Stops the run with one line naming the key, before any job starts.
experiment = validated_experiment()
# classification or regression, from the models' estimators.
task = validated_task()
check_locks_before_any_job()
# The BLAS kernel and SIMD paths every job computes with; a param of every rule.
compute_pins = pinned_compute_baseline()


include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/permutation_test.smk"
include: "rules/learning_curve.smk"
include: "rules/report.smk"
include: "rules/verify.smk"


# The final target: every output, checksummed and verified against the reference profile.
rule all:
    default_target: True
    input:
        rules.verify.output,
