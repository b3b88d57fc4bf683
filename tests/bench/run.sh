#!/usr/bin/env bash
# Ferry's benchmarks (method: /work/shared/docs/BENCHMARKING.md, results: BENCHMARKS.md).
#
#   tests/bench/run.sh [--quick] [--build-dir DIR] [--rounds N] [--seconds D] [--rate PPS]
#                      [--jobs N]
#
# Runs the bare relay (tests/bench/bare_relay.cc), Ferry and coturn in turn, interleaved: in
# each round (5 by default), every figure is measured on bare, Ferry, coturn one after the
# other, each server started fresh for its window, pinned to CPU 0, ferry-loadgen to CPU 1.
# Server CPU is utime+stime of the whole process (all threads) from /proc/PID/stat over the
# window (ferry-loadgen --sync pauses at the window's edges while it is read); RSS is VmRSS
# from /proc/PID/status. Prints a markdown table of ratios (min / median / max over the
# rounds), then the absolute figures; raw output stays in /tmp/ferry-bench.*. Loopback only.
# --quick: 1 round, 1-second windows, 1,000 held allocations instead of 16,000 (a smoke run,
# not for publishing). Builds DIR (default build/, configured Release if new) first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
ROUNDS=5
SECONDS_PER_WINDOW=3
RATE=50000       # packets/s for the CPU-per-packet windows: below every server's saturation
BIG=16000        # live allocations for the "cost with many allocations" and RSS figures
SMALL=10         # allocations for the other packet figures
ALLOCATES=6000   # Allocate transactions per CPU-per-Allocate window
JOBS=$(nproc)

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) ROUNDS=1; SECONDS_PER_WINDOW=1; BIG=1000; ALLOCATES=500 ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --seconds) SECONDS_PER_WINDOW=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    -h|--help) usage 0 ;;
    *) usage ;;
  esac
  shift
done

# Ports: Ferry, coturn and the bare relay never share one (they run one at a time anyway).
FERRY_PORT=13478; FERRY_MIN=15000; FERRY_MAX=31099
COTURN_PORT=13488; COTURN_MIN=40000; COTURN_MAX=56099
BARE_PORT=13498; BARE_RELAY=13500
COTURN=/usr/bin/turnserver   # not Ferry's build/bin/turnserver: always full paths
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/ferry-bench.XXXXXX)
RESULTS="$OUT/results.txt"
SERVER_PID=""

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() {
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    log "configuring a Release build in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  local type
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
  [ "$type" = Release ] || die "$BUILD is a '$type' build; use --build-dir for a Release one"
  grep -q '^FERRY_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" && die "$BUILD has sanitizers on"
  log "building turnserver ferry-loadgen ferry-bare-relay in $BUILD (-j$JOBS)"
  cmake --build "$BUILD" --target turnserver ferry-loadgen ferry-bare-relay -j"$JOBS" >/dev/null
  FERRY="$BUILD/bin/turnserver"
  LOADGEN="$BUILD/bin/ferry-loadgen"
  BARE="$BUILD/bin/ferry-bare-relay"
}

need_coturn() {
  if ! "$COTURN" --version >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "coturn is not installed ($COTURN); apt-get install coturn"
    log "installing coturn with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq coturn >/dev/null
  fi
  COTURN_VERSION=$("$COTURN" --version 2>/dev/null | head -1)
}

check_machine() {
  [ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the server on CPU 0, the generator on CPU 1"
  command -v taskset >/dev/null || die "taskset (util-linux) is needed"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  [ "$(ulimit -n)" -ge $((BIG + 200)) ] || die "open-file limit $(ulimit -n) < $BIG + 200"
  local p
  for p in $FERRY_PORT $COTURN_PORT $BARE_PORT; do
    if ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then die "UDP port $p is in use"; fi
  done
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start_server bare|ferry|coturn: pinned to CPU 0, then waits until it answers.
start_server() {
  local name=$1 log="$OUT/$1-round$ROUND-$TEST.log"
  case $name in
    bare) taskset -c 0 "$BARE" --listen "127.0.0.1:$BARE_PORT" --relay-port "$BARE_RELAY" \
            --channels "$([ "$TEST" = big ] && echo "$BIG" || echo "$SMALL")" --seconds 3600 \
            >"$log" 2>&1 & ;;
    ferry) taskset -c 0 "$FERRY" "${FERRY_ARGS[@]}" >"$log" 2>&1 & ;;
    coturn) taskset -c 0 "$COTURN" "${COTURN_ARGS[@]}" >"$log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  local _
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "$name exited at start (see $log)"
    if [ "$name" = bare ]; then
      grep -q "^bare relay on" "$log" && return 0
    elif "$LOADGEN" allocate --server "127.0.0.1:$(port_of "$name")" -k 1 -d 2 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  die "$name did not answer (see $log)"
}

stop_server() {
  THREADS[$1]=$(find "/proc/$SERVER_PID/task" -mindepth 1 -maxdepth 1 | wc -l)
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

port_of() {
  case $1 in bare) echo $BARE_PORT ;; ferry) echo $FERRY_PORT ;; coturn) echo $COTURN_PORT ;; esac
}

