#!/usr/bin/env bash
# TURN over TLS (and TCP): server CPU per relayed packet, Ferry and coturn against a bare relay
# that terminates TLS itself (method: /work/shared/docs/BENCHMARKING.md; results: BENCHMARKS.md,
# "TURN over TLS: the record path").
#
#   tests/bench/tls.sh [--quick] [--build-dir DIR] [--rounds N] [--seconds D] [--rate PPS]
#                      [--only REGEX] [--syscalls] [--jobs N]
#
# Each round measures every figure on the bare relay, Ferry and coturn one after the other,
# each server started fresh for its window and pinned to CPU 0, ferry-loadgen pinned to CPU 1;
# server CPU is utime+stime of all threads from /proc/PID/stat over the window (ferry-loadgen
# --sync pauses at its edges). A figure is one transport, size and direction: ChannelData over
# UDP (for reference), over TCP and over TLS, 10 allocations, one direction at a time; over TLS
# the client writes one record per message (as WebRTC clients do) and counts the records the
# server sends back. The figures over TLS 1.2 (ECDHE-ECDSA-AES256-GCM-SHA384, what coturn
# 4.6.1 negotiates) cap the client at TLS 1.2 through an OpenSSL configuration file, so all
# three servers protect records the same way; the TLS 1.3 rows (AES-256-GCM too) are Ferry's
# and the bare relay's default, which coturn does not speak; the RSA rows use an RSA-2048
# certificate instead of P-256 (the handshake differs, the record path should not).
# Test certificates are made here with openssl. Prints markdown tables (ratios min / median /
# max over the rounds, then absolute medians); raw output stays in /tmp/ferry-tls-bench.*.
# --quick: 1 round of 1-second windows (a smoke run, not for publishing). --only: the figures
# whose name matches. --syscalls: also count the server's system calls over each window with
# `perf stat` (Debian linux-perf; its own overhead is in that window's CPU figure, so compare
# those with each other only) and print them per 1,000 packets. Loopback only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
ROUNDS=3
SECONDS_PER_WINDOW=4
RATE=20000   # packets/s: under every server's saturation over TLS on this VM (50,000 is not)
ONLY=.
SYSCALLS=0
JOBS=$(nproc)

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) ROUNDS=1; SECONDS_PER_WINDOW=1 ;;
    --build-dir) BUILD=$(realpath -m "$2"); shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --seconds) SECONDS_PER_WINDOW=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --syscalls) SYSCALLS=1 ;;
    --jobs) JOBS=$2; shift ;;
    -h|--help) usage 0 ;;
    *) usage ;;
  esac
  shift
done

# Ports of their own: run.sh (134x8) and callgrind.sh (13578) may run at the same time.
FERRY_PORT=13778; FERRY_TLS=13779; FERRY_MIN=34000; FERRY_MAX=34999
COTURN_PORT=13788; COTURN_TLS=13789; COTURN_MIN=35000; COTURN_MAX=35999
BARE_PORT=13798; BARE_RELAY=13800
COTURN=/usr/bin/turnserver
CLK_TCK=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/ferry-tls-bench.XXXXXX)
RESULTS="$OUT/results.txt"
SERVER_PID=""

# figure transport protocol key size direction servers: the windows of one round, in order.
FIGURES="
udp_100_c2p     udp -   -       100  c2p bare,ferry,coturn
udp_100_p2c     udp -   -       100  p2c bare,ferry,coturn
tcp_100_c2p     tcp -   -       100  c2p bare,ferry,coturn
tcp_100_p2c     tcp -   -       100  p2c bare,ferry,coturn
tcp_1000_c2p    tcp -   -       1000 c2p bare,ferry,coturn
tcp_1000_p2c    tcp -   -       1000 p2c bare,ferry,coturn
tls12_100_c2p   tls 1.2 p256    100  c2p bare,ferry,coturn
tls12_100_p2c   tls 1.2 p256    100  p2c bare,ferry,coturn
tls12_1000_c2p  tls 1.2 p256    1000 c2p bare,ferry,coturn
tls12_1000_p2c  tls 1.2 p256    1000 p2c bare,ferry,coturn
tls13_100_c2p   tls 1.3 p256    100  c2p bare,ferry
tls13_100_p2c   tls 1.3 p256    100  p2c bare,ferry
rsa12_100_c2p   tls 1.2 rsa2048 100  c2p bare,ferry,coturn
rsa12_100_p2c   tls 1.2 rsa2048 100  p2c bare,ferry,coturn
"

