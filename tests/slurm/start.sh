#!/usr/bin/env bash
# Install (if needed) and start a single-node SLURM cluster on 127.0.0.1, from Debian's packages:
# munged, slurmctld and slurmd, without systemd. Stop it with tests/slurm/stop.sh.
set -euo pipefail

STATE=/var/lib/seedlock-slurm   # PIDs, spool folders and logs of this test cluster
HERE=$(cd "$(dirname "$0")" && pwd)

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge \
        >/dev/null
fi

mkdir -p "$STATE"/{ctld,d,log} /run/munge /etc/slurm
chown munge:munge /run/munge
mkdir -p /var/log/munge /var/lib/munge
chown -R munge:munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key

cpus=$(nproc)
# About 90% of the memory, in MB, for jobs.
memory=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

# The TaskProlog that emulates nodes of different kinds for the jobs of a test that asks for it
# (tests/slurm/task-prolog.sh); a copy, so that slurmd does not depend on this checkout.
install -m 0755 "$HERE/task-prolog.sh" "$STATE/task-prolog.sh"

new_conf=$(mktemp)
cat > "$new_conf" <<CONF
# Written by seedlock's tests/slurm/start.sh: one node, loopback only.
ClusterName=seedlock-test
SlurmctldHost=localhost
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour: the tests check every job of a run after it.
MinJobAge=3600
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
TaskProlog=$STATE/task-prolog.sh
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
changed=0
cmp -s "$new_conf" /etc/slurm/slurm.conf || changed=1
install -m 0644 "$new_conf" /etc/slurm/slurm.conf
rm -f "$new_conf"

started=$SECONDS
# munged runs as its own user, as the Debian service would run it.
pgrep -x munged >/dev/null || runuser -u munge -- munged
# Daemons already running (an earlier start.sh) read the new slurm.conf when told to; the
# TaskProlog is one of the settings that a reconfigure applies to slurmd too.
if [ "$changed" -eq 1 ] && pgrep -x slurmctld >/dev/null; then
    scontrol reconfigure
    echo "slurm: slurm.conf changed; the running daemons reread it"
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd -N localhost

# Ready when the node accepts jobs.
for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
        echo "slurm: up in $((SECONDS - started)) s ($cpus CPUs, ${memory} MB)"
        exit 0
    fi
    sleep 1
done
echo "slurm: the node did not become ready; see $STATE/log" >&2
exit 1