kv() { grep -o "\b$2=[^ ]*" "$1" | head -1 | cut -d= -f2; }
sum_kv() { grep -o "\b$2=[0-9]*" "$1" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
record() { echo "$SERVER $ROUND $1 $2" >>"$RESULTS"; }

# A fresh generator address per window (127.0.1.2, 127.0.1.3, ...): a client port of an
# earlier window is never reused while a server may still remember its 5-tuple (coturn keeps
# a session for a while after Refresh 0 and answers a new Allocate on it with 437).
next_source() {
  WINDOW=$((WINDOW + 1))
  SOURCE="127.$((1 + WINDOW / 62500)).$((WINDOW / 250 % 250)).$((2 + WINDOW % 250))"
}

# measure NAME LOADGEN-ARGS...: one ferry-loadgen run pinned to CPU 1 with --sync; reads the
# server's RSS at "setup" and "start" and its CPU at "start" and "end". Output in $OUT.
measure() {
  local name=$1 out="$OUT/$SERVER-round$ROUND-$1.txt" line rc=0
  shift
  next_source
  coproc LG { exec timeout 600 taskset -c 1 "$LOADGEN" "$@" --source "$SOURCE" --sync 2>&1; }
  # shellcheck disable=SC2153 # LG_PID is set by coproc
  local lg_pid=$LG_PID
  [ -n "${LG[0]:-}" ] || die "ferry-loadgen $name did not start"
  exec {from_lg}<&"${LG[0]}" {to_lg}>&"${LG[1]}"
  : >"$out"
  while IFS= read -r line <&"$from_lg"; do
    echo "$line" >>"$out"
    case $line in
      "sync setup") RSS_SETUP=$(rss_kb "$SERVER_PID") ;;
      "sync start") RSS_START=$(rss_kb "$SERVER_PID"); CPU_START=$(cpu_ticks "$SERVER_PID") ;;
      "sync end") CPU_END=$(cpu_ticks "$SERVER_PID") ;;
      *) continue ;;
    esac
    echo go >&"$to_lg"
  done
  wait "$lg_pid" || rc=$?
  exec {from_lg}<&- {to_lg}>&-
  # 3: packets were lost, which the saturation and loss windows expect.
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || die "ferry-loadgen $name failed ($rc): see $out"
  MEASURED="$out"
  TICKS=$((CPU_END - CPU_START))
}

# relay_window NAME ARGS...: CPU per delivered packet (µs) of one relay run.
relay_window() {
  local name=$1
  shift
  measure "$name" relay --server "127.0.0.1:$(port_of "$SERVER")" "$@"
  local delivered lost
  delivered=$(kv "$MEASURED" delivered)
  lost=$(sum_kv "$MEASURED" lost)
  [ "$lost" = 0 ] || log "warning: $SERVER $name lost $lost packets (see $MEASURED)"
  record "${name}_lost" "$lost"
  record "$name" "$(awk -v t="$TICKS" -v h="$CLK_TCK" -v d="$delivered" \
    'BEGIN {printf "%.4f", (d > 0 ? t / h * 1e6 / d : 0)}')"
}

# Arguments of the 10-allocation relay windows for $SERVER (the bare relay needs --bare).
small_args() {
  BASE=(-n "$SMALL" -d "$SECONDS_PER_WINDOW")
  if [ "$SERVER" = bare ]; then BASE+=(--bare "$BARE_RELAY"); fi
}

# One function per figure, run on a freshly started $SERVER.
t_cd100_c2p() { small_args; relay_window cd100_c2p "${BASE[@]}" --rate "$RATE" --direction c2p; }
t_cd100_p2c() { small_args; relay_window cd100_p2c "${BASE[@]}" --rate "$RATE" --direction p2c; }
t_cd1000_c2p() {
  small_args
  relay_window cd1000_c2p "${BASE[@]}" --rate "$RATE" --size 1000 --direction c2p
}
t_cd1000_p2c() {
  small_args
  relay_window cd1000_p2c "${BASE[@]}" --rate "$RATE" --size 1000 --direction p2c
}
t_ind100_c2p() {
  small_args
  relay_window ind100_c2p "${BASE[@]}" --rate "$RATE" --direction c2p --framing send
}
t_ind100_p2c() {
  small_args
  relay_window ind100_p2c "${BASE[@]}" --rate "$RATE" --direction p2c --framing send
}

# Saturation (flat out, both directions), then 80% of the rate delivered there: the loss.
t_loss() {
  small_args
  measure saturation relay --server "127.0.0.1:$(port_of "$SERVER")" "${BASE[@]}" --rate 0
  local sat
  sat=$(kv "$MEASURED" delivered_pps)
  record saturation_pps "$sat"
  record saturation_loss_pct "$(loss_pct "$MEASURED")"
  measure loss80 relay --server "127.0.0.1:$(port_of "$SERVER")" "${BASE[@]}" \
    --rate $((sat * 8 / 10))
  record loss80_lost "$(sum_kv "$MEASURED" lost)"
  record loss80_pct "$(loss_pct "$MEASURED")"
}

