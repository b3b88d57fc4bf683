#!/usr/bin/env bash
# Soak benchmark (issue 16): N whole allocation lifecycles against one Ferry turnserver, then
# everything must be back where it started.
#
#   tests/bench/soak.sh [--cycles N] [--build-dir DIR] [--turnserver PATH] [--loadgen PATH]
#                       [--procs P] [--tcp-procs T] [--packets K] [--rss-tolerance-mb MB]
#                       [--max-seconds S] [--settle S] [--keep]
#
# One cycle (ferry-loadgen cycle, tools/loadgen/cycles.h), from a fresh client socket: Allocate
# (401 round trip + authenticated Allocate), CreatePermission, ChannelBind, K packets (default 2)
# client->peer (a Send indication, then ChannelData) and K peer->client, each awaited, Refresh,
# Refresh 0. N cycles (default 1,000,000; or SOAK_CYCLES) are spread over P generator
# processes (default 4), T of them over TCP (default 1), the rest over UDP, run in about 20
# rounds; every process of a round has its own source address 127.0.x.y (TCP's TIME_WAIT
# never runs out of ports). All traffic stays on loopback.
#
# The server: DIR/bin/turnserver (default build/, or --turnserver) on 127.0.0.1 with a random
# listening port and relay range, 2 relay threads, credentials u:p, realm r, quotas and the
# unauthenticated-response limit off, Prometheus metrics on a web port. Recorded before the
# first cycle (after one Allocate + delete that shows the server answers) and again after the
# last one plus --settle seconds (default 3; re-read each second up to 10 s more if needed):
#   - open descriptors (/proc/PID/fd): must be equal
#   - relay ports: UDP sockets of the server bound in the relay range (/proc/net/udp): equal
#   - every gauge of /metrics but uptime and event-loop lag: equal (allocations, permissions,
#     channels, TCP connections, per-user allocations ...)
#   - allocations created = ended, and created and relayed packets = what the generator did
#   - VmRSS: at most --rss-tolerance-mb above (default 8: allocator caches; SOAK_RSS_TOLERANCE_MB)
# then one more UDP and one TCP cycle must succeed, and the server must exit 0 on SIGTERM
# (under ASan that includes LeakSanitizer). An ASan build (detected, or SOAK_SANITIZED=1) gets
# quarantine_size_mb=16 and a default tolerance of 64 MB.
# Exit 0 and a final line "SOAK PASS ..."; otherwise exit 1, "SOAK FAIL: ..." and what did
# not come back. --max-seconds (default 3600; SOAK_MAX_SECONDS) bounds the cycles' time.
# Logs in /tmp/ferry-soak.*: removed after a pass unless --keep.
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
TURNSERVER=""
LOADGEN=""
CYCLES=${SOAK_CYCLES:-1000000}
PROCS=4
TCP_PROCS=1
PACKETS=2
RSS_TOLERANCE_MB=${SOAK_RSS_TOLERANCE_MB:-}
MAX_SECONDS=${SOAK_MAX_SECONDS:-3600}
SETTLE=3
KEEP=0

usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) CYCLES=$2; shift ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --turnserver) TURNSERVER=$2; shift ;;
    --loadgen) LOADGEN=$2; shift ;;
    --procs) PROCS=$2; shift ;;
    --tcp-procs) TCP_PROCS=$2; shift ;;
    --packets) PACKETS=$2; shift ;;
    --rss-tolerance-mb) RSS_TOLERANCE_MB=$2; shift ;;
    --max-seconds) MAX_SECONDS=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage 0 ;;
    *) usage ;;
  esac
  shift
done

TURNSERVER=${TURNSERVER:-$BUILD/bin/turnserver}
LOADGEN=${LOADGEN:-$BUILD/bin/ferry-loadgen}
for n in "$CYCLES" "$PROCS" "$TCP_PROCS" "$PACKETS" "$MAX_SECONDS" "$SETTLE"; do
  [[ "$n" =~ ^[0-9]+$ ]] || usage
