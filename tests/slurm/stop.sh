#!/usr/bin/env bash
# Stop the test cluster that tests/slurm/start.sh started, by its PIDs.
set -uo pipefail
STATE=/var/lib/seedlock-slurm
for daemon in slurmd slurmctld; do
    if [ -s "$STATE/$daemon.pid" ]; then
        kill "$(cat "$STATE/$daemon.pid")" 2>/dev/null || true
    fi
done
pkill -x munged 2>/dev/null || true
echo "slurm: stopped"