loss_pct() {
  awk -v l="$(sum_kv "$1" lost)" -v s="$(sum_kv "$1" sent)" \
    'BEGIN {printf "%.4f", (s ? 100 * l / s : 0)}'
}

# BIG live allocations (a permission and a channel each): RSS per 1,000, and CPU per packet
# with traffic spread over all of them. Left to the server's exit (--keep): no teardown.
t_big() {
  local bare=()
  [ "$SERVER" = bare ] && bare=(--bare "$BARE_RELAY")
  relay_window big_c2p -n "$BIG" --rate "$RATE" -d "$SECONDS_PER_WINDOW" --direction c2p --keep \
    "${bare[@]}"
  # The bare relay's memory says nothing about TURN state; its CPU with BIG mappings tells how
  # much of the BIG/SMALL ratio is the kernel's (a socket and a destination per packet).
  [ "$SERVER" = bare ] && return
  record rss_mb_per_1000 "$(awk -v a="$RSS_SETUP" -v b="$RSS_START" -v n="$BIG" \
    'BEGIN {printf "%.3f", (b - a) / 1024 / (n / 1000)}')"
}

# Full Allocates (401 + authenticated Allocate), kept: CPU per Allocate in µs.
t_allocate() {
  measure allocate allocate --server "127.0.0.1:$(port_of "$SERVER")" -k "$ALLOCATES" --keep \
    -d 120
  record alloc_rate "$(kv "$MEASURED" rate | tr -d '/s')"
  record alloc_cpu_us "$(awk -v t="$TICKS" -v h="$CLK_TCK" -v n="$(kv "$MEASURED" ok)" \
    'BEGIN {printf "%.3f", (n > 0 ? t / h * 1e6 / n : 0)}')"
}

# One figure on each server in turn (bare, Ferry, coturn), each started fresh for it: the
# windows compared are seconds apart, which keeps the machine's drift out of the ratios.
run_test() {
  TEST=$1
  log "round $ROUND/$ROUNDS: $TEST"
  for SERVER in bare ferry coturn; do
    if [ "$SERVER" = bare ]; then
      case $TEST in ind100_*|allocate) continue ;; esac
    fi
    start_server "$SERVER"
    "t_$TEST"
    stop_server "$SERVER"
  done
}

machine() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
    "kernel $(uname -r), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM"
  echo "- Ferry: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown)," \
    "$FERRY ${FERRY_ARGS[*]} (${THREADS[ferry]} threads)"
  echo "- coturn $COTURN_VERSION: $COTURN ${COTURN_ARGS[*]} (${THREADS[coturn]} threads)"
  echo "- bare relay: $BARE --listen 127.0.0.1:$BARE_PORT --relay-port $BARE_RELAY --channels $SMALL"
  echo "- servers on CPU 0, ferry-loadgen on CPU 1; $ROUNDS round(s) of bare, Ferry, coturn;" \
    "${SECONDS_PER_WINDOW}-s windows; $RATE packets/s; $SMALL allocations (big: $BIG);" \
    "$ALLOCATES Allocates per window; CLK_TCK $CLK_TCK"
  echo "- raw output: $OUT"
}

main() {
  build
  need_coturn
  check_machine
  FERRY_ARGS=(-n -L 127.0.0.1 -p "$FERRY_PORT" --relay-ip 127.0.0.1 --min-port "$FERRY_MIN"
    --max-port "$FERRY_MAX" --allow-loopback-peers --lt-cred-mech --user u:p --realm r
    --relay-threads 1
    # One load generator address and user send thousands of Allocates: coturn has no limit
    # on unauthenticated answers and no quotas by default, so Ferry's are off too for a
    # like-for-like comparison.
    --unauthenticated-response-rate 0 --user-quota 0 --total-quota 0 --max-allocations-per-ip 0)
  COTURN_ARGS=(-n --no-cli --listening-ip 127.0.0.1 --listening-port "$COTURN_PORT"
    --relay-ip 127.0.0.1 --allow-loopback-peers --lt-cred-mech --user u:p --realm r --no-tls
    --no-dtls --min-port "$COTURN_MIN" --max-port "$COTURN_MAX" --relay-threads 1
    --log-file stdout --simple-log --pidfile "$OUT/coturn.pid")
  declare -gA THREADS=()
  WINDOW=0
  : >"$RESULTS"
  local started=$SECONDS
  local t
  for ROUND in $(seq 1 "$ROUNDS"); do
    for t in cd100_c2p big cd100_p2c cd1000_c2p cd1000_p2c ind100_c2p ind100_p2c loss allocate; do
      run_test "$t"
    done
  done
  log "done in $((SECONDS - started)) s; raw results in $RESULTS"
  echo
  machine
  echo
  awk -v big="$BIG" -v small="$SMALL" -f "$(dirname "$0")/summarize.awk" "$RESULTS"
}

main