done
[ "$CYCLES" -ge 1 ] && [ "$PROCS" -ge 1 ] && [ "$TCP_PROCS" -le "$PROCS" ] || usage
for f in "$TURNSERVER" "$LOADGEN"; do
  [ -x "$f" ] || { echo "soak: $f is missing; build it first (cmake --build DIR --target turnserver ferry-loadgen)" >&2; exit 2; }
done

SANITIZED=${SOAK_SANITIZED:-}
if [ -z "$SANITIZED" ]; then
  SANITIZED=0
  grep -q __asan_init "$TURNSERVER" 2>/dev/null && SANITIZED=1
fi
if [ -z "$RSS_TOLERANCE_MB" ]; then
  RSS_TOLERANCE_MB=8
  [ "$SANITIZED" = 1 ] && RSS_TOLERANCE_MB=64
fi
SERVER_ENV=()
if [ "$SANITIZED" = 1 ]; then
  # ASan keeps freed memory in a quarantine (256 MB by default): RSS would measure it.
  SERVER_ENV=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16")
fi

OUT=$(mktemp -d /tmp/ferry-soak.XXXXXX)
PID=""
PASSED=0
CLK_TCK=$(getconf CLK_TCK)

log() { echo "[soak] $*" >&2; }

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  if [ "$PASSED" = 1 ] && [ "$KEEP" = 0 ]; then
    rm -rf "$OUT"
  else
    log "logs kept in $OUT"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the server -------------------------------------------------------------------------------

# Listening and web ports in 10000-18999, the relay range (1024 ports) in 20000-30999: all below
# the ephemeral range, so the generator's own sockets never land in it.
start_server() {
  PORT=$((10000 + RANDOM % 9000))
  WEB=$((PORT + 1))
  MIN=$((20000 + RANDOM % 10000))
  MAX=$((MIN + 1023))
  SERVER_CMD=("$TURNSERVER" -n -L 127.0.0.1 -p "$PORT" --relay-ip 127.0.0.1 --min-port "$MIN"
    --max-port "$MAX" --allow-loopback-peers --lt-cred-mech --user u:p --realm r
    --relay-threads 2 --prometheus --prometheus-username-labels --web-listening-ip 127.0.0.1
    --web-listening-port "$WEB" --user-quota 0 --total-quota 0 --max-allocations-per-ip 0
    --unauthenticated-response-rate 0)
  "${SERVER_ENV[@]}" "${SERVER_CMD[@]}" >"$OUT/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 50); do
    kill -0 "$PID" 2>/dev/null || break
    if curl -sf --max-time 5 "http://127.0.0.1:$WEB/metrics" >/dev/null 2>&1 &&
       timeout 20 "$LOADGEN" allocate --server "127.0.0.1:$PORT" --source 127.0.9.1 -k 1 -d 10 \
         >"$OUT/ready.txt" 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  kill -TERM "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  PID=""
  return 1
}

# --- measures ---------------------------------------------------------------------------------

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
fd_count() { ls "/proc/$PID/fd" | wc -l; }
cpu_ticks() { sed 's/^.*) //' "/proc/$PID/stat" | awk '{ print $12 + $13 }'; }

# UDP sockets of the server (matched by inode) bound to a port in [MIN, MAX].
relay_ports() {
  local inodes
  inodes=$(for f in /proc/"$PID"/fd/*; do readlink "$f"; done 2>/dev/null |
           sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
  cat /proc/net/udp /proc/net/udp6 2>/dev/null | awk -v min="$MIN" -v max="$MAX" -v inodes="$inodes" '
    function hex(s,   i, v) {
      v = 0
      for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
      return v
    }
    BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
    NR > 1 && ($10 in mine) { split($2, la, ":"); p = hex(la[2]); if (p >= min && p <= max) c++ }
    END { print c + 0 }'
}

metrics() { curl -sf --max-time 10 "http://127.0.0.1:$WEB/metrics"; }

# Every gauge sample as "name{labels} value", but the ones that move by themselves.
gauges() {  # metrics file
  awk '$1 == "#" && $2 == "TYPE" { gauge[$3] = ($4 == "gauge"); next }
       /^#/ { next }
       { name = $1; sub(/\{.*/, "", name)
         if (gauge[name] && name != "ferry_uptime_seconds" && name !~ /^ferry_event_loop_lag/) print $1, $2 }' "$1" | sort
}