log() { echo "[tls-bench] $*" >&2; }
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

check_machine() {
  "$COTURN" --version >/dev/null 2>&1 || die "coturn is not installed ($COTURN; tools/dev setup)"
  COTURN_VERSION=$("$COTURN" --version 2>/dev/null | head -1)
  command -v openssl >/dev/null || die "openssl (the command) is needed for the certificates"
  [ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the server on CPU 0, the generator on CPU 1"
  command -v taskset >/dev/null || die "taskset (util-linux) is needed"
  if [ "$SYSCALLS" = 1 ]; then
    perf stat -e syscalls:sys_enter_epoll_wait -- true >/dev/null 2>&1 ||
      die "--syscalls needs perf with syscall tracepoints (linux-perf, root)"
  fi
  local p
  for p in $FERRY_PORT $FERRY_TLS $COTURN_PORT $COTURN_TLS $BARE_PORT; do
    if ss -Hlutn "sport = :$p" 2>/dev/null | grep -q .; then die "port $p is in use"; fi
  done
}

# Test certificates (CN and subjectAltName localhost / 127.0.0.1), and an OpenSSL configuration
# that caps a client at TLS 1.2 (read by ferry-loadgen through OPENSSL_CONF).
make_certificates() {
  local san="subjectAltName=DNS:localhost,IP:127.0.0.1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "$san" -keyout "$OUT/p256.key" -out "$OUT/p256.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext "$san" \
    -keyout "$OUT/rsa2048.key" -out "$OUT/rsa2048.pem" 2>/dev/null
  cat >"$OUT/tls12.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MaxProtocol = TLSv1.2
EOF
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# start_server bare|ferry|coturn: pinned to CPU 0 with the figure's transport and certificate,
# then waits until it answers.
start_server() {
  local name=$1 log="$OUT/$1-round$ROUND-$FIGURE.log"
  local cert="$OUT/$KEY.pem" key="$OUT/$KEY.key"
  [ "$KEY" = - ] && cert="$OUT/p256.pem" && key="$OUT/p256.key"
  case $name in
    bare) taskset -c 0 "$BARE" --listen "127.0.0.1:$BARE_PORT" --relay-port "$BARE_RELAY" \
            --channels 10 --seconds 3600 --transport "$TRANSPORT" --cert "$cert" --key "$key" \
            >"$log" 2>&1 & ;;
    ferry) taskset -c 0 "$FERRY" "${FERRY_ARGS[@]}" --cert "$cert" --pkey "$key" >"$log" 2>&1 & ;;
    coturn) taskset -c 0 "$COTURN" "${COTURN_ARGS[@]}" --cert "$cert" --pkey "$key" \
              >"$log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  local _
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "$name exited at start (see $log)"
    if [ "$name" = bare ]; then
      grep -q "^bare relay on" "$log" && return 0
    elif "$LOADGEN" allocate --server "127.0.0.1:$(port_of "$name" udp)" -k 1 -d 2 \
        --source 127.0.0.9 >/dev/null 2>&1; then
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

# port_of SERVER TRANSPORT: where its clients connect.
port_of() {
  case $1 in
    bare) echo $BARE_PORT ;;
    ferry) if [ "$2" = tls ]; then echo $FERRY_TLS; else echo $FERRY_PORT; fi ;;
    coturn) if [ "$2" = tls ]; then echo $COTURN_TLS; else echo $COTURN_PORT; fi ;;
  esac
}

