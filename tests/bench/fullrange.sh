#!/usr/bin/env bash
# CPU per refused Allocate once every relay port is held (issue 16 item 6): a server with a
# 4,096-port range, ferry-loadgen holding every port, then 300 Allocates from another address
# (all 508), and the server's utime+stime over them divided by 300. Loopback only.
#
#   tests/bench/fullrange.sh [TURNSERVER [LOADGEN [extra turnserver args...]]]
#
# Defaults: build/bin/turnserver and build/bin/ferry-loadgen with the quotas and the reflection
# limit off (one generator address, one user). For a build without those options (7b1c093),
# pass the binaries and no extra arguments: the script then adds none.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TS=${1:-$ROOT/build/bin/turnserver}
LG=${2:-$ROOT/build/bin/ferry-loadgen}
if [ $# -ge 2 ]; then
  shift 2
  EXTRA=("$@")
else
  EXTRA=(--user-quota 0 --total-quota 0 --max-allocations-per-ip 0
         --unauthenticated-response-rate 0)
fi
PORT=$((20000 + RANDOM % 10000))
LOG=$(mktemp /tmp/ferry-fullrange.XXXXXX)
"$TS" -n -L 127.0.0.1 -p $PORT --relay-ip 127.0.0.1 --min-port 40000 --max-port 44095 \
  --allow-loopback-peers --lt-cred-mech --user u:p --realm r --relay-threads 1 --no-tcp \
  ${EXTRA[@]+"${EXTRA[@]}"} >"$LOG" 2>&1 &
PID=$!
HOLD=""
trap 'kill $PID 2>/dev/null || true; [ -n "$HOLD" ] && kill $HOLD 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$LOG" "$LOG".*' EXIT
sleep 1
"$LG" hold -n 4096 -d 90 --server 127.0.0.1:$PORT --source 127.3.9.1 >"$LOG.hold" 2>&1 &
HOLD=$!
for _ in $(seq 1 120); do
  [ "$(ls /proc/$PID/fd | wc -l)" -gt 4096 ] && break
  sleep 0.5
done
sleep 2
cpu() { awk '{print $14 + $15}' /proc/$PID/stat; }
c0=$(cpu)
"$LG" allocate -k 300 -d 60 --server 127.0.0.1:$PORT --source 127.3.9.2 >"$LOG.alloc" 2>&1 || true
c1=$(cpu)
grep -E "attempted=|first_error=" "$LOG.alloc"
awk -v a="$c0" -v b="$c1" -v t="$(getconf CLK_TCK)" \
  'BEGIN {printf "server CPU per refused Allocate: %.3f ms\n", (b - a) / t / 300 * 1000}'