# Sum of a counter family's samples matching an optional label pattern.
counter() {  # metrics file, name, [label regex]
  awk -v n="$2" -v l="${3:-}" '{ name = $1; sub(/\{.*/, "", name) }
    name == n && (l == "" || $1 ~ l) { s += $2 } END { printf "%d\n", s }' "$1"
}

snapshot() {  # label: writes $OUT/LABEL.{metrics,gauges,vals}
  local label=$1
  metrics >"$OUT/$label.metrics" || { echo "no /metrics answer" >"$OUT/$label.metrics.err"; return 1; }
  gauges "$OUT/$label.metrics" >"$OUT/$label.gauges"
  {
    echo "rss_kb=$(rss_kb)"
    echo "fds=$(fd_count)"
    echo "relay_ports=$(relay_ports)"
    echo "cpu_ticks=$(cpu_ticks)"
    echo "created=$(counter "$OUT/$label.metrics" ferry_allocations_created_total)"
    echo "ended=$(counter "$OUT/$label.metrics" ferry_allocations_ended_total)"
    echo "to_peer=$(counter "$OUT/$label.metrics" ferry_relayed_packets_total client_to_peer)"
    echo "to_client=$(counter "$OUT/$label.metrics" ferry_relayed_packets_total peer_to_client)"
  } >"$OUT/$label.vals"
}

val() { sed -n "s/^$2=//p" "$OUT/$1.vals"; }  # label key

# --- run --------------------------------------------------------------------------------------

for attempt in 1 2 3; do
  start_server && break
  log "turnserver did not start (attempt $attempt):"
  tail -n 20 "$OUT/server.log" >&2
done
[ -n "$PID" ] || { echo "SOAK FAIL: turnserver did not start"; exit 1; }
log "server pid $PID: ${SERVER_CMD[*]}"
[ "$SANITIZED" = 1 ] && log "sanitized build: ${SERVER_ENV[*]:1}"
snapshot before || { echo "SOAK FAIL: no /metrics before the run"; exit 1; }
log "baseline: rss $(val before rss_kb) kB, fds $(val before fds), relay ports $(val before relay_ports)," \
    "$(awk '$2 != 0' "$OUT/before.gauges" | wc -l) non-zero gauges"

ROUND=$(((CYCLES + 19) / 20))
[ "$ROUND" -lt 1000 ] && ROUND=1000
[ "$ROUND" -gt 50000 ] && ROUND=50000
[ "$ROUND" -gt "$CYCLES" ] && ROUND=$CYCLES
ROUNDS=$(((CYCLES + ROUND - 1) / ROUND))