# System calls counted by --syscalls, in four groups (see summarize_syscalls).
SYSCALL_EVENTS=epoll_wait,epoll_ctl,read,readv,recvfrom,recvmsg,recvmmsg,write,writev,sendto,sendmsg,sendmmsg
perf_start() {
  [ "$SYSCALLS" = 1 ] || return 0
  local events
  events=$(echo "$SYSCALL_EVENTS" | sed 's/\([a-z_]*\)/syscalls:sys_enter_\1/g')
  perf stat -x, -e "$events" -p "$SERVER_PID" -o "$1" &
  PERF_PID=$!
  sleep 0.2  # perf attaches before the window starts
}
perf_stop() {
  [ "$SYSCALLS" = 1 ] || return 0
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
}

kv() { grep -o "\b$2=[^ ]*" "$1" | head -1 | cut -d= -f2; }
sum_kv() { grep -o "\b$2=[0-9]*" "$1" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
record() { echo "$SERVER $ROUND $FIGURE $1 $2" >>"$RESULTS"; }

# A fresh generator address per window: no client 5-tuple of an earlier window is reused.
next_source() {
  WINDOW=$((WINDOW + 1))
  SOURCE="127.$((1 + WINDOW / 62500)).$((WINDOW / 250 % 250)).$((2 + WINDOW % 250))"
}

# window: one ferry-loadgen relay run pinned to CPU 1 with --sync, the server's CPU read at
# "start" and "end"; records µs of server CPU per delivered packet, the loss, and over TLS the
# ChannelData messages per record the server sent (p2c) and the protocol and cipher.
window() {
  local out="$OUT/$SERVER-round$ROUND-$FIGURE.txt" line rc=0 cpu_start=0 cpu_end=0
  local args=(relay --server "127.0.0.1:$(port_of "$SERVER" "$TRANSPORT")" -n 10
    -d "$SECONDS_PER_WINDOW" --rate "$RATE" --size "$SIZE" --direction "$DIRECTION"
    --transport "$TRANSPORT")
  [ "$SERVER" = bare ] && args+=(--bare "$BARE_RELAY")
  local env=()
  [ "$PROTOCOL" = 1.2 ] && env=(OPENSSL_CONF="$OUT/tls12.cnf")
  next_source
  coproc LG { exec env "${env[@]}" timeout 600 taskset -c 1 "$LOADGEN" "${args[@]}" \
    --source "$SOURCE" --sync 2>&1; }
  # shellcheck disable=SC2153 # LG_PID is set by coproc
  local lg_pid=$LG_PID
  [ -n "${LG[0]:-}" ] || die "ferry-loadgen did not start"
  exec {from_lg}<&"${LG[0]}" {to_lg}>&"${LG[1]}"
  : >"$out"
  while IFS= read -r line <&"$from_lg"; do
    echo "$line" >>"$out"
    case $line in
      "sync start") perf_start "$out.perf"; cpu_start=$(cpu_ticks "$SERVER_PID") ;;
      "sync end") cpu_end=$(cpu_ticks "$SERVER_PID"); perf_stop ;;
      "sync setup") ;;
      *) continue ;;
    esac
    echo go >&"$to_lg"
  done
  wait "$lg_pid" || rc=$?
  exec {from_lg}<&- {to_lg}>&-
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || die "ferry-loadgen failed ($rc) on $SERVER $FIGURE: see $out"
  local delivered lost
  delivered=$(kv "$out" delivered)
  lost=$(sum_kv "$out" lost)
  [ "$lost" = 0 ] || log "warning: $SERVER $FIGURE lost $lost packets (see $out)"
  record lost "$lost"
  record cpu_us "$(awk -v t=$((cpu_end - cpu_start)) -v h="$CLK_TCK" -v d="$delivered" \
    'BEGIN {printf "%.4f", (d > 0 ? t / h * 1e6 / d : 0)}')"
  if [ "$SYSCALLS" = 1 ]; then
    local e
    for e in ${SYSCALL_EVENTS//,/ }; do
      record "sc_$e" "$(awk -F, -v e="syscalls:sys_enter_$e" -v d="$delivered" \
        '$3 == e {printf "%.1f", (d > 0 ? $1 * 1000 / d : 0)}' "$out.perf")"
    done
  fi
  if [ "$TRANSPORT" = tls ]; then
    [ "$DIRECTION" = p2c ] && record per_record "$(kv "$out" p2c_messages_per_record)"
    echo "$SERVER $FIGURE $(grep -o 'tls="[^"]*"' "$out" | head -1)" >>"$OUT/protocols.txt"
  fi
}

machine() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
    "kernel $(uname -r); load average before the run: $LOAD_BEFORE"
  echo "- Ferry: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown)," \
    "$FERRY ${FERRY_ARGS[*]} --cert CERT --pkey KEY (${THREADS[ferry]:-?} threads)"
  echo "- coturn $COTURN_VERSION: $COTURN ${COTURN_ARGS[*]} --cert CERT --pkey KEY" \
    "(${THREADS[coturn]:-?} threads)"
  echo "- bare relay: $BARE --listen 127.0.0.1:$BARE_PORT --relay-port $BARE_RELAY --channels 10" \
    "--transport udp|tcp|tls --cert CERT --key KEY"
  echo "- servers on CPU 0, ferry-loadgen on CPU 1; $ROUNDS round(s); ${SECONDS_PER_WINDOW}-s" \
    "windows; $RATE packets/s, 10 allocations, one direction at a time; CLK_TCK $CLK_TCK"
  echo "- negotiated (windows): $(sed 's/^[^"]*"//; s/"$//' "$OUT/protocols.txt" | sort | uniq -c |
    awk '{c = $1; $1 = ""; printf "%s%s (%d)", sep, substr($0, 2), c; sep = ", "}')"
  echo "- raw output: $OUT"
}

