#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the test suite (the Slurm engine's tests submit real
# jobs to it). Installs munge and slurm-wlm from Debian's packages when missing, writes the
# configuration, starts munged, slurmctld and slurmd without systemd (CI containers have none) and
# waits until the node is idle. Idempotent: when everything is up with this configuration it
# returns in well under a second.
#
# The node offers count-only typed GRES per chip type, backed by stand-in character devices (Slurm
# marks a node INVALID when a typed GRES has no File=, and these runs have no accelerators):
#   SLURM_TEST_GRES="gpu:910b3:2 gpu:a100:2"   name:type:count, one per chip type
#   SLURM_TEST_PARTITION=portal                 the partition the tests' pools use
set -euo pipefail

GRES="${SLURM_TEST_GRES:-gpu:910b3:2 gpu:a100:2}"
PARTITION="${SLURM_TEST_PARTITION:-portal}"
CONF_DIR=/etc/slurm
LOG_DIR=/var/log/slurm
NODE="$(hostname -s)"

say() { echo "slurm-up: $*"; }
node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1; }
# A pid file whose process is that daemon (a stale file's pid may belong to another process by now).
alive() { [ -s "$1" ] && [ "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" = "$(basename "$1" .pid)" ]; }
munge_up() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

if [ "$(id -u)" -ne 0 ]; then
  say "needs root to install and start Slurm (run: sudo $0)"
  exit 1
fi

# 1. Packages (scripts/apt-install.sh is a no-op when they are there).
"$(dirname "$0")/apt-install.sh" munge slurm-wlm

# 2. Configuration. Written to temporary files and only installed when it differs, so an unchanged
#    configuration never restarts a running cluster.
read -r CPUS BOARDS SOCKETS CORES THREADS MEM < <(slurmd -C | head -1 | sed -E \
  's/.*CPUs=([0-9]+) Boards=([0-9]+) SocketsPerBoard=([0-9]+) CoresPerSocket=([0-9]+) ThreadsPerCore=([0-9]+) RealMemory=([0-9]+).*/\1 \2 \3 \4 \5 \6/')
MEM=$((MEM * 8 / 10))  # below the real figure, or slurmd reports the node as having too little memory

types=()
node_gres=()
gres_lines=("AutoDetect=off")
for item in $GRES; do
  IFS=: read -r name type count <<<"$item"
  types+=("$name")
  node_gres+=("$name:$type:$count")
  last=$((count - 1))
  for i in $(seq 0 "$last"); do
    dev="/dev/slurm-$type-$i"
    [ -c "$dev" ] || mknod "$dev" c 1 3  # a stand-in with /dev/null's numbers
  done
  gres_lines+=("NodeName=$NODE Name=$name Type=$type File=/dev/slurm-$type-[0-$last]")
done
gres_types="$(printf '%s\n' "${types[@]}" | sort -u | paste -sd, -)"
node_gres_list="$(IFS=,; echo "${node_gres[*]}")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/slurm.conf" <<EOF
# Written by scripts/slurm-up.sh: a one-node cluster for the portal's tests.
ClusterName=portal
SlurmctldHost=$NODE(127.0.0.1)
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=slurm
SlurmdUser=root
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
# Containers have no systemd-managed cgroups: track processes by parentage, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
SchedulerType=sched/backfill
# Start jobs at submission (the default batches batch-job scheduling up to 3 s).
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=$gres_types
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=300
InactiveLimit=0
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS Boards=$BOARDS SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM Gres=$node_gres_list State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
printf '%s\n' "${gres_lines[@]}" >"$tmp/gres.conf"

changed=0
mkdir -p "$CONF_DIR"
for file in slurm.conf gres.conf; do
  if ! cmp -s "$tmp/$file" "$CONF_DIR/$file"; then
    install -m 0644 "$tmp/$file" "$CONF_DIR/$file"
    changed=1
  fi
done

# 3. Daemons, each started only if it is not running (or restarted when the configuration changed).
mkdir -p "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd /run/munge
chown slurm:slurm "$LOG_DIR" /var/spool/slurmctld
chown munge:munge /run/munge

if ! munge_up; then
  say "starting munged"
  [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key && chown munge:munge /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do munge_up && break; sleep 0.1; done
  munge_up || { say "munged did not start"; exit 1; }
fi

if [ "$changed" -eq 1 ]; then
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    if alive "$pidfile"; then
      say "configuration changed: stopping $(basename "$pidfile" .pid)"
      pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi

if ! alive /run/slurmctld.pid; then
  say "starting slurmctld"
  touch "$LOG_DIR/jobcomp.log" && chown slurm:slurm "$LOG_DIR/jobcomp.log"
  slurmctld
  for _ in $(seq 1 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
if ! alive /run/slurmd.pid; then
  say "starting slurmd"
  slurmd
fi

# 4. The node must come up idle (or already be working on jobs from a run in progress).
for _ in $(seq 1 300); do
  state="$(node_state)"
  case "$state" in
    idle | mixed | allocated | completing) break ;;
    down* | drain* | drained* | invalid*)
      scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.1
done
state="$(node_state)"
case "$state" in
  idle | mixed | allocated | completing) say "node $NODE is $state (partition $PARTITION, GRES $node_gres_list)" ;;
  *)
    say "node $NODE is '${state:-unknown}', not idle; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log"
    scontrol show node "$NODE" 2>&1 | grep -E "State|Reason" || true
    exit 1
    ;;
esac