DONE=0 UDP_DONE=0 TCP_DONE=0 FAILED="" ROUND_NO=0 RSS_FIRST=0 DONE_FIRST=0
START=$(date +%s.%N)
DEADLINE=$(($(date +%s) + MAX_SECONDS))
while [ "$DONE" -lt "$CYCLES" ]; do
  ROUND_NO=$((ROUND_NO + 1))
  left=$((DEADLINE - $(date +%s)))
  if [ "$left" -le 0 ]; then
    FAILED="only $DONE of $CYCLES cycles in --max-seconds $MAX_SECONDS"
    break
  fi
  this=$((CYCLES - DONE))
  [ "$this" -gt "$ROUND" ] && this=$ROUND
  pids=() kinds=() outs=()
  for p in $(seq 0 $((PROCS - 1))); do
    n=$((this / PROCS))
    [ "$p" -lt $((this % PROCS)) ] && n=$((n + 1))
    [ "$n" -eq 0 ] && continue
    kind=udp
    [ "$p" -ge $((PROCS - TCP_PROCS)) ] && kind=tcp
    src="127.0.$((10 + p)).$(((ROUND_NO - 1) % 250 + 1))"
    outs+=("$OUT/round$ROUND_NO.$p.$kind.txt")
    cap=$left
    [ "$cap" -gt 3600 ] && cap=3600  # ferry-loadgen's longest run
    timeout $((cap + 30)) "$LOADGEN" cycle --server "127.0.0.1:$PORT" --source "$src" \
      --transport "$kind" -k "$n" -d "$cap" --packets "$PACKETS" >"${outs[-1]}" 2>&1 &
    pids+=($!) kinds+=("$kind")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    rc=$?
    if [ "$rc" != 0 ]; then
      FAILED="round $ROUND_NO: a ${kinds[$i]} generator exited with $rc: $(tail -n 3 "${outs[$i]}" | tr '\n' ' ')"
    fi
    ok=$(sed -n 's/^attempted=[0-9]* ok=\([0-9]*\) .*/\1/p' "${outs[$i]}")
    ok=${ok:-0}
    DONE=$((DONE + ok))
    if [ "${kinds[$i]}" = tcp ]; then TCP_DONE=$((TCP_DONE + ok)); else UDP_DONE=$((UDP_DONE + ok)); fi
  done
  now=$(date +%s.%N)
  msg="round $ROUND_NO/$ROUNDS: $DONE cycles, $(awk -v a="$START" -v b="$now" -v d="$DONE" \
      'BEGIN { printf "%.1f s, %.0f cycles/s", b - a, d / (b - a) }'), rss $(rss_kb) kB, fds $(fd_count)"
  echo "$msg" >>"$OUT/trace.txt"
  log "$msg"
  if [ "$ROUND_NO" = 1 ]; then RSS_FIRST=$(rss_kb); DONE_FIRST=$DONE; fi
  [ -n "$FAILED" ] && break
  kill -0 "$PID" 2>/dev/null || { FAILED="the server died during round $ROUND_NO"; break; }
done
END=$(date +%s.%N)

# --- after ------------------------------------------------------------------------------------

PROBLEMS=()
if ! kill -0 "$PID" 2>/dev/null; then
  PROBLEMS+=("the server is not running")
  tail -n 30 "$OUT/server.log" >&2
  echo "SOAK FAIL: ${FAILED:-server died}; $(printf '%s; ' "${PROBLEMS[@]}")"
  exit 1
fi
[ -n "$FAILED" ] && PROBLEMS+=("$FAILED")