summarize() {
  awk '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n == 0 ? "" : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    function range(list,   n, a, i, lo, hi) {
      n = split(list, a, " ")
      if (n == 0) return "-"
      lo = hi = a[1]
      for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
      return sprintf("%.2f / %.2f / %.2f", lo, median(list), hi)
    }
    $4 == "cpu_us" { cpu[$1, $3, $2] = $5; rounds[$2] = 1; if (!($3 in seen)) { seen[$3] = 1; order[++n] = $3 } }
    $4 == "lost" { lost[$1, $3] += $5 }
    $4 == "per_record" { pr[$1, $3] = pr[$1, $3] " " $5 }
    END {
      print "| figure | Ferry / bare | coturn / bare | Ferry / coturn |"
      print "|---|---|---|---|"
      for (i = 1; i <= n; i++) {
        f = order[i]; fb = cb = fc = ""
        for (r in rounds) {
          if ((("ferry", f, r) in cpu) && (("bare", f, r) in cpu) && cpu["bare", f, r] > 0) fb = fb " " cpu["ferry", f, r] / cpu["bare", f, r]
          if ((("coturn", f, r) in cpu) && (("bare", f, r) in cpu) && cpu["bare", f, r] > 0) cb = cb " " cpu["coturn", f, r] / cpu["bare", f, r]
          if ((("ferry", f, r) in cpu) && (("coturn", f, r) in cpu) && cpu["coturn", f, r] > 0) fc = fc " " cpu["ferry", f, r] / cpu["coturn", f, r]
        }
        printf "| %s | %s | %s | %s |\n", f, range(fb), range(cb), range(fc)
      }
      print ""
      print "Absolute (medians over the rounds): µs of server CPU per delivered packet; packets lost"
      print "(all rounds); over TLS peer->client, ChannelData messages per TLS record the server sent."
      print ""
      print "| figure | bare µs | Ferry µs | coturn µs | lost (bare / Ferry / coturn) | msgs/record (bare / Ferry / coturn) |"
      print "|---|---|---|---|---|---|"
      split("bare ferry coturn", s, " ")
      for (i = 1; i <= n; i++) {
        f = order[i]
        line = "| " f
        for (k = 1; k <= 3; k++) {
          l = ""
          for (r in rounds) if ((s[k], f, r) in cpu) l = l " " cpu[s[k], f, r]
          line = line " | " (l == "" ? "-" : sprintf("%.2f", median(l)))
        }
        line = line " | " ((("bare", f) in lost) ? lost["bare", f] : "-") " / " ((("ferry", f) in lost) ? lost["ferry", f] : "-") " / " ((("coturn", f) in lost) ? lost["coturn", f] : "-")
        m = ""
        for (k = 1; k <= 3; k++) m = m (k > 1 ? " / " : "") ((s[k], f) in pr ? sprintf("%.2f", median(pr[s[k], f])) : "-")
        print line " | " m " |"
      }
    }' "$RESULTS"
}

