#!/usr/bin/env bash
# Starts a throwaway one-node Slurm cluster (munge, slurmctld, slurmd) on this
# machine for the tests and benchmarks, and prints the path of its slurm.conf
# (PROCTOR_TEST_SLURM; Slurm's commands read it from SLURM_CONF).
# `bash .ci/slurm.sh stop` stops it. Runs as root; Debian's slurm-wlm and munge.
set -euo pipefail
dir=/tmp/proctor-slurm
conf=$dir/slurm.conf
command -v slurmctld >/dev/null && command -v munged >/dev/null \
  || { echo "Slurm is not installed (apt-get install slurm-wlm munge)" >&2; exit 1; }

stop() {
  for daemon in slurmd slurmctld; do
    [ -f "$dir/$daemon.pid" ] && kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
  done
  pkill -x slurmstepd 2>/dev/null || true
  for _ in $(seq 50); do pgrep -x slurmd >/dev/null || pgrep -x slurmctld >/dev/null || break; sleep 0.1; done
  pkill -9 -x slurmd 2>/dev/null || true; pkill -9 -x slurmctld 2>/dev/null || true
}
if [ "${1:-start}" = stop ]; then stop; exit 0; fi
stop
rm -rf "$dir"
mkdir -p "$dir/state" "$dir/spool"

# munge: one key, the daemon as its own user (no systemd here).
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n </dev/null >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi

host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat >"$conf" <<EOF
ClusterName=proctor-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=1
SchedulerParameters=sched_interval=1
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=proctor Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || { echo "Slurm did not come up (node $host is '${state:-unknown}'); see $dir/*.log" >&2; exit 1; }
echo "$conf"
