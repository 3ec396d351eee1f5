#!/usr/bin/env bash
# A real single-node Slurm for the cluster tests (issue 15), without systemd:
#   bash .ci/slurm.sh start   installs the packages when missing, writes a minimal slurm.conf,
#                             starts munged, slurmctld and slurmd, waits for the node to be idle
#   bash .ci/slurm.sh stop    stops them by the PIDs recorded at start (never by name)
# State, logs and PIDs live in $KERNELLAB_SLURM_DIR (default /tmp/kernellab-slurm). Needs root.
# Order matters: slurmd started before munged hangs.
set -euo pipefail
state=${KERNELLAB_SLURM_DIR:-/tmp/kernellab-slurm}
cmd=${1:-}

stop() {
  # Reverse order: the daemons that use munge first.
  for name in slurmd slurmctld munged; do
    local file="$state/$name.pid"
    [ -f "$file" ] || continue
    local pid
    pid=$(cat "$file")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
  done
  echo "slurm: stopped"
}

start() {
  if [ "$(id -u)" != 0 ]; then echo "slurm: needs root (it writes /etc/slurm and runs the daemons)" >&2; exit 1; fi
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm: installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm slurmctld slurmd slurm-client munge >/dev/null
  fi
  stop >/dev/null 2>&1 || true
  rm -rf "$state"
  mkdir -p "$state"/{ctld,d,log} /run/munge /etc/slurm /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024))
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=kernellab-ci
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmdSpoolDir=$state/d
StateSaveLocation=$state/ctld
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmUser=root
MaxArraySize=1001
KillWait=20
MinJobAge=600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
CONF
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 1 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$state/munged.pid"
  slurmctld -i
  for _ in $(seq 1 50); do [ -s "$state/slurmctld.pid" ] && break; sleep 0.1; done
  sleep 1
  slurmd
  for _ in $(seq 1 50); do [ -s "$state/slurmd.pid" ] && break; sleep 0.1; done
  for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
      echo "slurm: up (munged $(cat "$state/munged.pid"), slurmctld $(cat "$state/slurmctld.pid"), slurmd $(cat "$state/slurmd.pid"))"
      return 0
    fi
    sleep 0.5
  done
  echo "slurm: the node did not become idle; logs in $state/log" >&2
  sinfo >&2 || true
  tail -20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
