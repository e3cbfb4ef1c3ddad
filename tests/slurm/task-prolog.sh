#!/bin/sh
# TaskProlog of the test cluster (tests/slurm/start.sh installs it and names it in slurm.conf).
# slurmd runs it as the job's user, with the task's environment, before every task of every job:
# the batch script and each srun step. What it prints as "export NAME=VALUE" is set in that
# task's environment; what it prints as "print TEXT" goes to the task's output (the job's log).
#
# It emulates a cluster whose nodes are of different kinds, each with its own outer value of
# variables that some sites set per node type (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE). Only jobs
# submitted from a folder that holds the control file .seedlock-node-types are touched: the test
# writes it (tests/slurm/test_slurm.py), so every other job runs as before. Each line of the file
# is a node type: its name, then NAME=VALUE words. Job J runs on type (J mod number of types),
# counting from 0, so that consecutive jobs land on different kinds of node, and every step of
# one job on the same kind.
control="${SLURM_SUBMIT_DIR:-}/.seedlock-node-types"
if [ -z "${SLURM_SUBMIT_DIR:-}" ] || [ -z "${SLURM_JOB_ID:-}" ] || [ ! -f "$control" ]; then
    exit 0
fi
types=$(grep -c . "$control")
[ "$types" -gt 0 ] || exit 0
set -f  # the words are split, never expanded as file names
# shellcheck disable=SC2046  # one node type's words, split on purpose
set -- $(grep . "$control" | sed -n "$((SLURM_JOB_ID % types + 1))p")
name=$1
shift
set_=""
was=""
for pair in "$@"; do
    variable=${pair%%=*}
    case $variable in
        *[!A-Za-z0-9_]* | "") continue ;;
    esac
    # The value the task would have had without this node's environment.
    eval "before=\${$variable-unset}"
    set_="$set_ $pair"
    was="$was $variable=$before"
    echo "export $pair"
done
echo "export SEEDLOCK_TEST_NODE_TYPE=$name"
echo "print seedlock-test-node: job=$SLURM_JOB_ID step=${SLURM_STEP_ID:-batch} type=$name$set_ was:$was"
exit 0