# Medians over the rounds of each server's system calls per 1,000 delivered packets.
summarize_syscalls() {
  echo
  echo "System calls per 1,000 delivered packets (medians; perf stat over the window):"
  echo
  echo "| figure | server | epoll_wait | epoll_ctl | read, recv* | write, writev, send* |"
  echo "|---|---|---|---|---|---|"
  awk '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $4 ~ /^sc_/ {
      g = $4 == "sc_epoll_wait" ? 1 : $4 == "sc_epoll_ctl" ? 2 : $4 ~ /^sc_(read|recv)/ ? 3 : 4
      sum[$1, $3, $2, g] += $5; rounds[$1, $3] = rounds[$1, $3] " " $2
      if (!(($1, $3) in seen)) { seen[$1, $3] = 1; order[++n] = $1 SUBSEP $3 }
    }
    END {
      for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP)
        line = "| " k[2] " | " k[1]
        for (g = 1; g <= 4; g++) {
          l = ""; split(rounds[k[1], k[2]], r, " ")
          for (j in r) if (!((k[1], k[2], r[j], g) in done)) { done[k[1], k[2], r[j], g] = 1; l = l " " sum[k[1], k[2], r[j], g] + 0 }
          line = line " | " sprintf("%.0f", median(l))
        }
        print line " |"
      }
    }' "$RESULTS"
}

main() {
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  build
  check_machine
  make_certificates
  FERRY_ARGS=(-n -L 127.0.0.1 -p "$FERRY_PORT" --tls-listening-port "$FERRY_TLS" --no-dtls
    --relay-ip 127.0.0.1 --min-port "$FERRY_MIN" --max-port "$FERRY_MAX" --allow-loopback-peers
    --lt-cred-mech --user u:p --realm r --relay-threads 1
    # As run.sh: coturn has none of these limits by default, so Ferry's are off too.
    --unauthenticated-response-rate 0 --user-quota 0 --total-quota 0 --max-allocations-per-ip 0
    --tls-handshake-rate 0)
  COTURN_ARGS=(-n --no-cli --listening-ip 127.0.0.1 --listening-port "$COTURN_PORT"
    --tls-listening-port "$COTURN_TLS" --no-dtls --relay-ip 127.0.0.1 --allow-loopback-peers
    --lt-cred-mech --user u:p --realm r --min-port "$COTURN_MIN" --max-port "$COTURN_MAX"
    --relay-threads 1 --log-file stdout --simple-log --pidfile "$OUT/coturn.pid")
  declare -gA THREADS=()
  WINDOW=0
  : >"$RESULTS"
  : >"$OUT/protocols.txt"
  local started=$SECONDS servers
  for ROUND in $(seq 1 "$ROUNDS"); do
    while read -r FIGURE TRANSPORT PROTOCOL KEY SIZE DIRECTION servers; do
      [ -n "$FIGURE" ] || continue
      [[ $FIGURE =~ $ONLY ]] || continue
      log "round $ROUND/$ROUNDS: $FIGURE"
      for SERVER in ${servers//,/ }; do
        start_server "$SERVER"
        window
        stop_server "$SERVER"
      done
    done <<<"$FIGURES"
  done
  log "done in $((SECONDS - started)) s; raw results in $RESULTS"
  echo
  machine
  echo
  summarize
  [ "$SYSCALLS" = 1 ] && summarize_syscalls
  return 0
}

main
