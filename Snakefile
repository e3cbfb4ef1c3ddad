# seedlock: a reproducible machine-learning benchmark. This file is the table of contents;
# the experiment's rules live in rules/, their code in scripts/ and the experiment package; the
# toolchain's helpers and bookkeeping rules (checksums, verify) come with the seedlock package.
import os

from snakemake.utils import min_version

min_version("9.0")


# A --configfile replaces config.yaml instead of being merged into it, so a small config
# cannot inherit datasets and models it does not list.
if not workflow.configfiles:

    configfile: os.path.join(workflow.current_basedir, "config.yaml")


# Seeds, threads, the pinned compute baseline and the job environment, for every rule. By path:
# the checkout's own seedlock, also in the copies the probe runs.
include: "seedlock/workflow/common.smk"
include: "rules/common.smk"


# Stops the run with one line naming the key, before any job starts.
experiment = validated_experiment()
# classification or regression, from the models' estimators.
task = validated_task()


# Snakemake's report opens on the verdict, the profile, the seeds and the config.
report: report_description("report/workflow.rst")


include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/permutation_test.smk"
include: "rules/learning_curve.smk"
include: "rules/report.smk"
# Last: a checksum rule for every step above, the run record, verify.
include: "seedlock/workflow/verify.smk"


# The final target: every output, checksummed and verified against the reference profile (an
# output deleted since its step was checksummed is named here, so it is rebuilt).
rule all:
    default_target: True
    input:
        verified(),
