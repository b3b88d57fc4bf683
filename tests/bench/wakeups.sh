#!/usr/bin/env bash
# Peer->client wake-ups: the bare relay against Ferry (and, with --other, a second turnserver
# build, e.g. one with a patch from tests/bench/experiments/ applied), interleaved.
#
#   tests/bench/wakeups.sh [--build-dir DIR] [--other PATH] [--rounds N] [--perf]
#
# Each round runs every server in turn, pinned to CPU 0 (ferry-loadgen on CPU 1), for a 4-s
# window of 100-byte ChannelData peer->client at 50,000 packets/s over 10 allocations, and
# prints the server's CPU per packet (utime+stime of all threads) and its context switches
# (voluntary + involuntary, all threads, from /proc/PID/task/*/status) per 1,000 packets.
# --perf also records each server of the last round with `perf record -g -e cpu-clock` and
# prints its top kernel/user symbols (needs Debian linux-perf). Loopback only; BENCHMARKS.md
# "Reading the results" explains what this shows.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
OTHER=""
ROUNDS=6
PERF=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --other) OTHER=$(realpath -m "$2"); shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --perf) PERF=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--build-dir DIR] [--other PATH] [--rounds N] [--perf]" >&2; exit 2 ;;
  esac
  shift
done

[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target turnserver ferry-loadgen ferry-bare-relay -j"$(nproc)" >/dev/null
LOADGEN="$BUILD/bin/ferry-loadgen"
OUT=$(mktemp -d /tmp/ferry-wakeups.XXXXXX)
PID=""
cleanup() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/ctxt_switches/ {n += $2} END {print n + 0}'
}

servers=(bare ferry)
[ -n "$OTHER" ] && servers+=(other)

start() {
  local turn="$BUILD/bin/turnserver"
  case $1 in
    bare) taskset -c 0 "$BUILD/bin/ferry-bare-relay" --listen 127.0.0.1:13698 --relay-port 13700 \
            --channels 10 >"$OUT/$1.log" 2>&1 & ;;
    other) turn=$OTHER ;&
    ferry) taskset -c 0 "$turn" -n -L 127.0.0.1 -p 13678 --relay-ip 127.0.0.1 --min-port 35000 \
             --max-port 35999 --allow-loopback-peers --lt-cred-mech --user u:p --realm r \
             --relay-threads 1 --no-stdout-log >"$OUT/$1.log" 2>&1 & ;;
  esac
  PID=$!
  sleep 0.5
}

printf '%-6s %-6s %14s %22s\n' round server "CPU us/packet" "switches/1000 packets"
for round in $(seq 1 "$ROUNDS"); do
  for s in "${servers[@]}"; do
    start "$s"
    args=(relay -n 10 -d 4 --rate 50000 --direction p2c --size 100
          --source "127.0.$((40 + round)).$((10 + ${#s}))")
    if [ "$s" = bare ]; then
      args+=(--server 127.0.0.1:13698 --bare 13700)
    else
      args+=(--server 127.0.0.1:13678)
    fi
    t0=$(ticks "$PID"); c0=$(switches "$PID")
    if [ "$PERF" = 1 ] && [ "$round" = "$ROUNDS" ]; then
      taskset -c 1 "$LOADGEN" "${args[@]}" >"$OUT/$s.lg" 2>&1 &
      lg=$!
      sleep 0.5
      perf record -q -e cpu-clock -F 4000 -g -p "$PID" -o "$OUT/$s.perf" -- sleep 3 2>/dev/null
      wait "$lg"
    else
      taskset -c 1 "$LOADGEN" "${args[@]}" >"$OUT/$s.lg" 2>&1
    fi
    t1=$(ticks "$PID"); c1=$(switches "$PID")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    d=$(grep -o '^delivered=[0-9]*' "$OUT/$s.lg" | cut -d= -f2)
    awk -v r="$round" -v s="$s" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v c=$((c1 - c0)) \
      -v d="$d" 'BEGIN {printf "%-6s %-6s %14.2f %22.1f\n", r, s, t / hz * 1e6 / d, c * 1000 / d}'
  done
done
if [ "$PERF" = 1 ]; then
  for s in "${servers[@]}"; do
    echo "== $s: top symbols (perf record -g -e cpu-clock, last round)"
    perf report -i "$OUT/$s.perf" --no-children --sort sym --stdio -q -g none 2>/dev/null |
      grep "%" | head -12 || true
  done
fi
echo "raw output: $OUT"