sleep "$SETTLE"
WAITED=$SETTLE
compare() {  # fills DIFFS
  DIFFS=()
  snapshot after || { DIFFS+=("no /metrics answer after the run"); return; }
  for k in fds relay_ports; do
    [ "$(val before $k)" = "$(val after $k)" ] || DIFFS+=("$k: $(val before $k) before, $(val after $k) after")
  done
  local g
  g=$(join -a1 -a2 -e absent -o 0,1.2,2.2 "$OUT/before.gauges" "$OUT/after.gauges" |
      awk '$2 != $3 && !($2 == "absent" && $3 == 0) && !($3 == "absent" && $2 == 0) { print $1 ": " $2 " before, " $3 " after" }')
  [ -n "$g" ] && while IFS= read -r line; do DIFFS+=("gauge $line"); done <<<"$g"
  local created ended
  created=$(($(val after created) - $(val before created)))
  ended=$(($(val after ended) - $(val before ended)))
  [ "$created" = "$ended" ] || DIFFS+=("allocations: $created created, $ended ended during the run")
  local rss_grow=$(($(val after rss_kb) - $(val before rss_kb)))
  [ "$rss_grow" -le $((RSS_TOLERANCE_MB * 1024)) ] ||
    DIFFS+=("VmRSS: $(val before rss_kb) kB before, $(val after rss_kb) kB after (+$rss_grow kB > $RSS_TOLERANCE_MB MB)")
}
compare
while [ ${#DIFFS[@]} -gt 0 ] && [ "$WAITED" -lt $((SETTLE + 10)) ]; do
  sleep 1
  WAITED=$((WAITED + 1))
  compare
done
[ "$WAITED" -gt "$SETTLE" ] && log "measures took $WAITED s to settle (or did not)"
PROBLEMS+=("${DIFFS[@]}")

# What the generator did must be what the server counted (no failed cycle: exact).
if [ -z "$FAILED" ]; then
  created=$(($(val after created) - $(val before created)))
  to_peer=$(($(val after to_peer) - $(val before to_peer)))
  to_client=$(($(val after to_client) - $(val before to_client)))
  [ "$created" = "$DONE" ] || PROBLEMS+=("allocations created: $created, cycles: $DONE")
  [ "$to_peer" = $((DONE * PACKETS)) ] || PROBLEMS+=("relayed to peers: $to_peer, sent: $((DONE * PACKETS))")
  [ "$to_client" = $((DONE * PACKETS)) ] || PROBLEMS+=("relayed to clients: $to_client, sent: $((DONE * PACKETS))")
fi

# Still serving: one more cycle over UDP and one over TCP.
for kind in udp tcp; do
  timeout 30 "$LOADGEN" cycle --server "127.0.0.1:$PORT" --source 127.0.9.2 --transport "$kind" \
    -k 1 -d 20 >"$OUT/alive.$kind.txt" 2>&1 ||
    PROBLEMS+=("no answer over $kind after the run: $(tail -n 2 "$OUT/alive.$kind.txt" | tr '\n' ' ')")
done

# Stop it: exit status 0 (under ASan: no leak report either).
cpu=$(($(val after cpu_ticks) - $(val before cpu_ticks)))
kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
  PROBLEMS+=("the server did not stop within 10 s of SIGTERM")
  kill -KILL "$PID"
fi
wait "$PID"
rc=$?
PID=""
[ "$rc" = 0 ] || PROBLEMS+=("the server exited with status $rc on SIGTERM")
if grep -qE 'Sanitizer|runtime error:' "$OUT/server.log"; then
  PROBLEMS+=("sanitizer report in the server log")
  grep -E -A20 'Sanitizer|runtime error:' "$OUT/server.log" | head -n 60 >&2
fi

secs=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.1f", b - a }')
rate=$(awk -v s="$secs" -v d="$DONE" 'BEGIN { printf "%.0f", (s > 0 ? d / s : 0) }')
cpu_us=$(awk -v c="$cpu" -v t="$CLK_TCK" -v d="$DONE" 'BEGIN { printf "%.0f", (d > 0 ? c * 1e6 / t / d : 0) }')
rss0=$(val before rss_kb) rss1=$(val after rss_kb)
# RSS growth per cycle after the first round (allocator start-up left out): a leak's slope.
slope=$(awk -v a="$RSS_FIRST" -v b="$rss1" -v n=$((DONE - DONE_FIRST)) \
  'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1024 / n : 0) }')
echo "soak: $DONE cycles ($UDP_DONE udp, $TCP_DONE tcp; $PACKETS packets each way) in $secs s," \
     "$rate cycles/s, server CPU $cpu_us us/cycle; RSS $rss0 -> $rss1 kB ($((rss1 - rss0)) kB," \
     "tolerance $RSS_TOLERANCE_MB MB; $slope bytes/cycle after round 1); fds $(val before fds) -> $(val after fds); relay ports" \
     "$(val before relay_ports) -> $(val after relay_ports); $(wc -l <"$OUT/after.gauges") gauges checked"
if [ ${#PROBLEMS[@]} -gt 0 ]; then
  echo "not back to baseline or failed:"
  printf '  %s\n' "${PROBLEMS[@]}"
  echo "SOAK FAIL: ${#PROBLEMS[@]} problem(s); cycles=$DONE of $CYCLES; logs in $OUT"
  exit 1
fi
PASSED=1
echo "SOAK PASS cycles=$DONE seconds=$secs cycles_per_s=$rate rss_kb=$rss0->$rss1 fds=$(val before fds)->$(val after fds) relay_ports=$(val before relay_ports)->$(val after relay_ports)"
