#!/usr/bin/env bash
# Stop the test cluster that tests/slurm/start.sh started, by its PIDs, and wait until it is gone.
set -uo pipefail
STATE=/var/lib/seedlock-slurm
pids=()
for daemon in slurmd slurmctld; do
    if [ -s "$STATE/$daemon.pid" ]; then
        pids+=("$(cat "$STATE/$daemon.pid")")
    fi
done
pids+=($(pgrep -x munged || true))
[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" -eq 0 ] && break
    sleep 1
done
echo "slurm: stopped"
